//! The routing-mesh proxy on loopback: round-robin, changing backends, dead backends,
//! no backends, shutdown, and the per-port reconciler; UDP sessions through the mesh.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use swarm_agent::mesh::{Mesh, MeshKey};
use swarm_agent::proxy::{serve, Backends, ProxyOptions};
use swarm_api::publish::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{oneshot, watch};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn tcp(port: u16) -> MeshKey {
    (port, Protocol::Tcp)
}
const T: Duration = Duration::from_secs(30);

/// A backend that answers each connection with its name followed by what it read.
async fn backend(name: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let mut out = format!("{name}:").into_bytes();
                out.extend_from_slice(&buf[..n]);
                let _ = s.write_all(&out).await;
            });
        }
    });
    (addr, h)
}

/// Sends "hi" through addr and returns the whole answer ("" when the proxy closes at once).
async fn ask(addr: SocketAddr) -> String {
    tokio::time::timeout(T, async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(b"hi").await;
        let mut out = String::new();
        let _ = s.read_to_string(&mut out).await;
        out
    })
    .await
    .expect("proxy answered in time")
}

async fn proxy(
    backends: Vec<SocketAddr>,
) -> (
    SocketAddr,
    watch::Sender<Backends>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let l = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = watch::channel(Arc::new(backends));
    let (stop, stopped) = oneshot::channel::<()>();
    let opts = ProxyOptions {
        connect_timeout: Duration::from_secs(5),
        ..ProxyOptions::default()
    };
    let h = tokio::spawn(serve(l, rx, opts, async move {
        let _ = stopped.await;
    }));
    (addr, tx, stop, h)
}

fn tally(answers: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in answers {
        let name = a.split(':').next().unwrap_or("").to_string();
        *m.entry(name).or_insert(0) += 1;
    }
    m
}

#[tokio::test]
async fn connections_are_spread_round_robin_and_data_flows_both_ways() {
    let (a, _ha) = backend("a").await;
    let (b, _hb) = backend("b").await;
    let (c, _hc) = backend("c").await;
    let (addr, _tx, _stop, _h) = proxy(vec![a, b, c]).await;
    let mut answers = Vec::new();
    for _ in 0..9 {
        answers.push(ask(addr).await);
    }
    assert!(answers.iter().all(|x| x.ends_with(":hi")), "{answers:?}");
    assert_eq!(
        tally(&answers),
        BTreeMap::from([("a".into(), 3), ("b".into(), 3), ("c".into(), 3)])
    );
}

#[tokio::test]
async fn backend_changes_apply_to_new_connections() {
    let (a, _ha) = backend("a").await;
    let (b, _hb) = backend("b").await;
    let (addr, tx, _stop, _h) = proxy(vec![a]).await;
    assert_eq!(ask(addr).await, "a:hi");
    tx.send(Arc::new(vec![b])).unwrap();
    for _ in 0..3 {
        assert_eq!(ask(addr).await, "b:hi");
    }
}

#[tokio::test]
async fn dead_backends_are_skipped_and_no_backend_closes_the_connection() {
    let (a, _ha) = backend("a").await;
    // A port with nothing listening: bind, note, drop.
    let dead = TcpListener::bind((LOOPBACK, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (addr, tx, _stop, _h) = proxy(vec![dead, a, dead]).await;
    for _ in 0..4 {
        assert_eq!(ask(addr).await, "a:hi");
    }
    tx.send(Arc::new(vec![])).unwrap();
    assert_eq!(ask(addr).await, "");
    tx.send(Arc::new(vec![dead])).unwrap();
    assert_eq!(ask(addr).await, "");
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let (a, _ha) = backend("a").await;
    let (addr, _tx, stop, h) = proxy(vec![a]).await;
    assert_eq!(ask(addr).await, "a:hi");
    stop.send(()).unwrap();
    tokio::time::timeout(T, h)
        .await
        .expect("proxy ends")
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test]
async fn mesh_reconciles_ports_and_backends() {
    let (a, _ha) = backend("a").await;
    let (b, _hb) = backend("b").await;
    let free = || {
        std::net::TcpListener::bind((LOOPBACK, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (p1, p2) = (free(), free());
    let mut mesh = Mesh::new(LOOPBACK, ProxyOptions::default());
    mesh.apply(&HashMap::from([(tcp(p1), vec![a]), (tcp(p2), vec![b])]))
        .await
        .unwrap();
    let mut ports = vec![tcp(p1), tcp(p2)];
    ports.sort_unstable();
    assert_eq!(mesh.ports(), ports);
    assert_eq!(ask(SocketAddr::new(LOOPBACK, p1)).await, "a:hi");
    assert_eq!(ask(SocketAddr::new(LOOPBACK, p2)).await, "b:hi");

    // p1 now spreads over both; p2 is no longer published.
    mesh.apply(&HashMap::from([(tcp(p1), vec![a, b])]))
        .await
        .unwrap();
    assert_eq!(mesh.ports(), vec![tcp(p1)]);
    let answers = vec![
        ask(SocketAddr::new(LOOPBACK, p1)).await,
        ask(SocketAddr::new(LOOPBACK, p1)).await,
    ];
    assert_eq!(
        tally(&answers),
        BTreeMap::from([("a".into(), 1), ("b".into(), 1)])
    );
    assert!(
        TcpStream::connect(SocketAddr::new(LOOPBACK, p2))
            .await
            .is_err(),
        "p2 closed"
    );

    // A port taken by someone else is reported with the address.
    let taken = std::net::TcpListener::bind((LOOPBACK, 0)).unwrap();
    let tp = taken.local_addr().unwrap().port();
    let err = mesh
        .apply(&HashMap::from([(tcp(p1), vec![a]), (tcp(tp), vec![b])]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{tp}")),
        "{err}"
    );
    assert_eq!(mesh.ports(), vec![tcp(p1)]);
    mesh.shutdown().await;
    assert!(mesh.ports().is_empty());
}

/// A UDP backend that answers each datagram with `name@port:datagram`, `port` being the port it
/// came from (the mesh's session socket).
async fn udp_backend(name: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let s = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    let addr = s.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        loop {
            let (n, from) = s.recv_from(&mut buf).await.unwrap();
            let mut out = format!("{name}@{}:", from.port()).into_bytes();
            out.extend_from_slice(&buf[..n]);
            let _ = s.send_to(&out, from).await;
        }
    });
    (addr, h)
}

/// Sends `msg` from `client` to `to` and returns the answer.
async fn udp_ask(client: &UdpSocket, to: SocketAddr, msg: &str) -> String {
    client.send_to(msg.as_bytes(), to).await.unwrap();
    let mut buf = [0u8; 512];
    let (n, from) = tokio::time::timeout(T, client.recv_from(&mut buf))
        .await
        .expect("the mesh answered in time")
        .unwrap();
    assert_eq!(from, to, "the answer comes from the published port");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn udp_ports_keep_a_backend_per_client_and_spread_clients() {
    let (a, _ha) = udp_backend("a").await;
    let (b, _hb) = udp_backend("b").await;
    let port = std::net::UdpSocket::bind((LOOPBACK, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = ProxyOptions {
        udp_idle: Duration::from_millis(400),
        ..ProxyOptions::default()
    };
    let mut mesh = Mesh::new(LOOPBACK, opts);
    // The same port number over TCP and UDP are two entries.
    let (t, _ht) = backend("t").await;
    mesh.apply(&HashMap::from([
        ((port, Protocol::Udp), vec![a, b]),
        (tcp(port), vec![t]),
    ]))
    .await
    .unwrap();
    assert_eq!(mesh.ports(), vec![tcp(port), (port, Protocol::Udp)]);
    let published = SocketAddr::new(LOOPBACK, port);
    assert_eq!(ask(published).await, "t:hi");

    // One client keeps its backend across datagrams; a second client gets the other one.
    let c1 = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    let c2 = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    // The session (`name@port`) of an answer.
    let session = |answer: &str| answer.split(':').next().unwrap_or_default().to_string();
    let first = udp_ask(&c1, published, "x").await;
    let again = udp_ask(&c1, published, "y").await;
    assert_eq!(session(&first), session(&again), "{first} then {again}");
    assert!(again.ends_with(":y"), "{again}");
    let other = udp_ask(&c2, published, "z").await;
    let names: std::collections::BTreeSet<&str> = [&first[..1], &other[..1]].into_iter().collect();
    assert_eq!(
        names.len(),
        2,
        "{first} / {other}: two clients, two backends"
    );

    // A backend that leaves the set takes its sessions along: its client moves at once.
    let gone = if first.starts_with('a') { a } else { b };
    let stays = if gone == a { b } else { a };
    mesh.apply(&HashMap::from([((port, Protocol::Udp), vec![stays])]))
        .await
        .unwrap();
    let moved = udp_ask(&c1, published, "w").await;
    assert!(
        moved.starts_with(&other[..1]) && moved.ends_with(":w"),
        "{first} then {moved}"
    );

    // A session idle for longer than udp_idle ends; the client then gets the next backend.
    mesh.apply(&HashMap::from([((port, Protocol::Udp), vec![a, b])]))
        .await
        .unwrap();
    let before = udp_ask(&c2, published, "v").await;
    assert_eq!(session(&before), session(&other), "still the first session");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let after = udp_ask(&c2, published, "u").await;
    assert_ne!(
        session(&after),
        session(&before),
        "a new session after the idle time"
    );

    mesh.shutdown().await;
    assert!(mesh.ports().is_empty());
}
