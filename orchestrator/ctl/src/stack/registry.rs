//! `stack deploy --resolve-image`: the registry lookups. One distribution-API
//! `HEAD /v2/REPO/manifests/TAG` per image, reading `Docker-Content-Digest`; HTTPS first, plain
//! HTTP only for a loopback or private registry ([`plain_http_allowed`]); a short connect
//! timeout; all lookups of one deploy at once. Images without a registry host (Docker Hub
//! names) are not looked up at all: this orchestrator runs without the internet, so they are
//! treated as unreachable at once, without a DNS lookup (docker would print the same warning
//! after failing to reach the Hub).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::image_ref::{host_port, parse, plain_http_allowed, strip_port, ImageRef};

/// How long a connection to a registry may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one whole lookup may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// What a manifest HEAD accepts: manifest list, OCI index, v2 and OCI manifests.
const ACCEPT: &str = "application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.oci.image.manifest.v1+json";

/// The digest of every image in `images` that a registry knows (absent: not reachable, not
/// known, or no registry host), all looked up concurrently.
pub async fn digests(images: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut set = tokio::task::JoinSet::new();
    let mut tls: Option<Arc<rustls::ClientConfig>> = None;
    for image in images {
        let Some(r) = parse(image) else { continue };
        if r.host.is_none() || r.digest.is_some() {
            continue;
        }
        let cfg = tls.get_or_insert_with(tls_config).clone();
        let image = image.clone();
        set.spawn(async move {
            let d = tokio::time::timeout(LOOKUP_TIMEOUT, lookup(&r, cfg))
                .await
                .ok()
                .flatten();
            (image, d)
        });
    }
    let mut out = BTreeMap::new();
    while let Some(j) = set.join_next().await {
        if let Ok((image, Some(d))) = j {
            out.insert(image, d);
        }
    }
    out
}

/// The system's roots (none when they cannot be read: HTTPS then fails and only private
/// registries are asked over HTTP).
fn tls_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    let cfg = rustls::ClientConfig::builder_with_provider(swarm_api::tls::provider())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    match cfg {
        Ok(c) => Arc::new(c),
        // The ring provider supports the default versions; unreachable in practice.
        Err(_) => Arc::new(
            rustls::ClientConfig::builder_with_provider(swarm_api::tls::provider())
                .with_protocol_versions(&[&rustls::version::TLS13])
                .expect("TLS 1.3 with ring")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
    }
}

async fn lookup(r: &ImageRef, tls: Arc<rustls::ClientConfig>) -> Option<String> {
    let host = r.host.as_deref()?;
    let path = format!("/v2/{}/manifests/{}", r.repo, r.tag);
    let https = async {
        let tcp = connect(host, 443).await?;
        let name = rustls::pki_types::ServerName::try_from(strip_port(host).to_string()).ok()?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .ok()?;
        head(stream, host, &path).await
    };
    match https.await {
        Some(HeadResult::Digest(d)) => Some(d),
        // The registry answered over HTTPS: it does not know the image (or wants a login).
        Some(HeadResult::NoDigest) => None,
        None if plain_http_allowed(host) => match head(connect(host, 80).await?, host, &path).await
        {
            Some(HeadResult::Digest(d)) => Some(d),
            _ => None,
        },
        None => None,
    }
}

/// `host[:port]` connected, `default_port` when none is written.
async fn connect(host: &str, default_port: u16) -> Option<TcpStream> {
    let (name, port) = host_port(host, default_port)?;
    tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((name, port)))
        .await
        .ok()?
        .ok()
}

enum HeadResult {
    Digest(String),
    NoDigest,
}

/// One HEAD on an open connection; `None` when HTTP itself failed (not this protocol).
async fn head<S>(stream: S, host: &str, path: &str) -> Option<HeadResult>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::head(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::ACCEPT, ACCEPT)
        .body(Empty::<Bytes>::new())
        .ok()?;
    let resp = send.send_request(req).await.ok()?;
    let digest = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .filter(|d| resp.status().is_success() && d.starts_with("sha256:"));
    Some(match digest {
        Some(d) => HeadResult::Digest(d.to_string()),
        None => HeadResult::NoDigest,
    })
}
