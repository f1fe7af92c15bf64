//! Bodies of the autolock routes: `swarm update --autolock`, `swarm unlock-key [--rotate]`,
//! `swarm unlock`. The unlock key wraps the cluster data key in each manager's state dir; a
//! manager restarted with autolock on answers every request with
//! [`LOCKED_MESSAGE`] until it is unlocked.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a locked manager answers (HTTP 423 Locked).
pub const LOCKED_MESSAGE: &str = "swarm is encrypted and needs to be unlocked before it can be used; run `swarmd unlock` and enter the unlock key";

/// `POST /v1/swarm/update`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmUpdateRequest {
    /// Turn autolock on or off; None: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autolock: Option<bool>,
}

/// `POST /v1/swarm/unlock-key`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockKeyRequest {
    /// Make a new key first (the old one stops working).
    #[serde(default)]
    pub rotate: bool,
}

/// The unlock key (answer of `swarm update` and `swarm unlock-key`); `None` when autolock is
/// off. Secret: `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockKeyResponse {
    /// `SWMKEY-1-...`.
    #[serde(default)]
    pub key: Option<String>,
}

impl fmt::Debug for UnlockKeyResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnlockKeyResponse(<redacted>)")
    }
}

/// `POST /v1/swarm/unlock` (local socket): the unlock key typed by the operator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    /// `SWMKEY-1-...`.
    pub key: String,
}

impl fmt::Debug for UnlockRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnlockRequest(<redacted>)")
    }
}

/// The autolock record replicated in the cluster state: the data key wrapped by the unlock
/// key (a restarted manager opens it with the key the operator types), and the unlock key
/// sealed by the data key (an unlocked manager can show it with `swarm unlock-key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The cluster data key sealed with the unlock key.
    pub wrapped_data_key: crate::secret::Sealed,
    /// The unlock key sealed with the data key.
    pub sealed_unlock_key: crate::secret::Sealed,
}
