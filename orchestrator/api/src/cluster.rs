//! Cluster-wide settings kept in the replicated state: the root CA and the join-token secrets.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::node::Role;

/// Cluster identity and security material, replicated to every manager.
///
/// Managers need the CA key to sign certificates of joining nodes, and the token secrets to check
/// join requests. `Debug` redacts both, so the value can be logged safely.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Random cluster id.
    pub id: String,
    /// Root CA certificate (PEM).
    pub ca_cert_pem: String,
    /// Root CA private key (PEM). Secret.
    pub ca_key_pem: String,
    /// Secret part of the worker join token. Secret.
    pub worker_secret: String,
    /// Secret part of the manager join token. Secret.
    pub manager_secret: String,
}

impl ClusterInfo {
    /// The token secret for a role.
    pub fn secret(&self, role: Role) -> &str {
        match role {
            Role::Manager => &self.manager_secret,
            Role::Worker => &self.worker_secret,
        }
    }
}

impl fmt::Debug for ClusterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterInfo")
            .field("id", &self.id)
            .field(
                "ca_cert_pem",
                &format_args!("<{} bytes>", self.ca_cert_pem.len()),
            )
            .field("ca_key_pem", &"<redacted>")
            .field("worker_secret", &"<redacted>")
            .field("manager_secret", &"<redacted>")
            .finish()
    }
}
