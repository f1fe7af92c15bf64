//! SSH to cluster hosts, built on [russh](https://docs.rs/russh).
//!
//! Background: `swarm-aws` logs into its instances to install and drive `swarmd` (like k3sup), but unlike
//! k3sup and docker-machine it **checks host keys**: every cluster has its own `known_hosts` file; a host
//! seen for the first time is recorded (trust on first use) and a host presenting a different key later is
//! refused with a warning naming the host and both fingerprints.
//!
//! Design:
//! - [`ClusterKey`] generates, stores (mode 0600 under the user's config dir) and loads the cluster's
//!   private key (ed25519 by default; RSA keys are accepted and signed with rsa-sha2). Its `Debug` redacts.
//! - [`KnownHosts`] is the per-cluster known_hosts file; the parsing and lookup are pure.
//! - [`SshClient::connect`] retries with bounded exponential backoff while hosts boot
//!   ([`Backoff`]), sends keepalives, and authenticates with the cluster key.
//! - [`SshClient::exec`] returns exit status, stdout and stderr; [`SshClient::upload`] streams bytes over
//!   an exec channel and verifies them with a remote `sha256sum`; [`SshClient::open_tunnel`] and
//!   [`SshClient::forward`] open direct-tcpip channels (e.g. to a manager's API).
//!
//! Limits: no SSH agent, no certificates, no hashed known_hosts entries (we only read files we wrote).
//! Every error is an [`SshError`] naming the address it concerns.

mod backoff;
mod client;
mod error;
mod forward;
mod keys;
mod known_hosts;
mod options;
mod quote;
mod upload;

pub use backoff::Backoff;
pub use client::{ExecOutput, SshClient};
pub use error::SshError;
pub use forward::Forwarder;
pub use keys::{cluster_config_dir, ClusterKey, KeyKind, PRIVATE_KEY_FILE};
pub use known_hosts::{host_pattern, HostKeyCheck, KnownHosts};
pub use options::ConnectOptions;
pub use quote::shell_quote;
