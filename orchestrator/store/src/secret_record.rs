//! How the replicated state keeps a secret: its metadata and its sealed value (never the
//! value itself).

use serde::{Deserialize, Serialize};
use swarm_api::secret::{Sealed, Secret};

/// A secret as the state keeps it: metadata and the sealed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    /// Metadata (spec without data).
    pub secret: Secret,
    /// The encrypted value.
    pub sealed: Sealed,
}
