//! The Docker executor against the machine's real Docker daemon, with the locally built
//! `swarm-test/web:v1` image (FROM scratch + static test server; no registry needed).
//! Every test labels its containers with its own service id and removes them on drop.

use std::collections::BTreeMap;
use std::time::Duration;

use swarm_agent::controller::{run_task, RunOptions, StatusUpdate};
use swarm_agent::docker::{DockerExecutor, DEFAULT_SOCKET};
use swarm_agent::{labels, Executor, NodeContext};
use swarm_api::mount::Mount;
use swarm_api::publish::PortConfig;
use swarm_api::task::{Task, TaskState, TaskStatus};
use swarm_testkit::unique;
use tokio::sync::{mpsc, watch};

const IMAGE: &str = swarm_testkit::images::IMAGE;

fn image() {
    swarm_testkit::images::default_image(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
}

/// Removes every container of one test's service, also when the test panics.
struct Cleanup {
    service_id: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={}={}", labels::SERVICE_ID, self.service_id);
        if let Ok(out) = std::process::Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
        {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(String::from)
                .collect();
            if !ids.is_empty() {
                let _ = std::process::Command::new("docker")
                    .arg("rm")
                    .arg("-f")
                    .args(&ids)
                    .output();
            }
        }
    }
}

fn task(name: &str, args: &[&str]) -> (Task, Cleanup) {
    let service_id = unique(&format!("svc-{name}"));
    let mut t = swarm_testkit::task(&unique("task"), &service_id, IMAGE, TaskState::Assigned);
    t.service_name = format!("agent-test-{name}");
    t.node_id = Some("node-a".into());
    t.spec.container.args = args.iter().map(|s| s.to_string()).collect();
    (t, Cleanup { service_id })
}

async fn executor() -> DockerExecutor {
    image();
    DockerExecutor::connect(
        DEFAULT_SOCKET,
        NodeContext {
            node_id: "node-a".into(),
            hostname: "host-a".into(),
        },
    )
    .await
    .expect("connect to the local Docker daemon")
    .with_pull_timeout(Duration::from_secs(30))
}

/// A running task: the controller in the background, its updates, and its stop switch.
struct Running {
    updates: mpsc::UnboundedReceiver<StatusUpdate>,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<TaskStatus>,
    seen: Vec<TaskStatus>,
}

fn launch(exec: &DockerExecutor, t: &Task) -> Running {
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop, stop_rx) = watch::channel(false);
    let exec = exec.clone();
    let t = t.clone();
    let handle = tokio::spawn(async move {
        let opts = RunOptions {
            stop_grace: Duration::from_secs(5),
        };
        run_task(&exec, &t, opts, &tx, stop_rx).await
    });
    Running {
        updates: rx,
        stop,
        handle,
        seen: Vec::new(),
    }
}

impl Running {
    /// Collects updates until `state` (or any terminal state) is seen; returns that status.
    async fn until(&mut self, state: TaskState) -> TaskStatus {
        let deadline = Duration::from_secs(120);
        loop {
            let u = tokio::time::timeout(deadline, self.updates.recv())
                .await
                .unwrap_or_else(|_| panic!("no {state} within {deadline:?}; seen {:?}", self.seen))
                .unwrap_or_else(|| panic!("updates ended before {state}; seen {:?}", self.seen));
            self.seen.push(u.status.clone());
            if u.status.state == state || u.status.state.is_terminal() {
                return u.status;
            }
        }
    }

    fn states(&self) -> Vec<TaskState> {
        self.seen.iter().map(|s| s.state).collect()
    }
}

async fn container_ip(exec: &DockerExecutor, id: &str) -> String {
    let c = exec.client().inspect_container(id, None).await.unwrap();
    let nets = c.network_settings.unwrap().networks.unwrap();
    nets.values()
        .find_map(|n| n.ip_address.clone().filter(|ip| !ip.is_empty()))
        .expect("container has an IP")
}

/// GET / on addr, retried until it answers (the server may need a moment to listen).
fn http_get(addr: &str) -> String {
    swarm_testkit::http::get_ok(addr, Duration::from_secs(60))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_runs_answers_with_its_id_and_stops_to_shutdown() {
    let exec = executor().await;
    let (t, _cleanup) = task("run", &[]);
    let mut run = launch(&exec, &t);
    let running = run.until(TaskState::Running).await;
    assert_eq!(running.state, TaskState::Running, "seen {:?}", run.seen);
    assert_eq!(
        run.states(),
        vec![
            TaskState::Accepted,
            TaskState::Preparing,
            TaskState::Starting,
            TaskState::Running
        ]
    );
    let id = running.container_id.clone().expect("container id reported");
    let ip = container_ip(&exec, &id).await;
    let addr = format!("{ip}:80");
    let body = tokio::task::spawn_blocking(move || http_get(&addr))
        .await
        .unwrap();
    assert!(body.contains(&format!("task={}", t.id)), "{body}");
    assert!(body.contains("node=host-a"), "{body}");

    run.stop.send(true).unwrap();
    let last = run.handle.await.unwrap();
    assert_eq!(last.state, TaskState::Shutdown, "{last:?}");
    assert_eq!(last.err, None);
    let c = exec.client().inspect_container(&id, None).await.unwrap();
    assert_eq!(c.state.unwrap().running, Some(false));
    exec.remove(&id).await.unwrap();
    assert!(
        exec.client().inspect_container(&id, None).await.is_err(),
        "removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_carries_swarm_labels_env_limits_and_mounts() {
    let exec = executor().await;
    let (mut t, _cleanup) = task("labels", &[]);
    t.spec.container.labels = BTreeMap::from([("team".to_string(), "edge".to_string())]);
    t.spec.container.env = vec!["GREETING=hello".into()];
    t.spec.resources.limits.nano_cpus = 500_000_000;
    t.spec.resources.limits.memory_bytes = 64 << 20;
    t.spec.resources.reservations.memory_bytes = 32 << 20;
    let host_dir = std::env::temp_dir();
    t.spec.container.mounts = vec![
        Mount::parse(&format!(
            "type=bind,source={},target=/hostdir,readonly",
            host_dir.display()
        ))
        .unwrap(),
        Mount::parse("type=tmpfs,target=/scratch,tmpfs-size=1M").unwrap(),
    ];
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Running).await;
    assert_eq!(st.state, TaskState::Running, "seen {:?}", run.seen);
    let c = exec
        .client()
        .inspect_container(st.container_id.as_deref().unwrap(), None)
        .await
        .unwrap();
    let cfg = c.config.unwrap();
    let l = cfg.labels.unwrap();
    assert_eq!(l[labels::SERVICE_NAME], t.service_name);
    assert_eq!(l[labels::SERVICE_ID], t.service_id);
    assert_eq!(l[labels::TASK_ID], t.id);
    assert_eq!(l[labels::NODE_ID], "node-a");
    assert_eq!(l["team"], "edge");
    let env = cfg.env.unwrap();
    assert!(env.contains(&"GREETING=hello".to_string()), "{env:?}");
    assert!(env.contains(&format!("SWARM_TASK_ID={}", t.id)), "{env:?}");
    let hc = c.host_config.unwrap();
    assert_eq!(hc.nano_cpus, Some(500_000_000));
    assert_eq!(hc.memory, Some(64 << 20));
    assert_eq!(hc.memory_reservation, Some(32 << 20));
    let mounts = c.mounts.unwrap();
    let bind = mounts
        .iter()
        .find(|m| m.destination.as_deref() == Some("/hostdir"))
        .expect("bind mount");
    assert_eq!(bind.rw, Some(false));
    assert!(
        mounts
            .iter()
            .any(|m| m.destination.as_deref() == Some("/scratch")),
        "{mounts:?}"
    );
    assert_eq!(
        c.name.as_deref(),
        Some(format!("/{}", t.container_name()).as_str())
    );
    run.stop.send(true).unwrap();
    assert_eq!(run.handle.await.unwrap().state, TaskState::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_mode_port_is_published_on_the_host() {
    let exec = executor().await;
    let (mut t, _cleanup) = task("hostport", &[]);
    // A free port: bind :0, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    t.endpoint.ports =
        vec![PortConfig::parse(&format!("published={port},target=80,mode=host")).unwrap()];
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Running).await;
    assert_eq!(st.state, TaskState::Running, "seen {:?}", run.seen);
    let addr = format!("127.0.0.1:{port}");
    let body = tokio::task::spawn_blocking(move || http_get(&addr))
        .await
        .unwrap();
    assert!(body.contains(&format!("task={}", t.id)), "{body}");
    run.stop.send(true).unwrap();
    assert_eq!(run.handle.await.unwrap().state, TaskState::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_image_is_rejected_with_a_clear_error() {
    let exec = executor().await;
    let (mut t, _cleanup) = task("noimage", &[]);
    t.spec.container.image = "swarm-test/no-such-image:v0".into();
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Running).await;
    assert_eq!(st.state, TaskState::Rejected, "seen {:?}", run.seen);
    let err = st.err.unwrap();
    assert!(
        err.contains(
            "image swarm-test/no-such-image:v0 not found locally nor in registry docker.io"
        ),
        "{err}"
    );
    assert!(st.permanent, "a missing image is marked permanent");
    assert_eq!(
        run.states(),
        vec![
            TaskState::Accepted,
            TaskState::Preparing,
            TaskState::Rejected
        ]
    );
    assert_eq!(run.handle.await.unwrap().state, TaskState::Rejected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_zero_exit_fails_with_the_exit_code() {
    let exec = executor().await;
    let (t, _cleanup) = task("exit3", &["--exit-immediately", "--exit-code", "3"]);
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Failed).await;
    assert_eq!(st.state, TaskState::Failed, "seen {:?}", run.seen);
    assert_eq!(st.exit_code, Some(3));
    assert_eq!(st.err.as_deref(), Some("task: non-zero exit (3)"));
    let logs = exec
        .logs(st.container_id.as_deref().unwrap(), None)
        .await
        .unwrap();
    assert!(
        logs.iter()
            .any(|l| l.text.contains("exiting immediately with status 3")),
        "{logs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_exit_completes() {
    let exec = executor().await;
    let (t, _cleanup) = task("exit0", &["--exit-immediately"]);
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Complete).await;
    assert_eq!(st.state, TaskState::Complete, "seen {:?}", run.seen);
    assert_eq!(st.exit_code, Some(0));
    assert_eq!(st.err, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_mount_source_is_a_task_error_not_a_hang() {
    let exec = executor().await;
    let (mut t, _cleanup) = task("badmount", &[]);
    t.spec.container.mounts =
        vec![Mount::parse("type=bind,source=/definitely/not/here,target=/x").unwrap()];
    let mut run = launch(&exec, &t);
    let st = run.until(TaskState::Running).await;
    assert!(
        matches!(st.state, TaskState::Rejected | TaskState::Failed),
        "seen {:?}",
        run.seen
    );
    assert!(st.err.unwrap().contains("/definitely/not/here"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mesh_port_spreads_requests_over_running_replicas() {
    let exec = executor().await;
    let (t1, _c1) = task("mesh", &[]);
    let mut t2 = t1.clone();
    t2.id = unique("task");
    t2.slot = Some(2);
    let mut runs = vec![launch(&exec, &t1), launch(&exec, &t2)];
    let mut backends = Vec::new();
    for run in &mut runs {
        let st = run.until(TaskState::Running).await;
        assert_eq!(st.state, TaskState::Running, "seen {:?}", run.seen);
        let ip = container_ip(&exec, st.container_id.as_deref().unwrap()).await;
        backends.push(format!("{ip}:80").parse::<std::net::SocketAddr>().unwrap());
    }
    // Both servers listen before the mesh counts requests (round-robin skips a refusing backend).
    for b in backends.clone() {
        tokio::task::spawn_blocking(move || http_get(&b.to_string()))
            .await
            .unwrap();
    }
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let port = std::net::TcpListener::bind((loopback, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut mesh = swarm_agent::mesh::Mesh::new(loopback, Default::default());
    let key = (port, swarm_api::publish::Protocol::Tcp);
    mesh.apply(&std::collections::HashMap::from([(key, backends)]))
        .await
        .unwrap();
    let bodies = tokio::task::spawn_blocking(move || {
        (0..4)
            .map(|_| http_get(&format!("127.0.0.1:{port}")))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for t in [&t1, &t2] {
        let n = bodies
            .iter()
            .filter(|b| b.contains(&format!("task={}", t.id)))
            .count();
        assert_eq!(n, 2, "each replica answers half the requests: {bodies:?}");
    }
    mesh.shutdown().await;
    for run in runs {
        run.stop.send(true).unwrap();
        assert_eq!(run.handle.await.unwrap().state, TaskState::Shutdown);
    }
}
