//! The SSH client against real OpenSSH `sshd`s on sandbox hosts (network namespaces on a private
//! bridge). Needs root, `ip` (iproute2), `/usr/sbin/sshd` (openssh-server), `ssh-keygen`
//! (openssh-client) and `python3`; CI runs as root after `scripts/setup`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use russh::keys::{HashAlg, PublicKey};
use swarm_aws::sandbox::{Sandbox, SandboxHost};
use swarm_aws::ssh::{Backoff, ClusterKey, ConnectOptions, KnownHosts, SshClient, SshError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A sandbox destroyed on drop, even when the test panics.
struct Fixture {
    sandbox: Sandbox,
    hosts: Vec<SandboxHost>,
    key: ClusterKey,
    known_hosts: KnownHosts,
    _tmp: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Err(e) = self.sandbox.destroy() {
            eprintln!("cleanup of sandbox {} failed: {e}", self.sandbox.cluster());
        }
    }
}

/// A cluster name no other test (or parallel test run) uses.
fn unique_name(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn fixture(tag: &str, count: usize, key: ClusterKey) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::with_state_root(&unique_name(tag), tmp.path().join("state")).unwrap();
    let hosts = sandbox.create(count, &key.public_openssh()).unwrap();
    let known_hosts = KnownHosts::new(tmp.path().join("known_hosts"));
    Fixture {
        sandbox,
        hosts,
        key,
        known_hosts,
        _tmp: tmp,
    }
}

fn ssh_addr(host: &SandboxHost) -> SocketAddr {
    SocketAddr::from((host.addr, 22))
}

fn opts() -> ConnectOptions {
    ConnectOptions {
        backoff: Backoff {
            total: Duration::from_secs(60),
            ..Backoff::default()
        },
        ..ConnectOptions::default()
    }
}

async fn connect(f: &Fixture, host: &SandboxHost) -> Result<SshClient, SshError> {
    SshClient::connect(ssh_addr(host), &f.key, &f.known_hosts, &opts()).await
}

fn host_key_fingerprint(host: &SandboxHost) -> String {
    let text = std::fs::read_to_string(host.dir.join("ssh_host_ed25519_key.pub")).unwrap();
    PublicKey::from_openssh(text.trim())
        .unwrap()
        .fingerprint(HashAlg::Sha256)
        .to_string()
}

/// A child process killed on drop.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_upload_and_forward_on_two_hosts() {
    let f = fixture("main", 2, ClusterKey::generate("test").unwrap());
    let (h0, h1) = (&f.hosts[0], &f.hosts[1]);
    assert_ne!(h0.addr, h1.addr);
    let listed = f.sandbox.hosts().unwrap();
    assert_eq!(listed, f.hosts);
    assert_eq!(
        Sandbox::list_all(f.sandbox.state_root()).unwrap(),
        vec![f.sandbox.cluster().to_string()]
    );

    let c0 = connect(&f, h0).await.unwrap();
    let c1 = connect(&f, h1).await.unwrap();

    // exec: status, stdout and stderr apart.
    let out = c0.exec("echo out; echo err >&2; exit 3").await.unwrap();
    assert_eq!(out.exit_status, 3);
    assert_eq!(out.stdout_str(), "out\n");
    assert_eq!(out.stderr_str(), "err\n");
    assert!(c0.exec("true").await.unwrap().success());
    let err = c0
        .exec_timeout("sleep 60", Duration::from_secs(1))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&ssh_addr(h0).to_string())
            && err.contains("sleep 60")
            && err.contains("within 1s"),
        "{err}"
    );

    // Each host is its own network identity.
    let out = c1.exec("ip -o -4 addr show dev eth0").await.unwrap();
    assert!(
        out.stdout_str().contains(&format!("inet {}/24", h1.addr)),
        "{out:?}"
    );

    // Hosts reach each other (sshd banner of host-1 read from host-0).
    let probe = format!(
        "timeout 10 bash -c 'exec 3<>/dev/tcp/{}/22; head -c 7 <&3'",
        h1.addr
    );
    let out = c0.exec(&probe).await.unwrap();
    assert_eq!(out.stdout_str(), "SSH-2.0", "{out:?}");

    // Host keys were recorded on first contact, one line per host, and match the hosts' keys.
    let recorded = std::fs::read_to_string(f.known_hosts.path()).unwrap();
    assert_eq!(recorded.lines().count(), 2, "{recorded}");
    for host in [h0, h1] {
        let line = recorded
            .lines()
            .find(|l| l.starts_with(&format!("{} ", host.addr)))
            .unwrap_or_else(|| panic!("{} not recorded in\n{recorded}", host.addr));
        let key = PublicKey::from_openssh(line.split_once(' ').unwrap().1).unwrap();
        assert_eq!(
            key.fingerprint(HashAlg::Sha256).to_string(),
            host_key_fingerprint(host)
        );
    }
    // A second connection finds the host known and records nothing new.
    let again = connect(&f, h0).await.unwrap();
    assert!(again.exec("true").await.unwrap().success());
    assert_eq!(
        std::fs::read_to_string(f.known_hosts.path()).unwrap(),
        recorded
    );

    // upload: 5 MB, verified, with the mode asked for.
    let data: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let sum = c0
        .upload(&data, "/tmp/swarmd-upload-test", 0o755)
        .await
        .unwrap();
    let out = c0
        .exec("sha256sum /tmp/swarmd-upload-test; stat -c %a /tmp/swarmd-upload-test; ls /tmp | grep -c swarm-aws-upload || true")
        .await
        .unwrap();
    let text = out.stdout_str();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(&sum), "{text}");
    assert_eq!(lines.next(), Some("755"));
    assert_eq!(
        lines.next(),
        Some("0"),
        "temporary upload file left behind: {text}"
    );
    // An upload to a path that cannot be written fails with the path named.
    let err = c0
        .upload(b"x", "/nonexistent-dir/file", 0o644)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&h0.addr.to_string()) && err.contains("/nonexistent-dir/file"),
        "{err}"
    );

    // forward: a server bound to the host's loopback, unreachable from here, answers through SSH.
    let www = tempfile::tempdir().unwrap();
    std::fs::write(www.path().join("hello.txt"), "hello through the tunnel\n").unwrap();
    let _server = ChildGuard(
        h0.command("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "18080",
                "--directory",
            ])
            .arg(www.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !c0
        .exec("bash -c '</dev/tcp/127.0.0.1/18080' 2>/dev/null")
        .await
        .unwrap()
        .success()
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "http server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let fwd = c0.forward(listener, "127.0.0.1", 18080).unwrap();
    for _ in 0..2 {
        let mut local = tokio::net::TcpStream::connect(fwd.local_addr())
            .await
            .unwrap();
        local
            .write_all(b"GET /hello.txt HTTP/1.0\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut reply = String::new();
        local.read_to_string(&mut reply).await.unwrap();
        assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
        assert!(reply.ends_with("hello through the tunnel\n"), "{reply}");
    }
    // The same through a single tunnel stream.
    let mut tunnel = c0.open_tunnel("127.0.0.1", 18080).await.unwrap();
    tunnel
        .write_all(b"GET /missing HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    tunnel.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.0 404"), "{reply}");
    // A port nothing listens on is a Forward error naming the target.
    let Err(err) = c0.open_tunnel("127.0.0.1", 1).await else {
        panic!("a tunnel to a closed port opened");
    };
    let err = err.to_string();
    assert!(
        err.contains("127.0.0.1:1") && err.contains(&h0.addr.to_string()),
        "{err}"
    );

    c0.close().await.unwrap();
    c1.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_and_unreachable_address_times_out() {
    let f = fixture("hostkey", 1, ClusterKey::generate("test").unwrap());
    let h = &f.hosts[0];
    let old = host_key_fingerprint(h);
    connect(&f, h).await.unwrap().exec("true").await.unwrap();
    let recorded = std::fs::read_to_string(f.known_hosts.path()).unwrap();

    f.sandbox.regenerate_host_key(&h.name).unwrap();
    let new = host_key_fingerprint(h);
    assert_ne!(old, new);
    let err = connect(&f, h).await.unwrap_err();
    assert!(matches!(err, SshError::HostKeyMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    eprintln!("changed host key: {msg}");
    for part in [&h.addr.to_string(), &old, &new, "CHANGED"] {
        assert!(msg.contains(part), "{part:?} missing from: {msg}");
    }
    assert!(
        msg.contains(&f.known_hosts.path().display().to_string()),
        "{msg}"
    );
    // The recorded key is untouched: the new key was not silently accepted.
    assert_eq!(
        std::fs::read_to_string(f.known_hosts.path()).unwrap(),
        recorded
    );

    // An unused address in the sandbox subnet: bounded retries, then a timeout naming it.
    let unused = SocketAddr::from((f.sandbox.plan().unwrap().unused_addr(), 22));
    let opts = ConnectOptions {
        attempt_timeout: Duration::from_secs(2),
        backoff: Backoff {
            initial: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
            total: Duration::from_secs(5),
        },
        ..ConnectOptions::default()
    };
    let err = SshClient::connect(unused, &f.key, &f.known_hosts, &opts)
        .await
        .unwrap_err();
    let msg = err.to_string();
    eprintln!("unreachable: {msg}");
    assert!(
        matches!(err, SshError::Timeout { attempts, .. } if attempts >= 2),
        "{err:?}"
    );
    assert!(
        msg.contains(&format!("ssh {unused}: connection timed out after")),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_client_key_works_and_a_wrong_key_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let rsa_path = tmp.path().join("id_rsa");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
        .arg(&rsa_path)
        .status()
        .unwrap();
    assert!(status.success());
    let rsa = ClusterKey::load(&rsa_path).unwrap();
    assert_eq!(rsa.kind(), swarm_aws::ssh::KeyKind::Rsa);
    let f = fixture("auth", 1, rsa);
    let h = &f.hosts[0];

    let out = connect(&f, h).await.unwrap().exec("whoami").await.unwrap();
    assert_eq!(out.stdout_str(), "root\n");

    let wrong = ClusterKey::generate("not-the-cluster-key").unwrap();
    let err = SshClient::connect(ssh_addr(h), &wrong, &f.known_hosts, &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::AuthRejected { .. }), "{err:?}");
    let msg = err.to_string();
    eprintln!("wrong key: {msg}");
    for part in [
        &ssh_addr(h).to_string(),
        "authentication failed",
        "root",
        &wrong.fingerprint(),
    ] {
        assert!(msg.contains(part), "{part:?} missing from: {msg}");
    }
}

fn process_mentions(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

fn iptables_rule_exists(bridge: &str) -> bool {
    std::process::Command::new("iptables")
        .args(["-C", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn destroy_leaves_nothing_behind_and_is_idempotent() {
    let f = fixture("destroy", 2, ClusterKey::generate("test").unwrap());
    let state_dir = f.sandbox.state_dir();
    let bridge = f.sandbox.plan().unwrap().bridge();
    let made = f.sandbox.leftovers();
    let kinds = |kind: &str| made.iter().filter(|l| l.starts_with(kind)).count();
    // 2 netns, 2 veths and the bridge, 2 engines' run dirs, the registry's DNAT rule, and the
    // processes: per host sshd, dockerd, containerd; the registry.
    assert_eq!(
        (
            kinds("netns "),
            kinds("link "),
            kinds("engine dir "),
            kinds("iptables -t nat ")
        ),
        (2, 3, 2, 1),
        "{made:?}"
    );
    assert!(kinds("process ") >= 7, "{made:?}");
    // One sshd daemon per host, running from the host's own config.
    for host in &f.hosts {
        let pid = std::fs::read_to_string(host.dir.join("sshd.pid")).unwrap();
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(
            cmdline.contains(&host.dir.join("sshd_config").display().to_string()),
            "{cmdline}"
        );
    }
    assert!(process_mentions(&state_dir).len() >= 2);
    let has_iptables = std::process::Command::new("iptables")
        .arg("-V")
        .output()
        .is_ok();
    if has_iptables {
        assert!(iptables_rule_exists(&bridge));
    }

    // A later process (a new handle, no shared memory) cleans up from the state dir.
    let later = Sandbox::with_state_root(f.sandbox.cluster(), f.sandbox.state_root()).unwrap();
    later.destroy().unwrap();
    assert_eq!(later.leftovers(), Vec::<String>::new());
    assert_eq!(process_mentions(&state_dir), Vec::<String>::new());
    assert!(!state_dir.exists());
    let claims = std::fs::read_dir("/run/swarm-aws/sandbox-subnets").unwrap();
    for claim in claims.flatten() {
        let owner = std::fs::read_to_string(claim.path()).unwrap_or_default();
        assert_ne!(
            owner,
            later.cluster(),
            "subnet claim {} kept",
            claim.path().display()
        );
    }
    if has_iptables {
        assert!(!iptables_rule_exists(&bridge));
    }
    later.destroy().unwrap();
    assert!(later.hosts().is_err());
}

#[test]
fn destroy_works_from_names_alone_when_state_is_lost() {
    let f = fixture("nostate", 1, ClusterKey::generate("test").unwrap());
    let state_dir = f.sandbox.state_dir();
    std::fs::remove_file(state_dir.join("state.json")).unwrap();
    f.sandbox.destroy().unwrap();
    assert_eq!(f.sandbox.leftovers(), Vec::<String>::new());
    assert_eq!(process_mentions(&state_dir), Vec::<String>::new());
}

#[test]
fn creating_twice_is_refused_and_bad_names_are_named() {
    let f = fixture("twice", 1, ClusterKey::generate("test").unwrap());
    let err = f
        .sandbox
        .create(1, &f.key.public_openssh())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists") && err.contains(f.sandbox.cluster()),
        "{err}"
    );
    let err = Sandbox::with_state_root("bad name", "/tmp")
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"bad name\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_retries_until_a_booting_host_answers() {
    let f = fixture("boot", 1, ClusterKey::generate("test").unwrap());
    let h = f.hosts[0].clone();
    f.sandbox.stop_host(&h.name).unwrap();

    // While sshd is down the port is refused; a short budget runs out naming that.
    let short = ConnectOptions {
        backoff: Backoff {
            total: Duration::from_secs(1),
            ..Backoff::default()
        },
        ..ConnectOptions::default()
    };
    let err = SshClient::connect(ssh_addr(&h), &f.key, &f.known_hosts, &short)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SshError::Timeout { .. }), "{err:?}");
    assert!(msg.contains("refused"), "{msg}");

    // A connect with a normal budget started now succeeds once sshd comes back.
    let pending = {
        let (key, known) = (f.key.clone(), f.known_hosts.clone());
        let addr = ssh_addr(&h);
        tokio::spawn(async move { SshClient::connect(addr, &key, &known, &opts()).await })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!pending.is_finished(), "connected while sshd was down");
    let sandbox = f.sandbox.clone();
    let name = h.name.clone();
    tokio::task::spawn_blocking(move || sandbox.start_host(&name))
        .await
        .unwrap()
        .unwrap();
    let client = pending.await.unwrap().unwrap();
    assert_eq!(client.exec("echo up").await.unwrap().stdout_str(), "up\n");
}
