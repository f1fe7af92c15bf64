//! Test harness: real `swarmd` processes, each on its own 127.0.0.x address, killed on drop.

#![allow(dead_code)]

pub mod docker;
pub mod partition;
pub mod stack;
pub mod svc;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The swarmd binary built by cargo.
pub const BIN: &str = env!("CARGO_BIN_EXE_swarmd");

/// Generous timeout for conditions on a loaded CI machine.
pub const WAIT: Duration = Duration::from_secs(60);

/// Polls `f` until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `f` until it returns `Some`, or gives `None` once `timeout` passes (the caller says
/// what it last saw).
pub fn wait_for_or<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free port on `ip` (bound and released).
fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind {ip}: {e}"))
}

/// Result of a client command.
#[derive(Debug)]
pub struct Out {
    /// Exit success.
    pub ok: bool,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

impl Out {
    fn from(o: Output) -> Out {
        Out {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Stdout as JSON; panics with the output otherwise.
    pub fn json(&self) -> Value {
        assert!(self.ok, "command failed: {self:?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("bad json {e}: {self:?}"))
    }
}

/// `swarmd node ls --host HOST --cert-dir DIR EXTRA...`: the control API over mutual TLS with
/// the certificates in `cert_dir`.
pub fn remote_node_ls(host: &str, cert_dir: &Path, extra: &[&str]) -> Out {
    let dir = cert_dir.display().to_string();
    let mut all = vec!["node", "ls", "--host", host, "--cert-dir", &dir];
    all.extend_from_slice(extra);
    swarmd(&all)
}

/// `swarmd service --state-dir DIR ARGS...` (the state dir goes first: `create` takes every
/// argument after the image as the container's arguments).
pub fn svc(n: &Node, args: &[&str]) -> Out {
    let dir = n.dir.display().to_string();
    let mut all = vec!["service", "--state-dir", &dir];
    all.extend_from_slice(args);
    swarmd(&all)
}

/// `o`, asserted successful (every node's log in the failure message).
pub fn ok(o: Out, what: &str, c: &Cluster) -> Out {
    assert!(o.ok, "{what} failed: {o:?}\n{}", c.logs());
    o
}

/// Runs a client command.
pub fn swarmd(args: &[&str]) -> Out {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("SWARMD_STATE_DIR")
        .env_remove("SWARMD_HOST")
        .output()
        .expect("run swarmd");
    Out::from(out)
}

/// One node: its state directory, address and (if running) process.
pub struct Node {
    /// Name (also host name).
    pub name: String,
    /// State directory.
    pub dir: PathBuf,
    /// Advertise/listen address.
    pub addr: String,
    child: Option<Child>,
    log: PathBuf,
    extra: Vec<String>,
}

impl Node {
    /// `swarmd <args> --state-dir DIR` (client verbs on this node's socket).
    pub fn cli(&self, args: &[&str]) -> Out {
        let dir = self.dir.display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--state-dir", &dir]);
        swarmd(&all)
    }

    /// `node ls --format json` as a list.
    pub fn nodes(&self) -> Option<Vec<Value>> {
        let o = self.cli(&["node", "ls", "--format", "json"]);
        if !o.ok {
            return None;
        }
        serde_json::from_str::<Value>(&o.stdout)
            .ok()?
            .as_array()
            .cloned()
    }

    /// `info --format json`.
    pub fn info(&self) -> Option<Value> {
        let o = self.cli(&["info", "--format", "json"]);
        o.ok.then(|| serde_json::from_str(&o.stdout).ok()).flatten()
    }

    /// The node id (16 hex digits).
    pub fn id(&self) -> String {
        let v = wait_for("node info", WAIT, || self.info());
        v["node_id"].as_str().expect("node_id").to_string()
    }

    /// The process id, if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Sends a signal (e.g. "STOP", "CONT") to the process.
    pub fn signal(&self, sig: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .args([&format!("-{sig}"), &pid.to_string()])
                .status();
        }
    }

    /// Whether the process runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the process with SIGKILL.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn spawn(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "{} already running", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        // 1500 ms unless the extra arguments set their own (benches compare values).
        let down_after: &[&str] = if self.extra.iter().any(|a| a == "--down-after-ms") {
            &[]
        } else {
            &["--down-after-ms", "1500"]
        };
        let child = Command::new(BIN)
            .args(args)
            .args(["--state-dir", &self.dir.display().to_string()])
            .args(down_after)
            .args(&self.extra)
            .env_remove("SWARMD_STATE_DIR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn swarmd");
        self.child = Some(child);
    }

    /// Waits until the local socket answers.
    pub fn wait_up(&self) {
        wait_for(&format!("{} to answer", self.name), WAIT, || self.info());
    }

    /// Starts the daemon with other arguments (e.g. `init --force-new-cluster`).
    pub fn spawn_args(&mut self, args: &[&str]) {
        self.spawn(args);
    }

    /// Restarts from the state directory (`swarmd run`).
    pub fn run(&mut self) {
        self.spawn(&["run"]);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.signal("CONT");
        self.kill9();
    }
}

/// A set of nodes of one test, on the subnet 127.0.`net`.0/24.
pub struct Cluster {
    /// Nodes in creation order.
    pub nodes: Vec<Node>,
    /// Extra daemon arguments for nodes created later.
    pub extra: Vec<String>,
    net: u8,
    tmp: tempfile::TempDir,
}

impl Cluster {
    /// An empty cluster on 127.0.`net`.0/24 (each test uses its own `net`).
    pub fn new(net: u8) -> Cluster {
        Cluster {
            nodes: Vec::new(),
            extra: Vec::new(),
            net,
            tmp: tempfile::TempDir::new().expect("tempdir"),
        }
    }

    /// An empty cluster on 127.0.`net`.0/24 whose nodes run no task executor (API-only tests).
    pub fn without_executors(net: u8) -> Cluster {
        let mut c = Cluster::new(net);
        c.extra = vec!["--no-executor".into()];
        c
    }

    /// Temporary directory of the test.
    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// A new directory `name` in the test's temporary directory.
    pub fn tmp_dir(&self, name: &str) -> std::path::PathBuf {
        let dir = self.tmp().join(name);
        std::fs::create_dir_all(&dir).expect("test directory");
        dir
    }

    fn new_node(&mut self, name: &str) -> usize {
        let ip = format!("127.0.{}.{}", self.net, self.nodes.len() + 1);
        let addr = format!("{ip}:{}", free_port(&ip));
        self.nodes.push(Node {
            name: name.to_string(),
            dir: self.tmp.path().join(name),
            addr,
            child: None,
            log: self.tmp.path().join(format!("{name}.log")),
            extra: self.extra.clone(),
        });
        self.nodes.len() - 1
    }

    /// A running cluster on 127.0.`net`.0/24 of the nodes `names`, in order: the first inits,
    /// the others join through it, `m*` as managers and `w*` as workers (the tests' names).
    /// Returns the cluster and the nodes' indexes.
    pub fn start<const N: usize>(net: u8, names: [&str; N]) -> (Cluster, [usize; N]) {
        let mut c = Cluster::new(net);
        let mut ids = [0; N];
        for (k, name) in names.iter().enumerate() {
            ids[k] = match (k, name.as_bytes().first()) {
                (0, _) => c.init(name),
                (_, Some(b'm')) => c.join(name, "manager", ids[0]),
                (_, Some(b'w')) => c.join(name, "worker", ids[0]),
                _ => panic!("node name {name:?}: start managers with m, workers with w"),
            };
        }
        (c, ids)
    }

    /// Starts the first manager with `swarmd init`.
    pub fn init(&mut self, name: &str) -> usize {
        self.init_with(name, &[])
    }

    /// Starts the first manager with `swarmd init EXTRA...` (e.g. `--autolock`).
    pub fn init_with(&mut self, name: &str, extra: &[&str]) -> usize {
        let i = self.new_node(name);
        let n = &mut self.nodes[i];
        let addr = n.addr.clone();
        let mut args = vec!["init", "--listen-addr", &addr, "--hostname", name];
        args.extend_from_slice(extra);
        n.spawn(&args);
        n.wait_up();
        wait_for("initialised cluster", WAIT, || {
            n.nodes().filter(|v| v.len() == 1)
        });
        i
    }

    /// A join token from node `via`.
    pub fn token(&self, via: usize, role: &str) -> String {
        let o = self.nodes[via].cli(&["join-token", "-q", role]);
        assert!(o.ok, "join-token failed: {o:?}");
        o.stdout.trim().to_string()
    }

    /// Starts `swarmd join` without waiting.
    pub fn spawn_join(&mut self, name: &str, token: &str, manager: usize) -> usize {
        let maddr = self.nodes[manager].addr.clone();
        let i = self.new_node(name);
        let n = &mut self.nodes[i];
        let addr = n.addr.clone();
        n.spawn(&[
            "join",
            "--token",
            token,
            "--listen-addr",
            &addr,
            "--hostname",
            name,
            &maddr,
        ]);
        i
    }

    /// Joins with a token and waits until `via` lists the node as Ready.
    pub fn join(&mut self, name: &str, role: &str, via: usize) -> usize {
        let token = self.token(via, role);
        let i = self.spawn_join(name, &token, via);
        self.nodes[i].wait_up();
        let want_manager = role == "manager";
        wait_for(&format!("{name} to join"), WAIT, || {
            let nodes = self.nodes[via].nodes()?;
            let n = nodes.iter().find(|n| n["hostname"] == name)?;
            let ok = n["status"] == "ready"
                && (!want_manager
                    || n["manager_status"] == "reachable"
                    || n["manager_status"] == "leader");
            ok.then_some(())
        });
        if want_manager {
            let id = self.nodes[i].id();
            wait_for(&format!("{name} to be a voter"), WAIT, || {
                let info = self.nodes[via].info()?;
                let voters = info["voters"].as_array()?;
                voters
                    .iter()
                    .any(|v| v.as_str() == Some(id.as_str()))
                    .then_some(())
            });
        }
        i
    }

    /// The leader as seen by running managers that agree on one (index into `nodes`).
    pub fn leader(&self, among: &[usize]) -> Option<usize> {
        let mut leader = None;
        for &i in among {
            let info = self.nodes[i].info()?;
            let l = info["leader"].as_str()?.to_string();
            if !info["quorum"].as_bool()? {
                return None;
            }
            match &leader {
                None => leader = Some(l),
                Some(x) if *x == l => {}
                Some(_) => return None,
            }
        }
        let l = leader?;
        among.iter().copied().find(|&i| {
            self.nodes[i]
                .info()
                .and_then(|v| v["node_id"].as_str().map(str::to_string))
                == Some(l.clone())
        })
    }

    /// Dumps all logs (for failure diagnosis).
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("==== {} ====\n{}", n.name, n.log()))
            .collect()
    }
}

/// Calls the node's control API on its local socket: `GET path` or `POST path` with `body`.
/// Returns the JSON answer, or the error message.
pub fn api(node: &Node, path: &str, body: Option<Value>) -> Result<Value, String> {
    use swarm_api::client::{Client, Target};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(Target::Unix(node.dir.join("swarmd.sock")));
    rt.block_on(async {
        match body {
            None => client.get::<Value>(path).await,
            Some(b) => client.post::<Value, Value>(path, &b).await,
        }
    })
    .map_err(|e| e.to_string())
}

/// Builds the test image once per process (`swarm-test/web:v1`) and returns its tag.
pub fn test_image() -> &'static str {
    swarm_testkit::images::default_image(Path::new(env!("CARGO_TARGET_TMPDIR")))
}

/// Ids of the running containers on this machine's daemon with `label` (`KEY=VALUE`).
pub fn running_labelled(label: &str) -> Vec<String> {
    let o = Command::new("docker")
        .args(["ps", "-q", "--filter", &format!("label={label}")])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Removes every container a test's nodes created (label `com.docker.swarm.node.id`).
pub fn remove_containers_of(node_ids: &[String]) {
    for id in node_ids {
        remove_containers_labelled(&format!("com.docker.swarm.node.id={id}"));
    }
}

/// Removes every container (running or not) carrying the label `key=value`.
pub fn remove_containers_labelled(label: &str) {
    let filter = format!("label={label}");
    let Ok(out) = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
    else {
        return;
    };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .output();
    }
}
