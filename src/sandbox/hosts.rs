//! Creating, listing and destroying a cluster's sandbox hosts.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cmd::{euid, have, run, run_quiet};
use super::engine::{self, Engine};
use super::plan::{self, Plan, ENGINE_RUN_ROOT, MAX_HOSTS};
use super::registry::{self, Registry};
use super::share::{self, Share};
use super::state::{HostState, State};
use super::{sshd, sweep, SandboxError};

/// Machine-wide subnet claims, shared by every state root: one file per claimed subnet index,
/// holding the cluster name. On tmpfs, so claims vanish with the bridges at reboot.
const SUBNET_CLAIMS: &str = "/run/swarm-aws/sandbox-subnets";

/// How long a host's sshd may take to start listening.
const SSHD_START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a host's engine may take to answer `/_ping` (all hosts' engines start at once).
const ENGINE_START_TIMEOUT: Duration = Duration::from_secs(60);

/// The file, in a host's dir, with the environment the host gives swarmd (its engine's socket),
/// read by swarmd's start wrapper as `/etc/swarmd/host.env` is on an instance.
pub const HOST_ENV: &str = "etc/swarmd/host.env";

/// The root of all sandbox state dirs: `$XDG_STATE_HOME/swarm-aws/sandbox` (or
/// `~/.local/state/swarm-aws/sandbox`).
pub fn sandbox_state_root() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .unwrap_or_else(|| PathBuf::from("/var/lib"));
    base.join("swarm-aws").join("sandbox")
}

/// One sandbox host, as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxHost {
    /// `host-<index>`.
    pub name: String,
    /// 0-based position.
    pub index: usize,
    /// Its address (sshd listens on port 22 there).
    pub addr: Ipv4Addr,
    /// Its network namespace.
    pub netns: String,
    /// Its state dir (sshd config, host key, log).
    pub dir: PathBuf,
}

impl SandboxHost {
    fn from_state(h: &HostState) -> Self {
        SandboxHost {
            name: h.name.clone(),
            index: h.index,
            addr: h.addr,
            netns: h.netns.clone(),
            dir: h.dir.clone(),
        }
    }

    /// The host's sshd log.
    pub fn sshd_log(&self) -> PathBuf {
        self.dir.join(sshd::LOG)
    }

    /// The Docker API socket of the host's own engine (its `dockerd` in the host's namespace).
    pub fn docker_socket(&self) -> PathBuf {
        engine::socket_in(&Path::new(ENGINE_RUN_ROOT).join(&self.netns))
    }

    /// The host's engine's log.
    pub fn dockerd_log(&self) -> PathBuf {
        self.dir.join(engine::LOG)
    }

    /// A `Command` that runs `program` inside this host's network namespace (`ip netns exec`).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.netns, program]);
        cmd
    }
}

/// The sandbox of one cluster. All operations are blocking (they run `ip`, `ssh-keygen`, `sshd`).
#[derive(Debug, Clone)]
pub struct Sandbox {
    cluster: String,
    root: PathBuf,
}

impl Sandbox {
    /// The sandbox of `cluster`, with state under [`sandbox_state_root`].
    pub fn new(cluster: &str) -> Result<Self, SandboxError> {
        Self::with_state_root(cluster, sandbox_state_root())
    }

    /// The sandbox of `cluster`, with state under `root` (tests use a temporary dir).
    pub fn with_state_root(cluster: &str, root: impl Into<PathBuf>) -> Result<Self, SandboxError> {
        plan::validate_cluster_name(cluster)?;
        Ok(Sandbox {
            cluster: cluster.to_string(),
            root: root.into(),
        })
    }

    /// The clusters that have sandbox state under `root` (e.g. [`sandbox_state_root`]), sorted.
    pub fn list_all(root: &Path) -> Result<Vec<String>, SandboxError> {
        let entries = match std::fs::read_dir(root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SandboxError::io(root, e)),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().join(super::state::STATE_FILE).exists())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The cluster name.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// This sandbox's state dir.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(&self.cluster)
    }

    /// Where the cluster's authorized public key is kept for the hosts' sshd.
    pub fn authorized_keys(&self) -> PathBuf {
        self.state_dir().join("authorized_keys")
    }

    /// Whether state for this sandbox exists.
    pub fn exists(&self) -> bool {
        self.state_dir().join(super::state::STATE_FILE).exists()
    }

    /// The names and addresses in use (needs the sandbox to exist).
    pub fn plan(&self) -> Result<Plan, SandboxError> {
        Ok(Plan::new(&self.cluster, self.load()?.subnet))
    }

    /// Creates `count` hosts, each accepting `public_key` (one OpenSSH line) for root.
    /// On failure, everything made so far is destroyed again.
    pub fn create(&self, count: usize, public_key: &str) -> Result<Vec<SandboxHost>, SandboxError> {
        self.create_with(count, public_key, false)
    }

    /// [`Sandbox::create`], with `metrics`: every host's swarmd (now and later) serves
    /// `/metrics` on its TLS port (`--metrics-addr tls`), for `up --monitoring`.
    pub fn create_with(
        &self,
        count: usize,
        public_key: &str,
        metrics: bool,
    ) -> Result<Vec<SandboxHost>, SandboxError> {
        preflight()?;
        if count > MAX_HOSTS {
            return Err(SandboxError::TooManyHosts {
                cluster: self.cluster.clone(),
                max: MAX_HOSTS,
                asked: count,
            });
        }
        if self.exists() {
            return Err(SandboxError::Exists {
                cluster: self.cluster.clone(),
                state_dir: self.state_dir(),
            });
        }
        match self.try_create(count, public_key, metrics) {
            Ok(hosts) => Ok(hosts),
            Err(e) => {
                let _ = self.destroy();
                Err(e)
            }
        }
    }

    fn try_create(
        &self,
        count: usize,
        public_key: &str,
        metrics: bool,
    ) -> Result<Vec<SandboxHost>, SandboxError> {
        let dir = self.state_dir();
        std::fs::create_dir_all(&dir).map_err(|e| SandboxError::io(&dir, e))?;
        let subnet = self.claim_subnet()?;
        let plan = Plan::new(&self.cluster, subnet);
        let mut state = State {
            cluster: self.cluster.clone(),
            subnet,
            hosts: Vec::new(),
            next_index: 0,
            share: {
                let (cpus, memory) = share::machine();
                Some(Share::of(cpus, memory, count))
            },
            metrics,
        };
        state.save(&dir)?;

        let keys = self.authorized_keys();
        std::fs::write(&keys, format!("{}\n", public_key.trim()))
            .map_err(|e| SandboxError::io(&keys, e))?;

        let bridge = plan.bridge();
        run_quiet("ip", &["link", "del", &bridge]);
        run("ip", &["link", "add", &bridge, "type", "bridge"])?;
        let gw = format!("{}/24", plan.gateway());
        run("ip", &["addr", "add", &gw, "dev", &bridge])?;
        run("ip", &["link", "set", &bridge, "up"])?;
        allow_bridge_forwarding(&bridge)?;
        self.registry().start(
            plan.registry_listen(),
            plan.registry_addr(),
            &plan.rule_comment(),
        )?;

        self.make_hosts(&plan, &dir, &mut state, 0..count)
    }

    /// Makes the hosts with `indices`, each recorded in the state before it is made (so a later
    /// teardown finds it), then waits until every new sshd listens.
    fn make_hosts(
        &self,
        plan: &Plan,
        dir: &Path,
        state: &mut State,
        indices: std::ops::Range<usize>,
    ) -> Result<Vec<SandboxHost>, SandboxError> {
        let mut added = Vec::new();
        for index in indices {
            let host = HostState {
                index,
                name: plan.host_name(index),
                netns: plan.netns(index),
                addr: plan.host_addr(index),
                dir: dir.join(plan.host_name(index)),
            };
            state.hosts.push(host.clone());
            state.next_index = index + 1;
            state.save(dir)?;
            self.make_host(plan, &host, state.share, state.metrics)?;
            added.push(host);
        }
        for host in &added {
            sshd::wait_listening(&host.name, host.addr, &host.dir, SSHD_START_TIMEOUT)?;
        }
        for host in &added {
            engine_of(plan, host).wait_ready(&host.name, ENGINE_START_TIMEOUT)?;
        }
        Ok(added.iter().map(SandboxHost::from_state).collect())
    }

    fn make_host(
        &self,
        plan: &Plan,
        host: &HostState,
        share: Option<Share>,
        metrics: bool,
    ) -> Result<(), SandboxError> {
        let ns = host.netns.as_str();
        let veth = plan.veth(host.index);
        run_quiet("ip", &["netns", "del", ns]);
        run("ip", &["netns", "add", ns])?;
        run(
            "ip",
            &[
                "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ],
        )?;
        run(
            "ip",
            &["link", "set", &veth, "master", &plan.bridge(), "up"],
        )?;
        let addr = format!("{}/24", host.addr);
        run("ip", &["-n", ns, "addr", "add", &addr, "dev", "eth0"])?;
        run("ip", &["-n", ns, "link", "set", "eth0", "up"])?;
        run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
        let gw = plan.gateway().to_string();
        run("ip", &["-n", ns, "route", "add", "default", "via", &gw])?;

        std::fs::create_dir_all(&host.dir).map_err(|e| SandboxError::io(&host.dir, e))?;
        sshd::generate_host_key(&host.dir, &format!("{}@{}", host.name, self.cluster))?;
        let cfg_path = host.dir.join(sshd::CONFIG);
        let cfg = sshd::config(host.addr, &host.dir, &self.authorized_keys());
        std::fs::write(&cfg_path, cfg).map_err(|e| SandboxError::io(&cfg_path, e))?;
        sshd::start(ns, &host.dir)?;

        let engine = engine_of(plan, host);
        let env_path = host.dir.join(HOST_ENV);
        if let Some(parent) = env_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SandboxError::io(parent, e))?;
        }
        let env = format!(
            "# written by swarm-aws: this sandbox host's own container engine and its share of\n\
             # the machine\n\
             SWARMD_DOCKER_SOCKET='{}'\n{}{}",
            engine.socket().display(),
            share.map(|s| s.env_lines()).unwrap_or_default(),
            if metrics {
                "# up --monitoring: /metrics on the TLS port, to admin certificates\n\
                 SWARMD_METRICS_ADDR='tls'\n"
            } else {
                ""
            }
        );
        std::fs::write(&env_path, env).map_err(|e| SandboxError::io(&env_path, e))?;
        engine::route_registry(ns, plan.registry_addr(), plan.registry_listen())?;
        engine.start(&trusted_registries(plan))
    }

    /// The sandbox's registry.
    fn registry(&self) -> Registry {
        Registry {
            dir: self.state_dir().join(registry::DIR),
        }
    }

    /// The registry's name in image references (`127.213.<k>.1:5000`): push to it from this
    /// machine (`docker tag app ADDR/app && docker push ADDR/app`), name it in services.
    pub fn registry_addr(&self) -> Result<std::net::SocketAddrV4, SandboxError> {
        Ok(self.plan()?.registry_addr())
    }

    /// Adds `count` hosts to an existing sandbox (new instances after `scale`), on its bridge and
    /// subnet, accepting the key its hosts already accept. New hosts get indices after the highest
    /// ever used, so an address is never reused with a new host key.
    pub fn add_hosts(&self, count: usize) -> Result<Vec<SandboxHost>, SandboxError> {
        preflight()?;
        let dir = self.state_dir();
        let mut state = self.load()?;
        let plan = Plan::new(&self.cluster, state.subnet);
        let first = state
            .hosts
            .iter()
            .map(|h| h.index + 1)
            .max()
            .unwrap_or(0)
            .max(state.next_index);
        if first + count > MAX_HOSTS {
            return Err(SandboxError::TooManyHosts {
                cluster: self.cluster.clone(),
                max: MAX_HOSTS,
                asked: first + count,
            });
        }
        let added = self.make_hosts(&plan, &dir, &mut state, first..first + count)?;
        self.reload_monitoring()?;
        Ok(added)
    }

    /// Whether the hosts' swarmd serve `/metrics` on their TLS port (made with monitoring).
    pub fn metrics(&self) -> bool {
        self.load().is_ok_and(|s| s.metrics)
    }

    /// Removes host `name` (a terminated instance): stops every process in its namespace (sshd,
    /// swarmd), deletes the namespace and its veth, its state dir and its entry in the state.
    pub fn remove_host(&self, name: &str) -> Result<(), SandboxError> {
        let uid = euid();
        if uid != 0 {
            return Err(SandboxError::NotRoot { uid });
        }
        let dir = self.state_dir();
        let mut state = self.load()?;
        let Some(pos) = state.hosts.iter().position(|h| h.name == name) else {
            return Err(SandboxError::UnknownHost {
                cluster: self.cluster.clone(),
                host: name.to_string(),
            });
        };
        let host = state.hosts[pos].clone();
        let plan = Plan::new(&self.cluster, state.subnet);
        let engine = engine_of(&plan, &host);
        engine.stop();
        sshd::kill_all_in(&host.netns);
        engine.sweep();
        run_quiet("ip", &["netns", "del", &host.netns]);
        run_quiet("ip", &["link", "del", &plan.veth(host.index)]);
        state.next_index = state.next_index.max(host.index + 1);
        state.hosts.remove(pos);
        state.save(&dir)?;
        self.reload_monitoring()?;
        match std::fs::remove_dir_all(&host.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SandboxError::io(&host.dir, e)),
        }
    }

    /// The hosts of this sandbox.
    pub fn hosts(&self) -> Result<Vec<SandboxHost>, SandboxError> {
        Ok(self
            .load()?
            .hosts
            .iter()
            .map(SandboxHost::from_state)
            .collect())
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Result<SandboxHost, SandboxError> {
        self.hosts()?
            .into_iter()
            .find(|h| h.name == name)
            .ok_or_else(|| SandboxError::UnknownHost {
                cluster: self.cluster.clone(),
                host: name.to_string(),
            })
    }

    /// Stops every process on host `name`, its engine (and its containers) and sshd included
    /// (a "rebooting instance" drill). The engine's data root stays.
    pub fn stop_host(&self, name: &str) -> Result<(), SandboxError> {
        let host = self.host(name)?;
        let engine = engine_of(&self.plan()?, &self.host_state(name)?);
        engine.stop();
        sshd::kill_all_in(&host.netns);
        engine.sweep();
        Ok(())
    }

    /// Starts host `name`'s sshd and engine again and waits until both answer.
    pub fn start_host(&self, name: &str) -> Result<(), SandboxError> {
        let host = self.host(name)?;
        let plan = self.plan()?;
        let engine = engine_of(&plan, &self.host_state(name)?);
        sshd::start(&host.netns, &host.dir)?;
        engine.start(&trusted_registries(&plan))?;
        sshd::wait_listening(&host.name, host.addr, &host.dir, SSHD_START_TIMEOUT)?;
        engine.wait_ready(&host.name, ENGINE_START_TIMEOUT)
    }

    /// Gives host `name` a new host key and restarts it (a "rebuilt instance" drill).
    pub fn regenerate_host_key(&self, name: &str) -> Result<(), SandboxError> {
        let host = self.host(name)?;
        self.stop_host(name)?;
        sshd::generate_host_key(&host.dir, &format!("{}@{}", host.name, self.cluster))?;
        self.start_host(name)
    }

    fn host_state(&self, name: &str) -> Result<HostState, SandboxError> {
        self.load()?
            .hosts
            .into_iter()
            .find(|h| h.name == name)
            .ok_or_else(|| SandboxError::UnknownHost {
                cluster: self.cluster.clone(),
                host: name.to_string(),
            })
    }

    /// Removes every process, namespace, veth, bridge, firewall rule and state file of this sandbox.
    /// Idempotent; works from the names alone when the state file is gone.
    pub fn destroy(&self) -> Result<(), SandboxError> {
        let uid = euid();
        if uid != 0 {
            return Err(SandboxError::NotRoot { uid });
        }
        let state = self.load().ok();
        let subnet = state.as_ref().map(|s| s.subnet).unwrap_or(0);
        let plan = Plan::new(&self.cluster, subnet);

        let prefix = plan.netns_prefix();
        let namespaces: Vec<String> = run("ip", &["netns", "list"])
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&prefix))
            .map(str::to_string)
            .collect();
        let dir = self.state_dir();
        let engines: Vec<Engine> = namespaces
            .iter()
            .map(|ns| {
                let host_dir = state
                    .as_ref()
                    .and_then(|s| s.hosts.iter().find(|h| &h.netns == ns))
                    .map(|h| h.dir.clone())
                    .unwrap_or_else(|| dir.join("unknown-host"));
                Engine {
                    netns: ns.clone(),
                    host_dir,
                    run_dir: Path::new(ENGINE_RUN_ROOT).join(ns),
                }
            })
            .collect();
        // Engines stop in parallel: each waits for its dockerd to shut down.
        std::thread::scope(|scope| {
            for engine in &engines {
                scope.spawn(move || {
                    engine.stop();
                    sshd::kill_all_in(&engine.netns);
                    engine.sweep();
                });
            }
        });
        for ns in &namespaces {
            run_quiet("ip", &["netns", "del", ns]);
        }
        self.registry().stop();
        self.monitoring().stop();
        self.lb().stop();
        sweep::remove_tagged_rules(&plan.rule_comment());
        // Whatever engines left without a namespace (a crash between steps).
        for name in sweep::cgroups_with_prefix(&prefix) {
            sweep::kill_cgroup(&name);
            sweep::remove_cgroup(&name);
        }
        let run_dirs = engine_run_dirs(&prefix);
        sweep::unmount_under(&[&run_dirs[..], std::slice::from_ref(&dir)].concat());
        for d in &run_dirs {
            let _ = std::fs::remove_dir_all(d);
        }
        let veth_prefix = plan.veth_prefix();
        for link in links().into_iter().filter(|l| l.starts_with(&veth_prefix)) {
            run_quiet("ip", &["link", "del", &link]);
        }
        let bridge = plan.bridge();
        if links().contains(&bridge) {
            run("ip", &["link", "del", &bridge])?;
        }
        remove_bridge_forwarding(&bridge);
        self.release_subnets();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SandboxError::io(&dir, e)),
        }
    }

    fn load(&self) -> Result<State, SandboxError> {
        State::load(&self.state_dir())?.ok_or_else(|| SandboxError::NotFound {
            cluster: self.cluster.clone(),
            state_dir: self.state_dir(),
        })
    }

    fn claims_dir(&self) -> PathBuf {
        PathBuf::from(SUBNET_CLAIMS)
    }

    /// Claims a free subnet index: the claim file `<SUBNET_CLAIMS>/<k>` is created atomically, and the
    /// gateway address must not be on any interface already.
    fn claim_subnet(&self) -> Result<u8, SandboxError> {
        let claims = self.claims_dir();
        std::fs::create_dir_all(&claims).map_err(|e| SandboxError::io(&claims, e))?;
        let used = run("ip", &["-4", "-o", "addr", "show"]).unwrap_or_default();
        let first = plan::preferred_subnet(&self.cluster);
        for offset in 0..254u16 {
            let k = ((u16::from(first) - 1 + offset) % 254 + 1) as u8;
            let gw = Plan::new(&self.cluster, k).gateway();
            if used.contains(&format!("inet {gw}/")) {
                continue;
            }
            let path = claims.join(k.to_string());
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(self.cluster.as_bytes())
                        .map_err(|e| SandboxError::io(&path, e))?;
                    return Ok(k);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(SandboxError::io(&path, e)),
            }
        }
        Err(SandboxError::NoSubnet)
    }

    fn release_subnets(&self) {
        let Ok(entries) = std::fs::read_dir(self.claims_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            if std::fs::read_to_string(entry.path()).is_ok_and(|owner| owner == self.cluster) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Root, and the programs the sandbox runs.
fn preflight() -> Result<(), SandboxError> {
    let uid = euid();
    if uid != 0 {
        return Err(SandboxError::NotRoot { uid });
    }
    for (program, package) in [
        ("ip", "iproute2"),
        (sshd::SSHD, "openssh-server"),
        ("ssh-keygen", "openssh-client"),
        ("iptables", "iptables"),
        ("nsenter", "util-linux"),
        ("setsid", "util-linux"),
        ("dockerd", "docker.io"),
        (registry::REGISTRY, "docker-registry"),
    ] {
        if !have(program) {
            return Err(SandboxError::MissingProgram {
                program: program.to_string(),
                package,
            });
        }
    }
    Ok(())
}

/// Names of all links in the root namespace.
fn links() -> Vec<String> {
    run("ip", &["-o", "link", "show"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .collect()
}

/// With `br_netfilter` loaded, bridged frames pass iptables' FORWARD chain (Docker sets its policy
/// to DROP): accept traffic between the bridge's ports so hosts reach each other.
fn allow_bridge_forwarding(bridge: &str) -> Result<(), SandboxError> {
    let filtered = std::fs::read_to_string("/proc/sys/net/bridge/bridge-nf-call-iptables")
        .is_ok_and(|v| v.trim() == "1");
    if !filtered {
        return Ok(());
    }
    if !have("iptables") {
        return Err(SandboxError::MissingProgram {
            program: "iptables".into(),
            package: "iptables",
        });
    }
    let rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
    if run_quiet("iptables", &[&["-C"], &rule[..]].concat()) {
        return Ok(());
    }
    run("iptables", &[&["-I"], &rule[..]].concat())?;
    Ok(())
}

fn remove_bridge_forwarding(bridge: &str) {
    if !have("iptables") {
        return;
    }
    let rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
    for _ in 0..10 {
        if !run_quiet("iptables", &[&["-D"], &rule[..]].concat()) {
            break;
        }
    }
}

/// Used by tests and `down`: whether any sandbox resource named after `cluster` remains.
pub(crate) fn leftovers(cluster: &str) -> Vec<String> {
    let plan = Plan::new(cluster, 0);
    let mut found = Vec::new();
    for line in run("ip", &["netns", "list"]).unwrap_or_default().lines() {
        if line.starts_with(&plan.netns_prefix()) {
            found.push(format!("netns {line}"));
        }
    }
    for link in links() {
        if link.starts_with(&plan.veth_prefix()) || link == plan.bridge() {
            found.push(format!("link {link}"));
        }
    }
    for name in sweep::cgroups_with_prefix(&plan.netns_prefix()) {
        found.push(format!("cgroup {name}"));
    }
    let run_dirs = engine_run_dirs(&plan.netns_prefix());
    for m in sweep::mounts_under(&run_dirs) {
        found.push(format!("mount {}", m.display()));
    }
    for d in run_dirs {
        found.push(format!("engine dir {}", d.display()));
    }
    for (table, rule) in sweep::tagged_rules(&plan.rule_comment()) {
        found.push(format!("iptables -t {table} {rule}"));
    }
    found
}

/// The engine run dirs of namespaces starting with `prefix`.
fn engine_run_dirs(prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(ENGINE_RUN_ROOT) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect()
}

/// The engine of `host`.
fn engine_of(plan: &Plan, host: &HostState) -> Engine {
    Engine {
        netns: host.netns.clone(),
        host_dir: host.dir.clone(),
        run_dir: plan.engine_run_dir(host.index),
    }
}

/// The registries a host's engine pulls from over plain HTTP: the sandbox registry's loopback
/// name and its listening address.
fn trusted_registries(plan: &Plan) -> Vec<String> {
    vec![
        plan.registry_addr().to_string(),
        plan.registry_listen().to_string(),
    ]
}

impl Sandbox {
    /// Names of sandbox resources of this cluster that still exist on the machine (namespaces,
    /// links, engine cgroups, run dirs and mounts, tagged iptables rules, mounts under the state
    /// dir, processes running from its dirs); empty after [`Sandbox::destroy`].
    pub fn leftovers(&self) -> Vec<String> {
        let mut found = leftovers(&self.cluster);
        for m in sweep::mounts_under(&[self.state_dir()]) {
            found.push(format!("mount {}", m.display()));
        }
        let mut dirs = engine_run_dirs(&Plan::new(&self.cluster, 0).netns_prefix());
        dirs.push(self.state_dir());
        for p in processes_mentioning(&dirs) {
            found.push(format!("process {p}"));
        }
        found
    }

    /// The state dir root.
    pub fn state_root(&self) -> &Path {
        &self.root
    }
}

/// Processes whose command line mentions one of `dirs` (`pid cmdline`).
fn processes_mentioning(dirs: &[PathBuf]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needles: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let mut found = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if needles.iter().any(|n| cmdline.contains(n.as_str())) {
            found.push(format!("{name} {}", cmdline.trim()));
        }
    }
    found
}
