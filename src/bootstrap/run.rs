//! Running a bootstrap: connect, install, read the membership, plan, then init, join managers one
//! by one, join workers in parallel (bounded) and verify every node is Ready.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::arch::Binaries;
use super::nodes::{ManagerStatus, NodeRole, NodeStatus, NodeTable};
use super::plan::{plan, HostFacts, Plan};
use super::remote::{NodeConfig, Probe, RemoteHost, RemoteLayout, ServiceMode, StartMode};
use super::BootstrapError;
use crate::ssh::{ClusterKey, ConnectOptions, KnownHosts, SshClient};

/// swarmd's default port (Docker's cluster-management port; the template opens it between nodes).
pub const SWARMD_PORT: u16 = 2377;

/// One host to bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapHost {
    /// Inventory id (instance id, sandbox host name); used in messages.
    pub id: String,
    /// The EC2 instance it stands for (the same as `id` on AWS).
    pub instance: String,
    /// The role it should get.
    pub role: NodeRole,
    /// Where its sshd listens.
    pub ssh_addr: SocketAddr,
    /// The private IP other nodes reach it at.
    pub advertise_ip: IpAddr,
    /// Host name shown by `node ls` (default: the host's own).
    pub hostname: Option<String>,
    /// Where other nodes reach the containers' published ports, when not at `advertise_ip`
    /// (sandbox hosts share the machine's Docker engine, which publishes on the bridge).
    pub publish_ip: Option<IpAddr>,
    /// Where swarmd's files go on it.
    pub layout: RemoteLayout,
}

impl BootstrapHost {
    fn advertise_addr(&self, port: u16) -> String {
        SocketAddr::new(self.advertise_ip, port).to_string()
    }
}

/// How to bootstrap.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// The local swarmd binary to install (the default build).
    pub swarmd_binary: PathBuf,
    /// Builds for other architectures (each host gets the build of its `uname -m`).
    pub more_binaries: Vec<PathBuf>,
    /// The cluster's SSH key.
    pub key: ClusterKey,
    /// The cluster's known_hosts.
    pub known_hosts: KnownHosts,
    /// SSH connection settings (user, connect budget).
    pub connect: ConnectOptions,
    /// swarmd's port.
    pub port: u16,
    /// systemd unit or plain daemon.
    pub service: ServiceMode,
    /// How many workers join at once (>= 1).
    pub parallelism: usize,
    /// How many hosts are connected to and installed at once (>= 1).
    pub install_parallelism: usize,
    /// Limit for each wait (daemon answering, voter, all Ready).
    pub timeout: Duration,
    /// Print progress lines on stderr.
    pub progress: bool,
    /// The lifecycle consumer to install beside swarmd on every manager (None: not installed;
    /// a stack without a lifecycle queue, or Docker's engine).
    pub guide: Option<super::guide::GuideSetup>,
}

impl BootstrapOptions {
    /// Defaults: port 2377, automatic service mode, 8 installs and 8 worker joins at once, 120 s
    /// waits, progress on.
    pub fn new(
        swarmd_binary: impl Into<PathBuf>,
        key: ClusterKey,
        known_hosts: KnownHosts,
    ) -> Self {
        BootstrapOptions {
            swarmd_binary: swarmd_binary.into(),
            more_binaries: Vec::new(),
            key,
            known_hosts,
            connect: ConnectOptions::default(),
            port: SWARMD_PORT,
            service: ServiceMode::Auto,
            parallelism: 8,
            install_parallelism: 8,
            timeout: Duration::from_secs(120),
            progress: true,
            guide: None,
        }
    }
}

/// What a new node needs to join on its own: both join tokens (secret) and the managers'
/// addresses, read from the leader at the end of a bootstrap (swarmd only).
#[derive(Clone, PartialEq, Eq)]
pub struct JoinMaterial {
    /// The manager join token (secret).
    pub manager_token: String,
    /// The worker join token (secret).
    pub worker_token: String,
    /// The managers' `ip:port`, the leader first.
    pub managers: Vec<String>,
}

impl std::fmt::Debug for JoinMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinMaterial")
            .field("manager_token", &"<redacted>")
            .field("worker_token", &"<redacted>")
            .field("managers", &self.managers)
            .finish()
    }
}

/// What a bootstrap did and found.
#[derive(Debug, Clone)]
pub struct BootstrapReport {
    /// The join material for self-joining nodes (`None` for engines that keep their own).
    pub join: Option<JoinMaterial>,
    /// The steps it planned (after reading the membership).
    pub plan: Plan,
    /// `node ls` once every host was Ready.
    pub nodes: NodeTable,
    /// How long each phase took.
    pub timings: PhaseTimings,
}

/// Wall-clock time of each bootstrap phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseTimings {
    /// Connect, probe, upload and install on every host; restart hosts with state; read the
    /// membership.
    pub install: Duration,
    /// `swarmd init` until it leads.
    pub init: Duration,
    /// Manager joins (one by one, each until it is a voter).
    pub managers: Duration,
    /// Worker joins (in parallel) until each answers.
    pub workers: Duration,
    /// Until `node ls` shows every node Ready.
    pub verify: Duration,
}

/// Bootstraps swarmd onto `hosts` and returns the node table once every host is Ready.
pub async fn bootstrap(
    hosts: &[BootstrapHost],
    opts: &BootstrapOptions,
) -> Result<NodeTable, BootstrapError> {
    Ok(bootstrap_report(hosts, opts).await?.nodes)
}

fn say(opts: &BootstrapOptions, host: &str, msg: &str) {
    if opts.progress {
        eprintln!("bootstrap: {host}: {msg}");
    }
}

/// Like [`bootstrap`], also returning the plan it followed.
pub async fn bootstrap_report(
    hosts: &[BootstrapHost],
    opts: &BootstrapOptions,
) -> Result<BootstrapReport, BootstrapError> {
    for (field, value) in [
        ("parallelism", opts.parallelism),
        ("install_parallelism", opts.install_parallelism),
    ] {
        if value == 0 {
            return Err(BootstrapError::Input {
                field,
                value: "0".into(),
                fix: "give 1 or more",
            });
        }
    }
    let mut timings = PhaseTimings::default();
    let mut clock = Instant::now();
    let mut lap = move || {
        let now = Instant::now();
        let d = now - clock;
        clock = now;
        d
    };
    let mut paths = vec![opts.swarmd_binary.clone()];
    paths.extend(opts.more_binaries.iter().cloned());
    let binaries = Arc::new(Binaries::load(&paths).await?);
    let port = opts.port;

    // Connect, look, install: all hosts at once (bounded).
    let installed = parallel(hosts.to_vec(), opts.install_parallelism, |h| {
        let (opts, binaries) = (opts.clone(), binaries.clone());
        async move { connect_and_install(&h, &opts, &binaries).await }
    })
    .await?;
    let (remotes, probes): (Vec<RemoteHost>, Vec<Probe>) = installed.into_iter().unzip();

    // Hosts that were bootstrapped before: make sure their swarmd runs.
    let with_state: Vec<RemoteHost> = remotes
        .iter()
        .zip(&probes)
        .filter(|(_, p)| p.has_state)
        .map(|(r, _)| r.clone())
        .collect();
    let timeout = opts.timeout;
    parallel(with_state, opts.install_parallelism, move |r| async move {
        r.start().await?;
        r.wait_answering(timeout).await
    })
    .await?;

    let facts: Vec<HostFacts> = hosts
        .iter()
        .zip(&probes)
        .map(|(h, p)| HostFacts {
            id: h.id.clone(),
            role: h.role,
            advertise_addr: h.advertise_addr(port),
            has_state: p.has_state,
        })
        .collect();
    let membership = read_membership(&remotes, &facts, opts.timeout).await;
    let plan = plan(&facts, membership.as_ref())?;
    timings.install = lap();
    say(
        opts,
        "cluster",
        &format!(
            "{} to init, {} managers and {} workers to join, {} already in the cluster",
            usize::from(plan.init.is_some()),
            plan.managers.len(),
            plan.workers.len(),
            plan.skipped.len()
        ),
    );

    let leader = &remotes[plan.leader];
    let leader_addr = facts[plan.leader].advertise_addr.clone();
    let config = |i: usize, mode: StartMode| NodeConfig {
        mode,
        advertise_addr: facts[i].advertise_addr.clone(),
        listen_addr: SocketAddr::new(
            if hosts[i].advertise_ip.is_ipv4() {
                IpAddr::from([0, 0, 0, 0])
            } else {
                IpAddr::from([0u16; 8])
            },
            port,
        )
        .to_string(),
        hostname: hosts[i]
            .hostname
            .clone()
            .unwrap_or_else(|| hosts[i].id.clone()),
        publish_ip: hosts[i]
            .publish_ip
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        labels: vec![super::remote::instance_label(&hosts[i].instance)],
    };

    if let Some(i) = plan.init {
        say(opts, &hosts[i].id, "swarmd init");
        let r = &remotes[i];
        r.write_env(&config(i, StartMode::Init)).await?;
        r.start().await?;
        r.wait_answering(opts.timeout).await?;
        let addr = leader_addr.clone();
        r.wait_nodes(
            "wait for the new cluster to elect it leader",
            opts.timeout,
            |t| {
                t.by_addr(&addr)
                    .is_some_and(|n| n.manager_status == Some(ManagerStatus::Leader))
            },
        )
        .await?;
    }
    timings.init = lap();

    if !plan.managers.is_empty() {
        let token = leader.join_token(NodeRole::Manager).await?;
        for &i in &plan.managers {
            say(opts, &hosts[i].id, "joining as a manager");
            let r = &remotes[i];
            let mode = StartMode::Join {
                manager_addr: leader_addr.clone(),
                token: token.clone(),
            };
            let cfg = config(i, mode);
            r.write_env(&cfg).await?;
            r.start().await?;
            r.wait_answering(opts.timeout).await?;
            r.write_env(&cfg.scrubbed()).await?;
            let addr = facts[i].advertise_addr.clone();
            leader
                .wait_nodes(
                    &format!("wait for {} to be a Raft voter", hosts[i].id),
                    opts.timeout,
                    |t| t.by_addr(&addr).is_some_and(|n| n.is_voter()),
                )
                .await?;
        }
    }
    timings.managers = lap();

    if !plan.workers.is_empty() {
        let token = leader.join_token(NodeRole::Worker).await?;
        let jobs: Vec<(usize, RemoteHost, NodeConfig)> = plan
            .workers
            .iter()
            .map(|&i| {
                let mode = StartMode::Join {
                    manager_addr: leader_addr.clone(),
                    token: token.clone(),
                };
                (i, remotes[i].clone(), config(i, mode))
            })
            .collect();
        let progress = opts.progress;
        parallel(jobs, opts.parallelism, move |(_, r, cfg)| async move {
            if progress {
                eprintln!("bootstrap: {}: joining as a worker", r.id);
            }
            r.write_env(&cfg).await?;
            r.start().await?;
            r.wait_answering(timeout).await?;
            r.write_env(&cfg.scrubbed()).await
        })
        .await?;
    }
    timings.workers = lap();

    let nodes = leader
        .wait_nodes("wait for every node to be Ready", opts.timeout, |t| {
            all_ready(&facts, t)
        })
        .await?;
    timings.verify = lap();
    say(
        opts,
        "cluster",
        &format!("{} nodes Ready", nodes.ready_count()),
    );
    if let Some(setup) = &opts.guide {
        let mut without = Vec::new();
        for (i, f) in facts.iter().enumerate() {
            if f.role != NodeRole::Manager {
                continue;
            }
            if !super::guide::install(&remotes[i], &binaries, &probes[i].arch, setup).await? {
                without.push(hosts[i].id.clone());
            }
        }
        if without.is_empty() {
            say(
                opts,
                "cluster",
                "swarm-guide runs beside swarmd on every manager",
            );
        } else {
            say(
                opts,
                "cluster",
                &format!(
                    "no swarm-guide build beside swarmd for {}: terminations there will not \
                     drain first (build it: `cargo build -p swarm-guide`)",
                    without.join(", ")
                ),
            );
        }
    }
    let mut managers: Vec<String> = facts
        .iter()
        .filter(|f| f.role == NodeRole::Manager)
        .map(|f| f.advertise_addr.clone())
        .collect();
    managers.sort_by_key(|a| *a != leader_addr);
    let join = JoinMaterial {
        manager_token: leader.join_token(NodeRole::Manager).await?,
        worker_token: leader.join_token(NodeRole::Worker).await?,
        managers,
    };
    Ok(BootstrapReport {
        join: Some(join),
        plan,
        nodes,
        timings,
    })
}

/// Every host listed, Ready, with its role; managers are voters; exactly one leader (pure).
pub fn all_ready(hosts: &[HostFacts], t: &NodeTable) -> bool {
    let leaders = t
        .nodes
        .iter()
        .filter(|n| n.manager_status == Some(ManagerStatus::Leader))
        .count();
    leaders == 1
        && hosts.iter().all(|h| {
            t.by_addr(&h.advertise_addr).is_some_and(|n| {
                n.status == NodeStatus::Ready
                    && n.role == h.role
                    && (h.role == NodeRole::Worker || n.is_voter())
            })
        })
}

async fn connect_and_install(
    h: &BootstrapHost,
    opts: &BootstrapOptions,
    binaries: &Binaries,
) -> Result<(RemoteHost, Probe), BootstrapError> {
    say(opts, &h.id, &format!("connecting to {}", h.ssh_addr));
    let ssh = SshClient::connect(h.ssh_addr, &opts.key, &opts.known_hosts, &opts.connect)
        .await
        .map_err(|source| BootstrapError::Ssh {
            host: h.id.clone(),
            step: "connect".into(),
            source,
        })?;
    let mut remote = RemoteHost {
        id: h.id.clone(),
        ssh,
        layout: h.layout.clone(),
        systemd: false,
    };
    let probe = remote.probe().await?;
    remote.systemd = match opts.service {
        ServiceMode::Daemon => false,
        ServiceMode::Systemd => true,
        ServiceMode::Auto => probe.systemd && h.layout.is_system(),
    };
    if opts.service == ServiceMode::Systemd && !h.layout.is_system() {
        return Err(BootstrapError::Input {
            field: "service",
            value: format!("systemd with root {}", h.layout.root.display()),
            fix: "a systemd unit needs the system layout (root /); use the plain daemon",
        });
    }
    let binary = binaries.for_host(&h.id, &probe.arch)?;
    let sha256 = binary.sha256.as_str();
    let what = if probe.binary_sha256.as_deref() == Some(sha256) {
        "swarmd already installed"
    } else {
        "installing swarmd"
    };
    say(opts, &h.id, what);
    remote.install(&binary.bytes, sha256, &probe).await?;
    Ok((remote, probe))
}

/// `node ls` from the first member manager that answers; `None` when no host has state (a new
/// cluster) or none answers in time.
async fn read_membership(
    remotes: &[RemoteHost],
    facts: &[HostFacts],
    timeout: Duration,
) -> Option<NodeTable> {
    let candidates: Vec<&RemoteHost> = remotes
        .iter()
        .zip(facts)
        .filter(|(_, f)| f.has_state && f.role == NodeRole::Manager)
        .map(|(r, _)| r)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let start = Instant::now();
    while start.elapsed() < timeout {
        for r in &candidates {
            if let Ok(t) = r.node_ls().await {
                if t.leader().is_some() {
                    return Some(t);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    None
}

/// Runs `f` on every input, at most `limit` at once; results in input order; the first error
/// cancels the rest.
pub(crate) async fn parallel<T, R, F, Fut>(
    inputs: Vec<T>,
    limit: usize,
    f: F,
) -> Result<Vec<R>, BootstrapError>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, BootstrapError>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    let n = inputs.len();
    for (i, input) in inputs.into_iter().enumerate() {
        let gate = gate.clone();
        let fut = f(input);
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, fut.await)
        });
    }
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    while let Some(done) = set.join_next().await {
        let (i, result) = done.map_err(|e| BootstrapError::Task(e.to_string()))?;
        out[i] = Some(result?);
    }
    Ok(out.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::nodes::NodeRow;

    fn facts() -> Vec<HostFacts> {
        vec![
            HostFacts {
                id: "m".into(),
                role: NodeRole::Manager,
                advertise_addr: "10.0.0.1:2377".into(),
                has_state: true,
            },
            HostFacts {
                id: "w".into(),
                role: NodeRole::Worker,
                advertise_addr: "10.0.0.2:2377".into(),
                has_state: true,
            },
        ]
    }

    fn row(addr: &str, role: NodeRole, ms: Option<ManagerStatus>) -> NodeRow {
        NodeRow {
            id: "0000000000000001".into(),
            hostname: addr.into(),
            addr: addr.into(),
            role,
            availability: "active".into(),
            status: NodeStatus::Ready,
            manager_status: ms,
        }
    }

    #[test]
    fn all_ready_needs_every_host_ready_and_one_leader() {
        let mut t = NodeTable {
            nodes: vec![
                row(
                    "10.0.0.1:2377",
                    NodeRole::Manager,
                    Some(ManagerStatus::Leader),
                ),
                row("10.0.0.2:2377", NodeRole::Worker, None),
            ],
        };
        assert!(all_ready(&facts(), &t));
        t.nodes[1].status = NodeStatus::Down;
        assert!(!all_ready(&facts(), &t));
        t.nodes[1].status = NodeStatus::Ready;
        t.nodes[0].manager_status = Some(ManagerStatus::Reachable);
        assert!(!all_ready(&facts(), &t), "no leader");
        t.nodes.truncate(1);
        t.nodes[0].manager_status = Some(ManagerStatus::Leader);
        assert!(!all_ready(&facts(), &t), "worker missing");
    }

    #[tokio::test]
    async fn parallel_keeps_order_bounds_concurrency_and_fails() {
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r2, p2) = (running.clone(), peak.clone());
        let out = parallel((0..10).collect(), 3, move |i: usize| {
            let (running, peak) = (r2.clone(), p2.clone());
            async move {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                peak.fetch_max(now, SeqCst);
                tokio::time::sleep(Duration::from_millis(10 * (10 - i as u64))).await;
                running.fetch_sub(1, SeqCst);
                Ok(i * 2)
            }
        })
        .await
        .unwrap();
        assert_eq!(out, (0..10).map(|i| i * 2).collect::<Vec<_>>());
        assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 3);
        let err = parallel(vec![1, 2], 2, |i: u32| async move {
            if i == 2 {
                Err(BootstrapError::Task("boom".into()))
            } else {
                Ok(i)
            }
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("boom"));
    }
}
