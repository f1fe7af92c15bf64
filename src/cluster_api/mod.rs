//! The cluster's control API from the user's machine: an SSH-forwarded, mutually authenticated
//! connection to a manager (the leader when it can be found).
//!
//! Background: `swarm-aws node ...` and `service ...` run against the cluster's leader without
//! logging into it and without opening the API port to the internet. The only way in is SSH (host
//! keys checked against the cluster's known_hosts); the API is reached through a forwarded channel
//! and speaks mutual TLS with an *admin certificate*.
//!
//! Design:
//! - [`AdminCredentials`] keeps the admin key, certificate and CA under the cluster's config dir
//!   (next to its SSH key; the key with mode 0600, never printed). The key and CSR are made
//!   locally; a manager signs the CSR with `swarmd admin-cert` run over SSH, so the private key
//!   never leaves this machine. A certificate is reused until it nears its end or the cluster's CA
//!   changes (a re-created cluster).
//! - [`ClusterApi::connect`] tries the managers in order: SSH, credentials, a local port forwarded
//!   to the manager's API, a `/v1/info` probe; then it prefers the leader. The TLS client checks
//!   the manager's certificate against the manager's own address while connecting to
//!   `127.0.0.1:<forwarded port>` ([`swarm_api::client::Client::with_server_name`]).
//! - [`hosts`] (pure) turns a sandbox or an AWS inventory into the managers to try.
//!
//! Limits: a changed host key stops everything (no fall-back to another manager); certificates are
//! not revoked (they expire after [`swarm_api::admin::DEFAULT_ADMIN_DAYS`] days).

mod connect;
mod credentials;
mod error;
pub mod hosts;

pub use connect::{ApiOptions, ClusterApi};
pub use credentials::{
    admin_name, AdminCredentials, ADMIN_CA_FILE, ADMIN_CERT_FILE, ADMIN_KEY_FILE, DOCKER_TLS_FILES,
};
pub use error::ClusterApiError;
