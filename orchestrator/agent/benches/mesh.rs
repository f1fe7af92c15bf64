//! Routing-mesh proxy overhead on loopback (harness = false, prints a table): request/response
//! round trips straight to an echo backend and through the mesh, for TCP (a new connection per
//! request, as a short HTTP exchange) and UDP (one datagram each way, one client session), plus
//! UDP with 200 clients (200 sessions) spread over two backends.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use swarm_agent::mesh::Mesh;
use swarm_agent::proxy::ProxyOptions;
use swarm_api::publish::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn tcp_echo() -> SocketAddr {
    let l = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let _ = s.write_all(&buf[..n]).await;
            });
        }
    });
    addr
}

async fn udp_echo() -> SocketAddr {
    let s = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    let addr = s.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let (n, from) = s.recv_from(&mut buf).await.unwrap();
            let _ = s.send_to(&buf[..n], from).await;
        }
    });
    addr
}

async fn tcp_round_trips(to: SocketAddr, n: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let mut s = TcpStream::connect(to).await.unwrap();
        s.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await.unwrap();
    }
    start.elapsed()
}

/// `n` datagram round trips from one client; returns the time and how many got no answer
/// within 200 ms (UDP may drop when buffers overflow).
async fn udp_round_trips(to: SocketAddr, n: usize) -> (Duration, usize) {
    let c = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    let mut buf = [0u8; 64];
    let mut lost = 0;
    let start = Instant::now();
    for _ in 0..n {
        c.send_to(b"ping", to).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_millis(200), c.recv_from(&mut buf));
        if answer.await.is_err() {
            lost += 1;
        }
    }
    (start.elapsed(), lost)
}

async fn udp_many_clients(to: SocketAddr, clients: usize, each: usize) -> (Duration, usize) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        tasks.push(tokio::spawn(udp_round_trips(to, each)));
    }
    let mut lost = 0;
    for t in tasks {
        lost += t.await.unwrap().1;
    }
    (start.elapsed(), lost)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind((LOOPBACK, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn row(what: &str, n: usize, (d, lost): (Duration, usize)) {
    let per = d / n as u32;
    let rate = n as f64 / d.as_secs_f64();
    println!("| {what} | {n} | {lost} | {per:?} | {rate:.0}/s |");
}

#[tokio::main]
async fn main() {
    let (t1, u1, u2) = (tcp_echo().await, udp_echo().await, udp_echo().await);
    let port = free_port();
    let mut mesh = Mesh::new(LOOPBACK, ProxyOptions::default());
    mesh.apply(&HashMap::from([
        ((port, Protocol::Tcp), vec![t1]),
        ((port, Protocol::Udp), vec![u1, u2]),
    ]))
    .await
    .unwrap();
    let published = SocketAddr::new(LOOPBACK, port);
    // Warm up both paths.
    tcp_round_trips(published, 100).await;
    udp_round_trips(published, 100).await;

    println!("| path | round trips | lost | per round trip | rate |");
    println!("|---|---|---|---|---|");
    let tcp = |d| (d, 0);
    row(
        "TCP direct (connect, 4 B each way)",
        2_000,
        tcp(tcp_round_trips(t1, 2_000).await),
    );
    row(
        "TCP through the mesh",
        2_000,
        tcp(tcp_round_trips(published, 2_000).await),
    );
    row(
        "UDP direct (one datagram each way)",
        20_000,
        udp_round_trips(u1, 20_000).await,
    );
    row(
        "UDP through the mesh, 1 client",
        20_000,
        udp_round_trips(published, 20_000).await,
    );
    row(
        "UDP through the mesh, 200 clients x 100",
        20_000,
        udp_many_clients(published, 200, 100).await,
    );
    mesh.shutdown().await;
}
