//! A UDP proxy for one published port of the routing mesh.
//!
//! UDP has no connections, so the proxy keeps a session per client address: an ephemeral socket
//! connected to one backend, picked round-robin from the current set when the session starts.
//! Datagrams from the client go to that backend; replies come back through the published port to
//! that client, so a request/response protocol (DNS, say) sees the port it asked. A session idle
//! for longer than [`ProxyOptions::udp_idle`], or whose backend left the set (its task stopped),
//! is dropped; a client that speaks again gets a new one. With no backend, datagrams are dropped.
//!
//! Like the TCP proxy it takes an already bound socket and a shutdown future.

use std::collections::hash_map::{Entry, HashMap};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::proxy::{Backends, ProxyOptions};

/// Largest datagram forwarded.
const MAX_DATAGRAM: usize = 65_535;

struct Session {
    backend: SocketAddr,
    upstream: Arc<UdpSocket>,
    /// Milliseconds since the proxy started, at the last datagram either way.
    last: Arc<AtomicU64>,
    replies: JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.replies.abort();
    }
}

fn unspecified(backend: SocketAddr) -> SocketAddr {
    let ip = match backend.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// Opens a session for `client` towards `backend`: replies go back out of `public`.
async fn open(
    public: Arc<UdpSocket>,
    client: SocketAddr,
    backend: SocketAddr,
    started: Instant,
) -> std::io::Result<Session> {
    let upstream = UdpSocket::bind(unspecified(backend)).await?;
    upstream.connect(backend).await?;
    let upstream = Arc::new(upstream);
    let last = Arc::new(AtomicU64::new(started.elapsed().as_millis() as u64));
    let (up, seen) = (upstream.clone(), last.clone());
    let replies = tokio::spawn(async move {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        // A refused backend (ICMP unreachable) ends the session's replies; the sweep drops it.
        while let Ok(n) = up.recv(&mut buf).await {
            seen.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            let _ = public.send_to(&buf[..n], client).await;
        }
    });
    Ok(Session {
        backend,
        upstream,
        last,
        replies,
    })
}

/// Whether a session still forwards replies and had traffic within `idle` (`now`: milliseconds
/// since the proxy started).
fn alive(s: &Session, now: u64, idle: Duration) -> bool {
    !s.replies.is_finished()
        && now.saturating_sub(s.last.load(Ordering::Relaxed)) < idle.as_millis() as u64
}

/// Serves `socket` until `shutdown` completes, forwarding to the current `backends`.
pub async fn serve_udp(
    socket: UdpSocket,
    mut backends: watch::Receiver<Backends>,
    options: ProxyOptions,
    shutdown: impl Future<Output = ()>,
) {
    let public = Arc::new(socket);
    let started = Instant::now();
    let mut sessions: HashMap<SocketAddr, Session> = HashMap::new();
    let mut next = 0usize;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut sweep = tokio::time::interval(options.udp_idle / 2);
    tokio::pin!(shutdown);
    loop {
        let (n, client) = tokio::select! {
            r = public.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(_) => continue, // e.g. an ICMP error for an earlier reply
            },
            _ = sweep.tick() => {
                let now = started.elapsed().as_millis() as u64;
                sessions.retain(|_, s| alive(s, now, options.udp_idle));
                continue;
            }
            Ok(()) = backends.changed() => {
                // Sessions on a backend that went away (its task stopped) end at once.
                let current = backends.borrow_and_update().clone();
                sessions.retain(|_, s| current.contains(&s.backend));
                continue;
            }
            () = &mut shutdown => return,
        };
        // An expired session is not reused, even if the sweep has not run yet.
        let now = started.elapsed().as_millis() as u64;
        if sessions
            .get(&client)
            .is_some_and(|s| !alive(s, now, options.udp_idle))
        {
            sessions.remove(&client);
        }
        let session = match sessions.entry(client) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let current = backends.borrow().clone();
                if current.is_empty() {
                    continue;
                }
                let backend = current[next % current.len()];
                next = next.wrapping_add(1);
                match open(public.clone(), client, backend, started).await {
                    Ok(s) => v.insert(s),
                    Err(_) => continue,
                }
            }
        };
        session
            .last
            .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        if session.upstream.send(&buf[..n]).await.is_err() {
            sessions.remove(&client);
        }
    }
}
