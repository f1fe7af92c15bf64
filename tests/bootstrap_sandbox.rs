//! Bootstrap of real `swarmd` processes over SSH onto sandbox hosts (network namespaces with real
//! OpenSSH `sshd`s). Needs root, iproute2, openssh-server, openssh-client, and the `swarmd` binary:
//! `$SWARMD_BIN`, else `swarmd` in the same target dir as this test (`cargo test --workspace` and
//! `cargo build -p swarmd` put it there).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use swarm_aws::bootstrap::{
    bootstrap_report, sandbox_inventory, sandbox_options, sandbox_up_with, swarmd_on_manager,
    BootstrapOptions, ManagerStatus, NodeRole, NodeStatus, NodeTable,
};
use swarm_aws::sandbox::{Sandbox, SandboxHost};
use swarm_aws::ssh::ClusterKey;

/// The swarmd binary to install on the hosts.
fn swarmd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SWARMD_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("swarmd");
    assert!(
        bin.exists(),
        "no swarmd binary at {}: run `cargo build -p swarmd` (same profile and target dir) or set SWARMD_BIN",
        bin.display()
    );
    bin
}

/// A sandbox destroyed on drop, even when the test panics.
struct Fixture {
    sandbox: Sandbox,
    hosts: Vec<SandboxHost>,
    key: ClusterKey,
    _tmp: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Err(e) = self.sandbox.destroy() {
            eprintln!("cleanup of sandbox {} failed: {e}", self.sandbox.cluster());
        }
    }
}

fn fixture(tag: &str, count: usize) -> Fixture {
    static N: AtomicU32 = AtomicU32::new(0);
    // Short: the swarmd socket path under the state root must stay below 108 bytes.
    let name = format!(
        "b{tag}{}x{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::with_state_root(&name, tmp.path().join("s")).unwrap();
    let key = ClusterKey::generate("bootstrap-test").unwrap();
    let hosts = sandbox.create(count, &key.public_openssh()).unwrap();
    Fixture {
        sandbox,
        hosts,
        key,
        _tmp: tmp,
    }
}

fn options(f: &Fixture) -> BootstrapOptions {
    let mut o = sandbox_options(&f.sandbox, &f.key, &swarmd_binary());
    o.timeout = std::time::Duration::from_secs(180);
    o
}

/// Pids of live processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{name}: {cmd}"));
            }
        }
    }
    found
}

fn ids(t: &NodeTable) -> Vec<String> {
    let mut v: Vec<String> = t.nodes.iter().map(|n| n.id.clone()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_bootstrap_resumes_reruns_are_noops_and_destroy_leaves_nothing() {
    let f = fixture("r", 5);
    let inv = sandbox_inventory(&f.hosts, 3);
    let opts = options(&f);

    // An interrupted run: only the managers got done.
    let first = bootstrap_report(&inv[..3], &opts).await.unwrap();
    assert_eq!(first.plan.init, Some(0));
    assert_eq!(first.plan.managers, vec![1, 2]);
    assert_eq!(first.nodes.nodes.len(), 3);
    assert!(first.nodes.nodes.iter().all(|n| n.is_voter()));

    // The re-run (as `up --sandbox` does it: the existing hosts are reused) skips the managers
    // and joins the workers.
    let second = sandbox_up_with(&f.sandbox, &f.key, 3, 2, &opts)
        .await
        .unwrap();
    assert_eq!(second.plan.init, None);
    assert_eq!(second.plan.skipped, vec![0, 1, 2]);
    assert!(second.plan.managers.is_empty());
    assert_eq!(second.plan.workers, vec![3, 4]);
    let t = &second.nodes;
    assert_eq!(t.nodes.len(), 5, "{}", t.render());
    assert!(t.nodes.iter().all(|n| n.status == NodeStatus::Ready));
    let leaders = t
        .nodes
        .iter()
        .filter(|n| n.manager_status == Some(ManagerStatus::Leader))
        .count();
    assert_eq!(leaders, 1, "{}", t.render());
    for (h, host) in inv.iter().zip(&f.hosts) {
        let row = t
            .by_addr(&format!("{}:2377", host.addr))
            .unwrap_or_else(|| panic!("{} missing:\n{}", h.id, t.render()));
        assert_eq!(row.role, h.role);
        assert_eq!(Some(row.hostname.as_str()), h.hostname.as_deref());
    }
    let managers = t.nodes.iter().filter(|n| n.role == NodeRole::Manager);
    assert_eq!(managers.count(), 3);

    // Client verbs pass through to a manager; the first manager being down does not matter.
    f.sandbox.stop_host(&f.hosts[0].name).unwrap();
    let mut quick = opts.clone();
    quick.connect.backoff.total = std::time::Duration::from_secs(2);
    let args = ["node", "ls", "--format", "json"].map(String::from);
    // (The stopped host may have led: poll while the others elect a new leader.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let seen = loop {
        let last = match swarmd_on_manager(&inv, &quick, &args).await {
            Ok(out) if out.success() => match NodeTable::parse(&out.stdout_str()) {
                Ok(seen) => break seen,
                Err(e) => format!("bad JSON: {e}"),
            },
            Ok(out) => out.stderr_str(),
            Err(e) => e.to_string(),
        };
        assert!(
            std::time::Instant::now() < deadline,
            "node ls through a manager: {last}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(ids(&seen), ids(t));
    f.sandbox.start_host(&f.hosts[0].name).unwrap();

    // A third run (host-0 rebooted: its swarmd is started again) changes nothing: same nodes, nothing planned.
    let third = bootstrap_report(&inv, &opts).await.unwrap();
    assert!(third.plan.is_noop(), "{:?}", third.plan);
    assert_eq!(ids(&third.nodes), ids(t));

    // Secrets: the env files are 0600 and hold no token once joined, and no process carries a
    // token on its command line.
    for host in &f.hosts {
        let env = host.dir.join("etc/swarmd/swarmd.env");
        let text = std::fs::read_to_string(&env).unwrap();
        assert!(
            text.contains("SWARMD_JOIN_TOKEN=''"),
            "{}: {text}",
            env.display()
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&env).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{}", env.display());
    }
    assert!(processes_mentioning("SWMTKN").is_empty());

    // Every host runs its swarmd inside its own directory tree.
    let state = f.sandbox.state_dir().display().to_string();
    let running = processes_mentioning(&format!("{state}/"));
    for host in &f.hosts {
        let bin = host.dir.join("usr/local/bin/swarmd").display().to_string();
        assert!(
            running.iter().any(|p| p.contains(&bin)),
            "no swarmd of {} in {running:#?}",
            host.name
        );
    }

    f.sandbox.destroy().unwrap();
    assert!(
        f.sandbox.leftovers().is_empty(),
        "{:?}",
        f.sandbox.leftovers()
    );
    let left = processes_mentioning(&format!("{state}/"));
    assert!(left.is_empty(), "processes left: {left:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_binary_or_a_dead_host_is_named() {
    let f = fixture("e", 1);
    let inv = sandbox_inventory(&f.hosts, 1);
    let mut opts = options(&f);
    opts.swarmd_binary = PathBuf::from("/nonexistent/swarmd");
    let e = bootstrap_report(&inv, &opts).await.unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/swarmd") && e.contains("cargo build -p swarmd"),
        "{e}"
    );

    // A build for another architecture only (swarmd with its ELF machine set to the other
    // one): the host's `uname -m` does not match, and nothing is installed.
    let mut foreign = std::fs::read(swarmd_binary()).unwrap();
    let (other, code): (&str, u16) = match std::env::consts::ARCH {
        "aarch64" => ("x86_64", 62),
        _ => ("aarch64", 183),
    };
    foreign[18..20].copy_from_slice(&code.to_le_bytes());
    let foreign_path = f.sandbox.state_dir().join("swarmd-foreign");
    std::fs::write(&foreign_path, &foreign).unwrap();
    let mut opts = options(&f);
    opts.swarmd_binary = foreign_path;
    opts.connect.backoff.total = std::time::Duration::from_secs(10);
    let e = bootstrap_report(&inv, &opts).await.unwrap_err().to_string();
    assert!(
        e.contains("host-0")
            && e.contains(&format!("the host is {}", std::env::consts::ARCH))
            && e.contains(&format!("built for {other} only"))
            && e.contains("SWARMD_BIN="),
        "{e}"
    );

    let opts = options(&f);
    let e = sandbox_up_with(&f.sandbox, &f.key, 1, 1, &opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("managers + workers") && e.contains("down --sandbox"),
        "{e}"
    );
    let e = sandbox_up_with(&f.sandbox, &f.key, 0, 1, &opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("--managers 1"), "{e}");

    let mut opts = options(&f);
    opts.connect.backoff.total = std::time::Duration::from_secs(3);
    f.sandbox.stop_host(&f.hosts[0].name).unwrap();
    let e = bootstrap_report(&inv, &opts).await.unwrap_err().to_string();
    assert!(
        e.contains("host-0") && e.contains("connect") && e.contains(&f.hosts[0].addr.to_string()),
        "{e}"
    );
}
