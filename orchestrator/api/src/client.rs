//! A small HTTP/1.1 JSON client for the control API, over a unix socket or mutual TLS.
//!
//! One connection is kept open and reused; it is re-established once if it was closed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::error::{ClientError, ErrorBody, ErrorKind};
use crate::routes::{Route, Verb};

/// Where the client connects.
#[derive(Clone)]
pub enum Target {
    /// The node-local unix socket.
    Unix(PathBuf),
    /// A node's API over TLS.
    Tls {
        /// `host:port`.
        addr: String,
        /// TLS configuration (mutual or pinned).
        config: Arc<ClientConfig>,
    },
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::Unix(p) => p.display().to_string(),
            Target::Tls { addr, .. } => addr.clone(),
        }
    }
}

/// A JSON client for one target.
pub struct Client {
    target: Target,
    local_ip: Option<std::net::IpAddr>,
    server_name: Option<String>,
    timeout: Duration,
    conn: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl Client {
    /// A client for `target` with a 10 s request timeout.
    pub fn new(target: Target) -> Self {
        Client {
            target,
            local_ip: None,
            server_name: None,
            timeout: Duration::from_secs(10),
            conn: Mutex::new(None),
        }
    }

    /// Sets the per-request timeout (connect + request + response).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects from this local IP (a node's advertise IP), so peers see who is calling.
    pub fn with_local_ip(mut self, ip: Option<std::net::IpAddr>) -> Self {
        self.local_ip = ip;
        self
    }

    /// Verifies the server's certificate for `name` instead of the host of the TLS address:
    /// for a tunnel (e.g. an SSH-forwarded `127.0.0.1:PORT`) to a manager whose certificate
    /// names its advertise address.
    pub fn with_server_name(mut self, name: Option<String>) -> Self {
        self.server_name = name;
        self
    }

    /// Drops the cached connection; the next request connects afresh.
    pub async fn reset(&self) {
        *self.conn.lock().await = None;
    }

    /// `GET path`.
    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, ClientError> {
        self.call::<(), R>(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ClientError> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Calls `route` with its path `params` filled in (see [`Route::path`]) and its body: the
    /// route's types decide what may be sent and what comes back.
    pub async fn send<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: &Route<Req, Resp>,
        params: &[&str],
        body: &Req,
    ) -> Result<Resp, ClientError> {
        self.send_to(route, &route.path(params), body).await
    }

    /// Like [`Client::send`] to a path already built from `route` (e.g. with a query).
    pub async fn send_to<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: &Route<Req, Resp>,
        path: &str,
        body: &Req,
    ) -> Result<Resp, ClientError> {
        match route.verb {
            Verb::Get => self.call::<Req, Resp>(Method::GET, path, None).await,
            Verb::Post => self.call(Method::POST, path, Some(body)).await,
        }
    }

    /// `GET path` on a connection of its own, answered with newline-delimited JSON (the
    /// streamed log routes): each line decoded as it arrives, until the answer ends or the
    /// receiver is dropped (which closes the connection). Only connecting and the answer's
    /// head are under the request timeout.
    pub async fn lines<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<T, ClientError>>, ClientError> {
        let target = self.target.describe();
        let http = |message: String| ClientError::Http {
            target: target.clone(),
            message,
        };
        let head = async {
            let mut sender = self.connect().await?;
            sender.ready().await.map_err(|e| http(e.to_string()))?;
            let req = Request::builder()
                .method(Method::GET)
                .uri(path)
                .header("host", "swarmd")
                .body(Full::new(Bytes::new()))
                .map_err(|e| http(e.to_string()))?;
            sender
                .send_request(req)
                .await
                .map_err(|e| http(e.to_string()))
        };
        let res = tokio::time::timeout(self.timeout, head)
            .await
            .map_err(|_| http(format!("timed out after {:?}", self.timeout)))??;
        let status = res.status().as_u16();
        let mut body = res.into_body();
        if !(200..300).contains(&status) {
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let err = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
                kind: ErrorKind::Internal,
                message: format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
            });
            return Err(ClientError::Api(err));
        }
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let target = target.clone();
        tokio::spawn(async move {
            let http = |message: String| ClientError::Http {
                target: target.clone(),
                message,
            };
            let mut buf: Vec<u8> = Vec::new();
            loop {
                let frame = tokio::select! {
                    f = body.frame() => f,
                    _ = tx.closed() => return,
                };
                let data = match frame {
                    None => return,
                    Some(Err(e)) => {
                        let _ = tx.send(Err(http(e.to_string()))).await;
                        return;
                    }
                    Some(Ok(f)) => match f.into_data() {
                        Ok(d) => d,
                        Err(_) => continue,
                    },
                };
                buf.extend_from_slice(&data);
                // The complete lines, then one shift of the buffer (not one per line).
                let mut start = 0;
                while let Some(i) = buf[start..].iter().position(|b| *b == b'\n') {
                    let line = &buf[start..start + i + 1];
                    start += i + 1;
                    if line.len() <= 1 {
                        continue;
                    }
                    let item = serde_json::from_slice::<T>(line).map_err(|e| ClientError::Decode {
                        target: target.clone(),
                        message: e.to_string(),
                    });
                    if tx.send(item).await.is_err() {
                        return;
                    }
                }
                buf.drain(..start);
            }
        });
        Ok(rx)
    }

    /// Sends one request and decodes the JSON answer (or the error body).
    pub async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, ClientError> {
        let target = self.target.describe();
        let bytes = match body {
            Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| ClientError::Http {
                target: target.clone(),
                message: e.to_string(),
            })?),
            None => Bytes::new(),
        };
        let fut = self.roundtrip(method, path, bytes);
        let (status, body) = match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r?,
            Err(_) => {
                // The connection may be stuck (e.g. a partitioned peer): do not reuse it.
                self.reset().await;
                return Err(ClientError::Http {
                    target,
                    message: format!("timed out after {:?}", self.timeout),
                });
            }
        };
        if !(200..300).contains(&status) {
            let err = serde_json::from_slice::<ErrorBody>(&body).unwrap_or_else(|_| ErrorBody {
                kind: ErrorKind::Internal,
                message: format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
            });
            return Err(ClientError::Api(err));
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
            target,
            message: e.to_string(),
        })
    }

    async fn roundtrip(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), ClientError> {
        let target = self.target.describe();
        let mut guard = self.conn.lock().await;
        for attempt in 0..2 {
            let reused = guard.as_ref().is_some_and(|s| !s.is_closed());
            if !reused {
                *guard = Some(self.connect().await?);
            }
            let sender = guard.as_mut().ok_or_else(|| ClientError::Http {
                target: target.clone(),
                message: "no connection".into(),
            })?;
            let req = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("host", "swarmd")
                .header("content-type", "application/json")
                .body(Full::new(body.clone()))
                .map_err(|e| ClientError::Http {
                    target: target.clone(),
                    message: e.to_string(),
                })?;
            // Whether a failure leaves the request surely unsent (so sending it again is safe
            // even for a POST that must not take effect twice).
            let mut unsent = true;
            let res = match sender.ready().await {
                Ok(()) => sender.try_send_request(req).await.map_err(|mut e| {
                    unsent = e.take_message().is_some();
                    e.into_error()
                }),
                Err(e) => Err(e),
            };
            match res {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| ClientError::Http {
                            target: target.clone(),
                            message: e.to_string(),
                        })?
                        .to_bytes();
                    return Ok((status, body));
                }
                Err(e) => {
                    *guard = None;
                    // A stale kept-alive connection: retry once on a new one, unless the request
                    // may have reached the server and is not idempotent (its outcome is then
                    // unknown, and the caller must hear so).
                    let may_retry = unsent || method == Method::GET;
                    if !(reused && attempt == 0 && may_retry) {
                        return Err(ClientError::Http {
                            target,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        Err(ClientError::Http {
            target,
            message: "connection lost".into(),
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        let target = self.target.describe();
        match &self.target {
            Target::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|cause| ClientError::Connect {
                        target: target.clone(),
                        cause,
                    })?;
                handshake(TokioIo::new(stream), target).await
            }
            Target::Tls { addr, config } => {
                let tcp = tcp_connect(addr, self.local_ip).await.map_err(|cause| {
                    ClientError::Connect {
                        target: target.clone(),
                        cause,
                    }
                })?;
                tcp.set_nodelay(true).ok();
                let host = match &self.server_name {
                    Some(name) => name.as_str(),
                    None => addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr),
                };
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name =
                    ServerName::try_from(host.to_string()).map_err(|e| ClientError::Tls {
                        target: target.clone(),
                        message: e.to_string(),
                    })?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| ClientError::Tls {
                        target: target.clone(),
                        message: e.to_string(),
                    })?;
                handshake(TokioIo::new(tls), target).await
            }
        }
    }
}

async fn tcp_connect(
    addr: &str,
    local_ip: Option<std::net::IpAddr>,
) -> std::io::Result<tokio::net::TcpStream> {
    let Some(ip) = local_ip else {
        return tokio::net::TcpStream::connect(addr).await;
    };
    let remote = tokio::net::lookup_host(addr)
        .await?
        .find(|a| a.is_ipv4() == ip.is_ipv4())
        .ok_or_else(|| std::io::Error::other(format!("no address of {addr} matches {ip}")))?;
    let sock = if ip.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    sock.bind(std::net::SocketAddr::new(ip, 0))?;
    sock.connect(remote).await
}

async fn handshake<T>(
    io: TokioIo<T>,
    target: String,
) -> Result<SendRequest<Full<Bytes>>, ClientError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| ClientError::Http {
            target,
            message: e.to_string(),
        })?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
