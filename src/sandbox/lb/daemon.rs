//! The LB process's loop: every [`super::ROUND`], read the ELB (listeners, health check), probe
//! the sandbox's hosts, open and close listeners, write the status; each listener accepts and
//! relays connections to a target in service.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::plan::{diff, Listener, Pool, Probe};
use super::{LbStatus, ListenerStatus, TargetStatus, STATUS_FILE};
use crate::sandbox::Sandbox;

/// How long a probe or a connection to a target may take.
const TIMEOUT: Duration = Duration::from_secs(2);

/// What the ELB says, as read from the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElbView {
    /// Its listeners.
    pub listeners: Vec<Listener>,
    /// Its health check target (`HTTP:44554/`).
    pub health_check: String,
    /// Its `HealthyThreshold`.
    pub healthy_threshold: u32,
}

struct Open {
    listener: Listener,
    instance_port: watch::Sender<u16>,
    task: JoinHandle<()>,
    error: Option<String>,
}

/// Runs the LB of `sandbox` on `addr` until killed: `read` gives the ELB's view each round.
pub async fn run<F, Fut>(sandbox: Sandbox, addr: Ipv4Addr, dir: PathBuf, name: String, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<ElbView, String>>,
{
    let pool = Arc::new(Mutex::new(Pool::default()));
    let mut open: BTreeMap<u16, Open> = BTreeMap::new();
    let mut view = ElbView {
        listeners: Vec::new(),
        health_check: format!("HTTP:{}/", crate::template::security::HEALTH_PORT),
        healthy_threshold: 2,
    };
    loop {
        let error = match read().await {
            Ok(v) => {
                view = v;
                None
            }
            Err(e) => Some(e),
        };
        let probe = Probe::parse(&view.health_check).unwrap_or(Probe::Http {
            port: crate::template::security::HEALTH_PORT,
            path: "/".into(),
        });
        let hosts: Vec<(String, Ipv4Addr)> = sandbox
            .hosts()
            .unwrap_or_default()
            .into_iter()
            .map(|h| (h.name, h.addr))
            .collect();
        let mut checks = tokio::task::JoinSet::new();
        for (_, a) in &hosts {
            let (a, probe) = (*a, probe.clone());
            checks.spawn(async move { (a, check(a, &probe).await) });
        }
        let mut results = Vec::new();
        while let Some(r) = checks.join_next().await {
            if let Ok(r) = r {
                results.push(r);
            }
        }
        pool.lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(&results, view.healthy_threshold);

        let now: Vec<Listener> = open.values().map(|o| o.listener).collect();
        let d = diff(&now, &view.listeners);
        for port in d.close {
            if let Some(o) = open.remove(&port) {
                o.task.abort();
                eprintln!("listener {addr}:{port} closed (gone from the ELB)");
            }
        }
        for l in d.retarget {
            if let Some(o) = open.get_mut(&l.port) {
                let _ = o.instance_port.send(l.instance_port);
                o.listener = l;
            }
        }
        for l in d.open {
            let (tx, rx) = watch::channel(l.instance_port);
            let (task, error) = match TcpListener::bind((addr, l.port)).await {
                Ok(sock) => {
                    eprintln!(
                        "listener {addr}:{} -> instance port {}",
                        l.port, l.instance_port
                    );
                    (tokio::spawn(serve(sock, rx, pool.clone())), None)
                }
                Err(e) => (tokio::spawn(async {}), Some(format!("cannot listen: {e}"))),
            };
            open.insert(
                l.port,
                Open {
                    listener: l,
                    instance_port: tx,
                    task,
                    error,
                },
            );
        }
        let in_service = pool.lock().unwrap_or_else(|e| e.into_inner()).in_service();
        let status = LbStatus {
            load_balancer: name.clone(),
            addr,
            health_check: view.health_check.clone(),
            listeners: open
                .values()
                .map(|o| ListenerStatus {
                    port: o.listener.port,
                    instance_port: o.listener.instance_port,
                    local: format!("{addr}:{}", o.listener.port),
                    error: o.error.clone(),
                })
                .collect(),
            targets: hosts
                .iter()
                .map(|(h, a)| TargetStatus {
                    host: h.clone(),
                    addr: *a,
                    in_service: in_service.contains(a),
                })
                .collect(),
            error,
            updated: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
        };
        if let Err(e) = crate::sandbox::save_json(&dir, STATUS_FILE, &status) {
            eprintln!("cannot write the status: {e}");
        }
        tokio::time::sleep(super::ROUND).await;
    }
}

/// One health check of `addr`: an HTTP `GET` answering 200, or a TCP connection that opens.
async fn check(addr: Ipv4Addr, probe: &Probe) -> bool {
    let attempt = async {
        match probe {
            Probe::Tcp { port } => TcpStream::connect((addr, *port)).await.is_ok(),
            Probe::Http { port, path } => http_ok(SocketAddr::from((addr, *port)), path).await,
        }
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .unwrap_or(false)
}

/// Whether `GET path` at `addr` answers a 2xx status (the first line is enough).
pub async fn http_ok(addr: SocketAddr, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return false;
    };
    let req =
        format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: swarm-aws-sandbox-lb\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 32];
    let mut n = 0;
    while n < 12 {
        match s.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2') && code.len() == 3)
}

/// Accepts connections on `sock` and relays each to a target in service, round robin; a target
/// that refuses hands the connection to the next one.
async fn serve(sock: TcpListener, instance_port: watch::Receiver<u16>, pool: Arc<Mutex<Pool>>) {
    loop {
        let Ok((mut inbound, _)) = sock.accept().await else {
            continue;
        };
        let port = *instance_port.borrow();
        let pool = pool.clone();
        tokio::spawn(async move {
            let tries = pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .in_service()
                .len();
            for _ in 0..tries {
                let Some(t) = pool.lock().unwrap_or_else(|e| e.into_inner()).pick() else {
                    break;
                };
                if let Ok(Ok(mut out)) =
                    tokio::time::timeout(TIMEOUT, TcpStream::connect((t, port))).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    return;
                }
            }
        });
    }
}
