//! The netlink data plane against the real kernel, checked with iproute2 as an independent
//! reader: in a network namespace of its own (nothing on the host is touched), a network's
//! bridge and VXLAN device are made (twice: idempotent), a remote task's forwarding and
//! neighbour entries are added and removed, a local task (a `sleep` in another namespace)
//! is attached (twice) and exchanges UDP with its gateway through the bridge, and the network is removed. Needs
//! root (CAP_NET_ADMIN) and iproute2; loopback addresses 127.0.128.x only.

use std::net::Ipv4Addr;
use std::process::Command;

use swarm_overlay::netdev::{self, Peer};
use swarm_overlay::netlink::Netlink;

fn sh(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A UDP datagram from the task (10.0.42.3, in its namespace) to the gateway (10.0.42.1, in
/// this one) and the answer back: traffic crosses the veth and the bridge.
fn round_trip(pid: u32) {
    use std::net::UdpSocket;
    use std::time::Duration;
    let gw = UdpSocket::bind("10.0.42.1:0").unwrap();
    gw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let to = gw.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
        nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let s = UdpSocket::bind("10.0.42.3:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.send_to(b"ping", to).unwrap();
        let mut buf = [0u8; 16];
        let n = s.recv(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    let mut buf = [0u8; 16];
    let (n, from) = gw.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from.ip().to_string(), "10.0.42.3");
    gw.send_to(b"pong", from).unwrap();
    assert_eq!(t.join().unwrap(), b"pong");
}

/// Runs the whole scenario on a thread that moved into a fresh network namespace.
fn scenario() {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    sh(&["ip", "link", "set", "lo", "up"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The "task": a process in a namespace of its own.
    let mut task = Command::new("unshare")
        .args(["--net", "sleep", "60"])
        .spawn()
        .unwrap();
    let pid = task.id();
    let mine = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    for _ in 0..100 {
        if std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|n| n != mine) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    rt.block_on(async {
        let nl = Netlink::open().unwrap();
        let gws = vec!["10.0.42.1/24".to_string()];
        netdev::ensure_network(&nl, 4242, &gws).await.unwrap();
        netdev::ensure_network(&nl, 4242, &gws).await.unwrap();
        let vx = sh(&["ip", "-d", "link", "show", "swvx4242"]);
        for want in [
            "vxlan id 4242",
            "dstport 4789",
            "nolearning",
            "proxy",
            "master swbr4242",
        ] {
            assert!(vx.contains(want), "{want} in {vx}");
        }
        assert!(vx.contains("state UP") || vx.contains(",UP"), "{vx}");
        let br = sh(&["ip", "-d", "addr", "show", "swbr4242"]);
        assert!(
            br.contains("bridge") && br.contains("inet 10.0.42.1/24"),
            "{br}"
        );
        assert_eq!(br.matches("inet ").count(), 1, "once only: {br}");

        let peer = Peer {
            ip: Ipv4Addr::new(10, 0, 42, 7),
            node_ip: "127.0.128.2".into(),
        };
        netdev::add_peer(&nl, 4242, &peer).await.unwrap();
        netdev::add_peer(&nl, 4242, &peer).await.unwrap();
        let fdb = sh(&["bridge", "fdb", "show", "dev", "swvx4242"]);
        assert!(
            fdb.contains("02:42:0a:00:2a:07 dst 127.0.128.2 self permanent"),
            "{fdb}"
        );
        let neigh = sh(&["ip", "neigh", "show", "dev", "swvx4242"]);
        assert!(
            neigh.contains("10.0.42.7 lladdr 02:42:0a:00:2a:07 PERMANENT"),
            "{neigh}"
        );

        netdev::attach(&nl, "task1abcdef", pid, 4242, "10.0.42.3/24")
            .await
            .unwrap();
        let host = sh(&["ip", "link", "show", "svtask1ab4242"]);
        assert!(host.contains("master swbr4242"), "{host}");
        let p = pid.to_string();
        let inner = sh(&["nsenter", "-t", &p, "-n", "ip", "addr", "show", "ov4242"]);
        assert!(inner.contains("inet 10.0.42.3/24"), "{inner}");
        assert!(inner.contains("link/ether 02:42:0a:00:2a:03"), "{inner}");
        assert!(inner.contains("UP"), "{inner}");
        assert!(
            !ok(&["ip", "link", "show", "sctask1ab4242"]),
            "the task's end left this namespace"
        );
        // Traffic: the task reaches its gateway over the veth and the bridge.
        round_trip(pid);
        // Re-attaching (a restarted agent) replaces the veth (deleting the host end takes
        // the task's end with it).
        netdev::attach(&nl, "task1abcdef", pid, 4242, "10.0.42.3/24")
            .await
            .unwrap();
        let inner = sh(&["nsenter", "-t", &p, "-n", "ip", "addr", "show", "ov4242"]);
        assert!(inner.contains("inet 10.0.42.3/24"), "{inner}");
        round_trip(pid);

        netdev::remove_peer(&nl, 4242, &peer).await.unwrap();
        let fdb = sh(&["bridge", "fdb", "show", "dev", "swvx4242"]);
        assert!(!fdb.contains("02:42:0a:00:2a:07"), "{fdb}");
        let neigh = sh(&["ip", "neigh", "show", "dev", "swvx4242"]);
        assert!(!neigh.contains("10.0.42.7"), "{neigh}");

        netdev::remove_network(&nl, 4242).await.unwrap();
        assert!(!ok(&["ip", "link", "show", "swvx4242"]));
        assert!(!ok(&["ip", "link", "show", "swbr4242"]));
        netdev::remove_network(&nl, 4242).await.unwrap();
    });
    let _ = task.kill();
    let _ = task.wait();
}

#[test]
fn networks_peers_and_tasks_are_made_over_netlink() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    std::thread::spawn(scenario).join().unwrap();
}
