//! A long-lived local tunnel to the cluster's API, for the docker CLI (`swarm-aws tunnel`,
//! `docker-env`, `context`).
//!
//! Background: every swarmd manager serves the Docker Engine API on its mutual-TLS port (2377)
//! beside swarmd's own routes, but that port is open only inside the cluster. Like
//! `docker-machine env`, `swarm-aws docker-env` points the user's docker CLI at the cluster:
//! `DOCKER_HOST=tcp://127.0.0.1:PORT` is a local port forwarded over SSH (host keys checked) to
//! the leader's API port, and `DOCKER_CERT_PATH` holds the cluster CA and the admin certificate
//! and key ([`crate::cluster_api::AdminCredentials`]). Manager certificates carry `127.0.0.1`
//! and `localhost` among their names, so the CLI's own TLS verification passes through the
//! tunnel.
//!
//! Design:
//! - [`serve`] is the loop of `swarm-aws tunnel` (foreground): each accepted connection gets a
//!   new SSH channel to the manager's API port; a probe every few seconds finds the leader again
//!   when the manager stops answering (a connection whose channel cannot be opened is retried on
//!   the new route) or, after a while, when another manager leads.
//! - [`record`]: the tunnel's pid and port in the cluster's config dir (`tunnel.json`); the port
//!   outlives the process, so a restarted tunnel serves the same `DOCKER_HOST` and contexts.
//! - [`process`]: whether the recorded process is alive and really this cluster's tunnel (by its
//!   command line), starting one detached (own process group, log in `tunnel.log`), stopping it.
//! - [`shell`] (pure): the lines docker-env prints for bash, fish and PowerShell, with
//!   docker-machine's trailer; [`docker_cli`]: the real docker CLI for `docker context create`.
//!
//! Limits: one tunnel per cluster on this machine; loopback only (no `--bind`); a connection open
//! when its manager goes is cut (the CLI retries nothing, the user runs the command again).

pub mod docker_cli;
mod error;
pub mod process;
pub mod record;
pub mod serve;
pub mod shell;

use std::path::PathBuf;

pub use error::TunnelError;
pub use record::{TunnelRecord, DOCKER_DIR, LOG_FILE, RECORD_FILE};
pub use serve::{serve, ServeOptions};
pub use shell::{DockerEnv, Shell};

/// The config dir of `cluster` (where its keys, admin credentials and tunnel record live).
pub fn config_dir(cluster: &str) -> Result<PathBuf, TunnelError> {
    crate::ssh::cluster_config_dir(cluster).map_err(|e| error::io_err(cluster, e))
}
