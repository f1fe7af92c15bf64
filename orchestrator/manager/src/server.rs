//! HTTP servers on an injected listener with a shutdown future (mini-redis style): mutual TLS on
//! TCP for nodes and remote clients, and a unix socket for local clients.
//!
//! Each connection's caller is attached to its requests as a [`Peer`] extension: the identity from
//! the client certificate (a node, or an admin user), `Local` for the unix socket, `Anonymous` for
//! TLS without a certificate (only the join endpoint accepts those).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;
use swarm_api::node::{NodeId, Role};
use swarm_api::tls::{ca_roots, certs_from_pem, key_from_pem, provider};
use tokio::net::{TcpListener, UnixListener};
use tower::ServiceExt;

use crate::ca::{cert_identity, CertIdentity};
use crate::error::ManagerError;
use crate::state_dir::Certs;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// Through the local unix socket (root of this node).
    Local,
    /// A certificate signed by the cluster CA.
    Node {
        /// Node id from the certificate CN.
        id: NodeId,
        /// Role from the certificate OU.
        role: Role,
    },
    /// An admin client certificate of the cluster CA (OU `admin`): the control API accepts it
    /// unless it was revoked; node endpoints (Raft, join, heartbeat, dispatcher) refuse it. The
    /// user's name is logged when the connection opens.
    Admin {
        /// The certificate's serial number (see [`crate::ca::serial_hex`]), 0 if it is longer
        /// than 128 bits (not one the managers signed).
        serial: u128,
    },
    /// TLS without a client certificate.
    Anonymous,
}

/// TLS server config: presents the node cert (+ CA), verifies client certs against the CA when
/// given (optional at the TLS level; handlers decide).
pub fn server_config(certs: &Certs) -> Result<Arc<ServerConfig>, ManagerError> {
    let roots = Arc::new(ca_roots(&certs.ca_pem)?);
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
        .allow_unauthenticated()
        .build()
        .map_err(|e| ManagerError::Ca(e.to_string()))?;
    let mut chain = certs_from_pem(&certs.node.cert_pem, "node certificate")?;
    chain.extend(certs_from_pem(&certs.ca_pem, "CA certificate")?);
    let key = key_from_pem(&certs.node.key_pem, "node key")?;
    let cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(swarm_api::tls::TlsError::from)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(swarm_api::tls::TlsError::from)?;
    Ok(Arc::new(cfg))
}

async fn serve_conn<IO>(io: IO, router: Router, peer: Peer)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let svc = router.map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(peer);
        req.map(axum::body::Body::new)
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(svc))
        .await;
}

/// Serves `router` over mutual TLS on `listener` until `shutdown` completes.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            _ = &mut shutdown => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        tcp.set_nodelay(true).ok();
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                    .await
            else {
                return;
            };
            let identity = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| cert_identity(c.as_ref()));
            let peer = match identity {
                Some(CertIdentity::Node(id, role)) => Peer::Node { id, role },
                Some(CertIdentity::Admin { name, serial }) => {
                    tracing::info!(admin = %name, %serial, from = %remote, "admin connection");
                    Peer::Admin {
                        serial: u128::from_str_radix(&serial, 16).unwrap_or(0),
                    }
                }
                None => Peer::Anonymous,
            };
            serve_conn(tls, router, peer).await;
        });
    }
}

/// Serves `router` on a unix socket (callers are [`Peer::Local`]) until `shutdown` completes.
pub async fn serve_unix(
    listener: UnixListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        let router = router.clone();
        tokio::spawn(serve_conn(stream, router, Peer::Local));
    }
}
