//! Node addresses as Docker takes them, with real `swarmd` processes on hosts of their own:
//! each node runs in its own network namespace (veth links, the book's 172.30.5.x addresses,
//! interfaces named eth0/eth1), so `init` and `join` run exactly as the book types them, on
//! the default port 2377.
//!
//! - `swarmd init --advertise-addr 172.30.5.70` (the book's first command; no port → 2377);
//! - `init` with neither address on a host with two interfaces is refused with Docker's message
//!   (exit 2, nothing made);
//! - `swarmd join --token T 172.30.5.70:2377` without `--advertise-addr`: the node advertises
//!   the local address of its route to the manager;
//! - `--advertise-addr eth0` (an interface name), a manager address without a port, and
//!   `--availability drain`;
//! - bad addresses are refused with exit 2, naming the flag and the value;
//! - client options before the verb (`swarmd --state-dir X node ls`).
//!
//! Needs root (network namespaces); each test cleans up by killing its processes (the
//! namespaces and veth links vanish with them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{swarmd, wait_for, Out, BIN, WAIT};
use serde_json::Value;

/// A network namespace held open by a `sleep` process of its own.
struct Ns {
    holder: Child,
}

impl Ns {
    fn new() -> Ns {
        let holder = Command::new("unshare")
            .args(["--net", "sleep", "infinity"])
            .spawn()
            .expect("unshare (needs root)");
        let ns = Ns { holder };
        let own = std::fs::read_link("/proc/self/ns/net").expect("own netns");
        wait_for("the namespace to exist", WAIT, || {
            let theirs = std::fs::read_link(ns.path()).ok()?;
            (theirs != own).then_some(())
        });
        ns.sh("ip link set lo up");
        ns
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.holder.id()))
    }

    /// `nsenter --net=NS` + `cmd`.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program);
        c
    }

    /// Runs a shell line in the namespace; panics on failure.
    fn sh(&self, line: &str) {
        let o = self
            .command("sh")
            .args(["-c", line])
            .output()
            .expect("nsenter");
        assert!(
            o.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// `swarmd ARGS` in the namespace (client or failing daemon verbs), with its exit code.
    fn swarmd(&self, args: &[&str]) -> (Option<i32>, Out) {
        let o = self
            .command(BIN)
            .args(args)
            .env_remove("SWARMD_STATE_DIR")
            .env_remove("SWARMD_HOST")
            .output()
            .expect("swarmd");
        (
            o.status.code(),
            Out {
                ok: o.status.success(),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
        )
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Links `a`'s interface `a_if` to `b`'s `b_if` with a veth pair and addresses them.
fn link(a: &Ns, a_if: &str, a_ip: &str, b: &Ns, b_if: &str, b_ip: &str) {
    let o = Command::new("ip")
        .args(["link", "add", a_if, "netns"])
        .arg(a.holder.id().to_string())
        .args(["type", "veth", "peer", "name", b_if, "netns"])
        .arg(b.holder.id().to_string())
        .output()
        .expect("ip link add");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    a.sh(&format!(
        "ip addr add {a_ip} dev {a_if} && ip link set {a_if} up"
    ));
    b.sh(&format!(
        "ip addr add {b_ip} dev {b_if} && ip link set {b_if} up"
    ));
}

/// A daemon in a namespace, killed on drop.
struct Daemon {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

impl Daemon {
    fn start(ns: &Ns, tmp: &Path, name: &str, args: &[&str]) -> Daemon {
        let dir = tmp.join(name);
        let log = tmp.join(format!("{name}.log"));
        let err = std::fs::File::create(&log).expect("log");
        let child = ns
            .command(BIN)
            .args(args)
            .args(["--state-dir", &dir.display().to_string()])
            .args([
                "--hostname",
                name,
                "--no-executor",
                "--down-after-ms",
                "1500",
            ])
            .env_remove("SWARMD_STATE_DIR")
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("spawn swarmd");
        let d = Daemon { child, dir, log };
        wait_for(&format!("{name} to answer"), WAIT, || {
            d.cli(&["info", "--format", "json"]).ok.then_some(())
        });
        d
    }

    /// A client verb on the node's socket (unix sockets work across namespaces).
    fn cli(&self, args: &[&str]) -> Out {
        let dir = self.dir.display().to_string();
        let mut all = args.to_vec();
        all.extend(["--state-dir", &dir]);
        swarmd(&all)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node<'a>(nodes: &'a [Value], name: &str) -> Option<&'a Value> {
    nodes.iter().find(|n| n["hostname"] == name)
}

#[test]
fn init_and_join_take_addresses_as_docker_does() {
    let tmp = tempfile::TempDir::new().unwrap();
    let (a, b, c) = (Ns::new(), Ns::new(), Ns::new());
    // The manager's host has two interfaces: eth0 towards node2, eth1 towards node3.
    link(&a, "eth0", "172.30.5.70/24", &b, "eth0", "172.30.5.71/24");
    link(&a, "eth1", "172.30.6.1/24", &c, "eth0", "172.30.6.72/24");
    c.sh("ip route add default via 172.30.6.1");

    // No address at all on a host with two: Docker's refusal, exit 2, nothing made.
    let m1_dir = tmp.path().join("node1");
    let (code, o) = a.swarmd(&["init", "--state-dir", &m1_dir.display().to_string()]);
    assert_eq!(code, Some(2), "{o:?}");
    assert!(
        o.stderr.contains(
            "could not choose an IP address to advertise since this system has multiple \
             addresses on different interfaces"
        ) && o.stderr.contains("172.30.5.70 on eth0")
            && o.stderr.contains("172.30.6.1 on eth1")
            && o.stderr.contains("--advertise-addr"),
        "{o:?}"
    );
    assert!(!m1_dir.join("node.json").exists(), "nothing half-made");

    // The book's first command: an IP without a port; 2377 by default.
    let m1 = Daemon::start(
        &a,
        tmp.path(),
        "node1",
        &["init", "--advertise-addr", "172.30.5.70"],
    );
    // Initialised once the node lists itself (its own entry is applied a moment after the
    // API answers).
    wait_for("the cluster initialised", WAIT, || {
        m1.cli(&["node", "inspect", "self"]).ok.then_some(())
    });
    let me = m1.cli(&["node", "inspect", "self"]).json();
    assert_eq!(me[0]["addr"], "172.30.5.70:2377", "{me}\n{}", m1.log());
    let token = m1.cli(&["join-token", "-q", "worker"]);
    assert!(token.ok, "{token:?}");
    let token = token.stdout.trim().to_string();

    // The book's join: no --advertise-addr, default listen 0.0.0.0:2377; the node advertises
    // the local address of its route to the manager.
    let w1 = Daemon::start(
        &b,
        tmp.path(),
        "node2",
        &["join", "--token", &token, "172.30.5.70:2377"],
    );
    // An interface name, a manager address without a port, and --availability.
    let w2 = Daemon::start(
        &c,
        tmp.path(),
        "node3",
        &[
            "join",
            "--token",
            &token,
            "--advertise-addr",
            "eth0",
            "--availability",
            "drain",
            "172.30.5.70",
        ],
    );
    let nodes = wait_for("both workers Ready", WAIT, || {
        let o = m1.cli(&["node", "ls", "--format", "json"]);
        let v: Vec<Value> = serde_json::from_str(&o.stdout).ok()?;
        let ready = |n: &str| node(&v, n).is_some_and(|x| x["status"] == "ready");
        (ready("node2") && ready("node3")).then_some(v)
    });
    let n2 = node(&nodes, "node2").unwrap();
    assert_eq!(n2["addr"], "172.30.5.71:2377", "{nodes:?}\n{}", w1.log());
    assert_eq!(n2["availability"], "active");
    let n3 = node(&nodes, "node3").unwrap();
    assert_eq!(n3["addr"], "172.30.6.72:2377", "{nodes:?}\n{}", w2.log());
    assert_eq!(n3["availability"], "drain");
    // Each worker reaches the manager and keeps beating (Ready after more than a Down period
    // is what the wait above saw); the manager reaches them too: node inspect of each.
    // Client options also go before the verb, as `docker --host H node ls` (issue #13).
    let dir = m1.dir.display().to_string();
    let o = swarmd(&["--state-dir", &dir, "node", "ls", "--format", "json"]);
    assert_eq!(o.json().as_array().map(Vec::len), Some(3), "{o:?}");
    for n in ["node2", "node3"] {
        let o = m1.cli(&["node", "inspect", "--pretty", n]);
        assert!(
            o.ok && o.stdout.contains(&format!("Hostname:               {n}")),
            "{o:?}"
        );
    }
}

#[test]
fn bad_addresses_are_refused_with_exit_2_naming_flag_and_value() {
    let tmp = tempfile::TempDir::new().unwrap();
    let ns = Ns::new();
    ns.sh("ip link add eth0 type veth peer name eth9 && ip addr add 10.9.0.1/24 dev eth0 && ip addr add 10.9.0.2/24 dev eth0 && ip link set eth0 up");
    let dir = tmp.path().join("n");
    let d = dir.display().to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &["init", "--advertise-addr", "172.30.5.70:99999"],
            "invalid --advertise-addr \"172.30.5.70:99999\"",
        ),
        (
            &["init", "--advertise-addr", "nosuch0"],
            "invalid --advertise-addr \"nosuch0\"",
        ),
        (
            &["init", "--advertise-addr", "eth0"],
            "interface eth0 has more than one IPv4 address (10.9.0.1 and 10.9.0.2)",
        ),
        (&["init", "--advertise-addr", "0.0.0.0"], "non-zero IP"),
        (
            &["init", "--listen-addr", "10.9.0.1:x"],
            "invalid --listen-addr \"10.9.0.1:x\"",
        ),
        (
            &[
                "join",
                "--token",
                "SWMTKN-1-x",
                "--advertise-addr",
                "10.9.0.1",
                "mgr:0",
            ],
            "invalid manager address \"mgr:0\"",
        ),
    ];
    for (args, want) in cases {
        let mut all = args.to_vec();
        all.extend(["--state-dir", &d, "--no-executor"]);
        let (code, o) = ns.swarmd(&all);
        assert_eq!(code, Some(2), "{args:?}: {o:?}");
        assert!(o.stderr.contains(want), "{args:?}: want {want:?} in {o:?}");
        assert!(!dir.join("node.json").exists(), "{args:?}: nothing made");
    }
}
