//! A secret or config as the managers store and answer it ([`Object`]): the spec of either
//! kind with its id, version and times. What differs per kind is in [`crate::file_kind`].

use serde::{Deserialize, Serialize};

/// A secret or config as the managers store and answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object<S> {
    /// Cluster-unique id.
    pub id: String,
    /// Bumped by every change (label updates).
    pub version: u64,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: u64,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: u64,
    /// The spec (a secret's with `data` empty).
    pub spec: S,
}
