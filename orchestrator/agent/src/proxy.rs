//! A TCP proxy for one published port of the routing mesh (UDP: [`crate::udp_proxy`]).
//!
//! Every accepted connection is forwarded to the next backend in round-robin order; the
//! backend set can change at any time (tasks start and stop) through a `watch` channel and
//! new connections use the new set at once, while established ones keep their backend. A
//! backend that refuses or does not answer within the connect timeout is skipped and the
//! next one tried, so a task that just died costs a retry, not a failed request. With no
//! backend at all the client connection is closed immediately.
//!
//! The proxy takes an already bound listener and a shutdown future (tests use port 0 on
//! loopback); on shutdown it stops accepting, established connections run to their end.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The backends of one published port: task addresses (container IP and target port).
pub type Backends = Arc<Vec<SocketAddr>>;

/// How long a UDP session without traffic is kept by default.
pub const DEFAULT_UDP_IDLE: Duration = Duration::from_secs(60);

/// Tuning of a proxy.
#[derive(Debug, Clone, Copy)]
pub struct ProxyOptions {
    /// How long to wait for a backend to accept before trying the next one.
    pub connect_timeout: Duration,
    /// How long a UDP session without traffic is kept (see [`crate::udp_proxy`]).
    pub udp_idle: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            connect_timeout: Duration::from_secs(3),
            udp_idle: DEFAULT_UDP_IDLE,
        }
    }
}

/// Connects to a backend, starting at the round-robin position and skipping dead ones.
async fn connect_any(
    backends: &[SocketAddr],
    next: &AtomicUsize,
    timeout: Duration,
) -> Option<(TcpStream, SocketAddr)> {
    if backends.is_empty() {
        return None;
    }
    let start = next.fetch_add(1, Ordering::Relaxed);
    for i in 0..backends.len() {
        let addr = backends[(start + i) % backends.len()];
        if let Ok(Ok(s)) = tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            return Some((s, addr));
        }
    }
    None
}

/// Serves `listener` until `shutdown` completes, forwarding to the current `backends`.
pub async fn serve(
    listener: TcpListener,
    backends: watch::Receiver<Backends>,
    options: ProxyOptions,
    shutdown: impl Future<Output = ()>,
) {
    let next = Arc::new(AtomicUsize::new(0));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => return,
        };
        let Ok((mut client, _peer)) = accepted else {
            // Out of descriptors or similar: back off a little instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let current = backends.borrow().clone();
        let next = next.clone();
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            if let Some((mut upstream, _addr)) =
                connect_any(&current, &next, options.connect_timeout).await
            {
                let _ = upstream.set_nodelay(true);
                let copied = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                if swarm_metrics::enabled() {
                    let m = &crate::metrics::METRICS;
                    m.mesh_connections.inc();
                    if let Ok((up, down)) = copied {
                        m.mesh_bytes.inc_by(up + down);
                    }
                }
            }
            // No backend: dropping the client closes it.
        });
    }
}
