//! Building a [`Client`] for the verbs: a node's unix socket, or a manager over mutual TLS
//! with a certificate of the cluster CA (PEM strings; reading them is the caller's business).

use std::path::PathBuf;

use anyhow::{Context, Result};
use swarm_api::client::{Client, Target};
use swarm_api::tls::client_config;

/// A client of the node-local socket (`STATE_DIR/swarmd.sock`).
pub fn unix_client(socket: PathBuf) -> Client {
    Client::new(Target::Unix(socket))
}

/// A mutual-TLS client of the manager at `addr` (`host:port`).
///
/// `server_name` is the name the manager's certificate carries (its advertise IP or host);
/// give it when `addr` is a tunnel such as an SSH-forwarded `127.0.0.1:PORT`, None otherwise.
pub fn tls_client(
    addr: &str,
    server_name: Option<&str>,
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<Client> {
    let config = client_config(ca_pem, cert_pem, key_pem)
        .context("the cluster CA, client certificate or key is unusable")?;
    Ok(Client::new(Target::Tls {
        addr: addr.to_string(),
        config,
    })
    .with_server_name(server_name.map(str::to_string)))
}
