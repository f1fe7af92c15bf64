//! Errors of the cluster API connection; each names the manager (or file) and what to do.

use std::path::PathBuf;

use crate::ssh::SshError;

/// What connecting to the cluster's API can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClusterApiError {
    /// SSH to a manager failed (a changed host key is reported here and stops the search).
    #[error("manager {host}: {step}: {source}")]
    Ssh {
        /// The manager (inventory id).
        host: String,
        /// What was being done.
        step: String,
        /// The SSH error.
        source: Box<SshError>,
    },
    /// The manager would not sign an admin certificate.
    #[error("manager {host}: cannot get an admin certificate: {detail}")]
    AdminCert {
        /// The manager.
        host: String,
        /// What it said.
        detail: String,
    },
    /// A local credentials file could not be read or written.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The API answered with an error, or did not answer through the tunnel.
    #[error("manager {host}: API {step}: {source}")]
    Api {
        /// The manager.
        host: String,
        /// The request.
        step: String,
        /// The client error.
        source: Box<swarm_api::error::ClientError>,
    },
    /// The managers revoked this machine's admin certificate.
    #[error(
        "manager {host}: {message}\n  fix: if you should still have access, remove {} so the next \
         command has a manager sign a new certificate over SSH",
        cert.display()
    )]
    Revoked {
        /// The manager.
        host: String,
        /// What it said (names the serial).
        message: String,
        /// The revoked certificate's file.
        cert: PathBuf,
    },
    /// A node or service verb failed (the manager's answer, or bad input).
    #[error("manager {host}: {message}")]
    Verb {
        /// The manager.
        host: String,
        /// What went wrong (the verb's message, with its fix).
        message: String,
    },
    /// No manager could be reached.
    #[error("no manager of cluster {cluster} answers: {}", if tried.is_empty() { "the inventory holds no manager".to_string() } else { tried.join("; ") })]
    NoManager {
        /// The cluster.
        cluster: String,
        /// Why each manager failed.
        tried: Vec<String>,
    },
    /// The cluster's hosts could not be listed.
    #[error("cluster {cluster}: {reason}")]
    Inventory {
        /// The cluster.
        cluster: String,
        /// Why.
        reason: String,
    },
}

impl ClusterApiError {
    /// Errors that must stop the search instead of trying the next manager: a changed host key,
    /// a revoked admin certificate (every manager refuses it).
    pub fn is_fatal(&self) -> bool {
        match self {
            ClusterApiError::Ssh { source, .. } => {
                matches!(**source, SshError::HostKeyMismatch { .. })
            }
            ClusterApiError::Revoked { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_changed_host_key_stops_the_search() {
        let mismatch = ClusterApiError::Ssh {
            host: "m1".into(),
            step: "connect".into(),
            source: Box::new(SshError::HostKeyMismatch {
                addr: "10.0.0.1:22".into(),
                host: "10.0.0.1".into(),
                expected: "SHA256:a".into(),
                presented: "SHA256:b".into(),
                known_hosts: PathBuf::from("/k"),
            }),
        };
        assert!(mismatch.is_fatal());
        let timeout = ClusterApiError::Ssh {
            host: "m1".into(),
            step: "connect".into(),
            source: Box::new(SshError::Timeout {
                addr: "10.0.0.1:22".into(),
                after: std::time::Duration::from_secs(1),
                attempts: 1,
                last: "refused".into(),
            }),
        };
        assert!(!timeout.is_fatal());
        let none = ClusterApiError::NoManager {
            cluster: "c".into(),
            tried: Vec::new(),
        };
        assert!(none.to_string().contains("holds no manager"));
    }
}
