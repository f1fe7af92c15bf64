//! The worker and its session on the real Docker daemon, with a tiny in-test manager
//! (fake transport) that assigns tasks, records reports and updates task statuses from
//! them like the dispatcher does. Each test uses its own node id, so the workers of tests
//! running side by side never see each other's containers; every container of a test's
//! node ids is removed on drop. Publish IPs 127.0.41.x, mesh IPs 127.0.42.x.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use swarm_agent::docker::{DockerExecutor, DEFAULT_SOCKET};
use swarm_agent::session::{run_session, SessionOptions, SyncTransport};
use swarm_agent::worker::{Worker, WorkerOptions};
use swarm_agent::{labels, Executor, NodeContext};
use swarm_api::dispatch::{MeshPort, SyncRequest, SyncResponse, TaskReport};
use swarm_api::publish::{PortConfig, Protocol};
use swarm_api::task::{Task, TaskState, TaskStatus};
use swarm_testkit::unique;
use tokio::sync::{oneshot, watch};

const IMAGE: &str = swarm_testkit::images::IMAGE;
const PUBLISH_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 41, 1));
const WAIT: Duration = Duration::from_secs(120);

fn image() {
    swarm_testkit::images::default_image(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
}

fn docker(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The ids of the containers carrying `label`.
fn containers_with(label: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={label}"),
    ])
    .split_whitespace()
    .map(String::from)
    .collect()
}

/// Removes every container of the given node ids, also when the test panics.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for node in &self.0 {
            let ids = containers_with(&format!("{}={node}", labels::NODE_ID));
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids.iter().map(String::as_str));
                docker(&args);
            }
        }
    }
}

async fn executor(node_id: &str) -> DockerExecutor {
    image();
    DockerExecutor::connect(
        DEFAULT_SOCKET,
        NodeContext {
            node_id: node_id.into(),
            hostname: format!("host-{node_id}"),
        },
    )
    .await
    .expect("connect to the local Docker daemon")
    .with_pull_timeout(Duration::from_secs(30))
    .with_publish_ip(PUBLISH_IP)
}

fn task(node_id: &str, service: &str, slot: u64) -> Task {
    let id = unique(&format!("task{slot}"));
    let mut t = swarm_testkit::task(&id, &format!("svc-{service}"), IMAGE, TaskState::Assigned);
    t.service_name = format!("worker-test-{service}");
    t.slot = Some(slot);
    t.node_id = Some(node_id.into());
    t
}

/// The manager as far as one node sees it.
struct FakeManager {
    answer: Mutex<SyncResponse>,
    requests: Mutex<Vec<SyncRequest>>,
    reports: watch::Sender<Vec<TaskReport>>,
    /// Syncs after the first one that fail (then syncs succeed again).
    fail: AtomicUsize,
}

impl FakeManager {
    fn new(tasks: Vec<Task>) -> Arc<Self> {
        Arc::new(FakeManager {
            answer: Mutex::new(SyncResponse {
                tasks,
                mesh: Vec::new(),
                period_ms: 200,
                managers: Vec::new(),
                overlay: Default::default(),
                secrets: Vec::new(),
                configs: Vec::new(),
            }),
            requests: Mutex::new(Vec::new()),
            reports: watch::channel(Vec::new()).0,
            fail: AtomicUsize::new(0),
        })
    }

    fn edit(&self, f: impl FnOnce(&mut SyncResponse)) {
        f(&mut self.answer.lock().unwrap());
    }

    fn syncs(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Waits for a report of `task_id` in `state` (the n-th such one, 1-based).
    async fn report(&self, task_id: &str, state: TaskState, n: usize) -> TaskStatus {
        let mut rx = self.reports.subscribe();
        let matching = |v: &Vec<TaskReport>| {
            v.iter()
                .filter(|r| r.task_id == task_id && r.status.state == state)
                .count()
                >= n
        };
        let found = tokio::time::timeout(WAIT, rx.wait_for(matching)).await;
        let all = self.reports.borrow().clone();
        assert!(
            found.is_ok(),
            "no report #{n} of {task_id} in {state} within {WAIT:?}; reports: {all:#?}"
        );
        all.iter()
            .filter(|r| r.task_id == task_id && r.status.state == state)
            .nth(n - 1)
            .unwrap()
            .status
            .clone()
    }

    fn states_of(&self, task_id: &str) -> Vec<TaskState> {
        self.reports
            .borrow()
            .iter()
            .filter(|r| r.task_id == task_id)
            .map(|r| r.status.state)
            .collect()
    }

    /// Waits until `n` more syncs happened.
    async fn more_syncs(&self, n: usize) {
        let target = self.syncs() + n;
        tokio::time::timeout(WAIT, async {
            while self.syncs() < target {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the session keeps syncing");
    }
}

impl SyncTransport for FakeManager {
    async fn sync(&self, req: SyncRequest) -> Result<SyncResponse, String> {
        let first = self.syncs() == 0;
        self.requests.lock().unwrap().push(req.clone());
        if !first
            && self
                .fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err("manager unreachable (test)".into());
        }
        let mut answer = self.answer.lock().unwrap();
        for r in &req.reports {
            if let Some(t) = answer.tasks.iter_mut().find(|t| t.id == r.task_id) {
                if r.status.state >= t.status.state {
                    t.status = r.status.clone();
                }
            }
        }
        self.reports.send_modify(|v| v.extend(req.reports.clone()));
        Ok(answer.clone())
    }
}

/// A worker with its session running in the background.
struct Node {
    worker: Arc<Worker<DockerExecutor>>,
    stop: Option<oneshot::Sender<()>>,
    session: tokio::task::JoinHandle<()>,
}

async fn start_node(node_id: &str, mesh_ip: IpAddr, manager: &Arc<FakeManager>) -> Node {
    let exec = executor(node_id).await;
    let worker = Arc::new(Worker::new(exec, WorkerOptions::new(mesh_ip)));
    let (stop, stopped) = oneshot::channel::<()>();
    let (w, m) = (worker.clone(), manager.clone());
    let session = tokio::spawn(async move {
        let exec = w.executor().clone();
        let options = SessionOptions {
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            ..Default::default()
        };
        run_session(
            &m,
            &w,
            0x1234,
            move || {
                let exec = exec.clone();
                async move { exec.describe().await.ok() }
            },
            options,
            async move {
                let _ = stopped.await;
            },
        )
        .await;
    });
    Node {
        worker,
        stop: Some(stop),
        session,
    }
}

impl Node {
    async fn stop(mut self) -> Arc<Worker<DockerExecutor>> {
        let _ = self.stop.take().unwrap().send(());
        (&mut self.session).await.unwrap();
        self.worker.clone()
    }
}

/// GET / on addr, retried until it answers (the server may need a moment to listen).
async fn http_get(addr: String) -> String {
    tokio::task::spawn_blocking(move || swarm_testkit::http::get_ok(&addr, Duration::from_secs(60)))
        .await
        .unwrap()
}

fn inspect_running(container: &str) -> Option<bool> {
    match docker(&["inspect", "-f", "{{.State.Running}}", container]).as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None, // gone
    }
}

fn free_port(ip: IpAddr) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The states a task reports on its way up, in order.
const UP: [TaskState; 4] = [
    TaskState::Accepted,
    TaskState::Preparing,
    TaskState::Starting,
    TaskState::Running,
];

/// A fresh node id (its containers removed when the cleanup drops), one task of `service` for
/// it, and a manager that assigns that task.
fn one_task(prefix: &str, service: &str) -> (String, Cleanup, Task, Arc<FakeManager>) {
    let node_id = unique(prefix);
    let cleanup = Cleanup(vec![node_id.clone()]);
    let t = task(&node_id, service, 1);
    let manager = FakeManager::new(vec![t.clone()]);
    (node_id, cleanup, t, manager)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_run_with_bound_ports_and_the_mesh_reaches_them() {
    let node_id = unique("node-two");
    let _cleanup = Cleanup(vec![node_id.clone()]);
    let mesh_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 42, 1));
    let published = free_port(mesh_ip);
    let mut tasks = vec![task(&node_id, "two", 1), task(&node_id, "two", 2)];
    for t in &mut tasks {
        t.endpoint.ports =
            vec![PortConfig::parse(&format!("published={published},target=80")).unwrap()];
    }
    let manager = FakeManager::new(tasks.clone());
    let node = start_node(&node_id, mesh_ip, &manager).await;

    let mut backends = Vec::new();
    for t in &tasks {
        let st = manager.report(&t.id, TaskState::Running, 1).await;
        assert_eq!(manager.states_of(&t.id), UP.to_vec());
        assert_eq!(st.ports.len(), 1, "{st:?}");
        let p = &st.ports[0];
        assert_eq!((p.target, p.protocol), (80, Protocol::Tcp));
        assert!(p.addr.starts_with("127.0.41.1:"), "{p:?}");
        let body = http_get(p.addr.clone()).await;
        assert!(body.contains(&format!("task={}", t.id)), "{body}");
        assert_eq!(
            inspect_running(st.container_id.as_deref().unwrap()),
            Some(true)
        );
        backends.push(p.addr.clone());
    }

    // The description went with the first sync only.
    {
        let reqs = manager.requests.lock().unwrap();
        let d = reqs[0].description.as_ref().expect("described first");
        assert!(d.resources.nano_cpus >= 1_000_000_000, "{d:?}");
        assert!(d.resources.memory_bytes > 0 && !d.engine_version.is_empty());
        assert!(reqs[1..].iter().all(|r| r.description.is_none()));
        assert!(reqs.iter().all(|r| r.node_id == 0x1234));
    }

    manager.edit(|a| {
        a.mesh = vec![MeshPort {
            published,
            protocol: Protocol::Tcp,
            service: "worker-test-two".into(),
            backends: backends.clone(),
        }]
    });
    manager.more_syncs(2).await;
    assert_eq!(
        node.worker.mesh_ports().await,
        vec![(published, Protocol::Tcp)]
    );
    let mut answered = Vec::new();
    for _ in 0..2 {
        let body = http_get(format!("{mesh_ip}:{published}")).await;
        let id = tasks
            .iter()
            .find(|t| body.contains(&format!("task={}", t.id)))
            .unwrap_or_else(|| panic!("the mesh answer names a task: {body}"))
            .id
            .clone();
        answered.push(id);
    }
    answered.sort();
    let mut ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    ids.sort();
    assert_eq!(answered, ids, "round-robin over both tasks");

    manager.edit(|a| a.mesh.clear());
    manager.more_syncs(2).await;
    assert!(node.worker.mesh_ports().await.is_empty());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desired_shutdown_stops_and_a_deleted_task_is_removed() {
    let (node_id, _cleanup, t, manager) = one_task("node-stop", "stop");
    let node = start_node(&node_id, IpAddr::V4(Ipv4Addr::new(127, 0, 42, 2)), &manager).await;
    let running = manager.report(&t.id, TaskState::Running, 1).await;
    let container = running.container_id.clone().unwrap();

    manager.edit(|a| a.tasks[0].desired_state = TaskState::Shutdown);
    let down = manager.report(&t.id, TaskState::Shutdown, 1).await;
    assert_eq!(down.err, None, "{down:?}");
    assert_eq!(inspect_running(&container), Some(false), "stopped, kept");
    assert!(node.worker.logs(&t.id, Some(10)).await.is_ok());

    manager.edit(|a| a.tasks.clear());
    manager.more_syncs(2).await;
    assert_eq!(inspect_running(&container), None, "removed once deleted");
    assert!(node.worker.logs(&t.id, None).await.is_err());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_of_another_node_are_never_touched() {
    let me = unique("node-me");
    let other = unique("node-other");
    let _cleanup = Cleanup(vec![me.clone(), other.clone()]);
    // Another swarmd node on the same daemon runs a task.
    let other_exec = executor(&other).await;
    let foreign = task(&other, "foreign", 1);
    let cid = other_exec.prepare(&foreign).await.unwrap();
    other_exec.start(&cid).await.unwrap();

    // This node is told nothing about it, then to shut down a task of the same id.
    let manager = FakeManager::new(Vec::new());
    let node = start_node(&me, IpAddr::V4(Ipv4Addr::new(127, 0, 42, 3)), &manager).await;
    manager.more_syncs(3).await;
    assert_eq!(
        inspect_running(&cid),
        Some(true),
        "absent from my list: not mine"
    );
    let mut same_id = foreign.clone();
    same_id.node_id = Some(me.clone());
    same_id.desired_state = TaskState::Shutdown;
    same_id.status.state = TaskState::Running;
    manager.edit(|a| a.tasks = vec![same_id.clone()]);
    let st = manager.report(&foreign.id, TaskState::Shutdown, 1).await;
    assert_eq!(
        st.container_id, None,
        "my view has no container of that task"
    );
    manager.more_syncs(2).await;
    assert_eq!(inspect_running(&cid), Some(true), "still running");
    assert!(node.worker.logs(&foreign.id, None).await.is_err());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_image_is_rejected_and_a_finished_task_keeps_its_logs() {
    let node_id = unique("node-reject");
    let _cleanup = Cleanup(vec![node_id.clone()]);
    let mut missing = task(&node_id, "reject", 1);
    missing.spec.container.image = "swarm-test/no-such-image:v0".into();
    let mut done = task(&node_id, "reject", 2);
    done.spec.container.args = vec!["--exit-immediately".into()];
    let manager = FakeManager::new(vec![missing.clone(), done.clone()]);
    let node = start_node(&node_id, IpAddr::V4(Ipv4Addr::new(127, 0, 42, 4)), &manager).await;

    let st = manager.report(&missing.id, TaskState::Rejected, 1).await;
    let err = st.err.unwrap();
    assert!(
        err.contains("image swarm-test/no-such-image:v0 not found locally"),
        "{err}"
    );
    let st = manager.report(&done.id, TaskState::Complete, 1).await;
    assert_eq!(st.exit_code, Some(0));
    let logs = node.worker.logs(&done.id, None).await.unwrap();
    assert!(
        logs.iter().any(|l| l.text.contains("exiting immediately")),
        "{logs:?}"
    );
    // Terminal tasks still assigned with desired RUNNING are not restarted.
    manager.more_syncs(3).await;
    assert_eq!(
        manager.states_of(&missing.id).len(),
        3,
        "{:?}",
        manager.states_of(&missing.id)
    );
    assert_eq!(
        manager.states_of(&done.id).last(),
        Some(&TaskState::Complete)
    );
    assert_eq!(manager.states_of(&done.id).len(), 5);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_adopts_the_running_container() {
    let node_id = unique("node-restart");
    let _cleanup = Cleanup(vec![node_id.clone()]);
    let mesh_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 42, 5));
    let mut t = task(&node_id, "restart", 1);
    t.endpoint.ports = vec![PortConfig::parse("published=1,target=80").unwrap()];
    let manager = FakeManager::new(vec![t.clone()]);
    let node = start_node(&node_id, mesh_ip, &manager).await;
    let first = manager.report(&t.id, TaskState::Running, 1).await;
    let container = first.container_id.clone().unwrap();

    // The agent dies: session and worker gone, the container keeps running.
    let worker = node.stop().await;
    drop(worker);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        inspect_running(&container),
        Some(true),
        "state: {}\nlogs: {}",
        docker(&["inspect", "-f", "{{json .State}}", &container]),
        docker(&["logs", &container]),
    );

    let node = start_node(&node_id, mesh_ip, &manager).await;
    let again = manager.report(&t.id, TaskState::Running, 2).await;
    assert_eq!(again.container_id.as_deref(), Some(container.as_str()));
    assert_eq!(again.ports, first.ports, "same container, same bound port");
    assert_eq!(
        manager.states_of(&t.id),
        [&UP[..], &[TaskState::Running]].concat(),
        "states the manager already had are not replayed"
    );
    let all = containers_with(&format!("{}={}", labels::TASK_ID, t.id));
    assert_eq!(all, vec![container.clone()], "no second container");
    assert!(node.worker.is_running(&t.id).await);
    let body = http_get(again.ports[0].addr.clone()).await;
    assert!(body.contains(&format!("task={}", t.id)), "{body}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_syncs_requeue_the_reports_in_order() {
    let (node_id, _cleanup, t, manager) = one_task("node-requeue", "requeue");
    manager.fail.store(4, Ordering::SeqCst);
    let node = start_node(&node_id, IpAddr::V4(Ipv4Addr::new(127, 0, 42, 6)), &manager).await;
    manager.report(&t.id, TaskState::Running, 1).await;
    assert_eq!(
        manager.fail.load(Ordering::SeqCst),
        0,
        "all failures happened"
    );
    assert_eq!(
        manager.states_of(&t.id),
        UP.to_vec(),
        "nothing lost, nothing doubled, order kept"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_syncs_at_once_not_after_the_period() {
    let (node_id, _cleanup, t, manager) = one_task("node-notify", "notify");
    // Far beyond the report wait: only the worker's notify can bring the reports in time.
    manager.edit(|a| a.period_ms = 3_600_000);
    let node = start_node(&node_id, IpAddr::V4(Ipv4Addr::new(127, 0, 42, 7)), &manager).await;
    manager.report(&t.id, TaskState::Running, 1).await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_settles_what_changed_while_it_was_down() {
    let node_id = unique("node-down");
    let _cleanup = Cleanup(vec![node_id.clone()]);
    let mesh_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 42, 8));
    let to_stop = task(&node_id, "down", 1);
    let exits = task(&node_id, "down", 2);
    let manager = FakeManager::new(vec![to_stop.clone(), exits.clone()]);
    let node = start_node(&node_id, mesh_ip, &manager).await;
    let a = manager.report(&to_stop.id, TaskState::Running, 1).await;
    let b = manager.report(&exits.id, TaskState::Running, 1).await;
    let (ca, cb) = (a.container_id.unwrap(), b.container_id.unwrap());
    drop(node.stop().await);

    // While the agent is down: the manager wants one task stopped, the other one exits.
    manager.edit(|r| r.tasks[0].desired_state = TaskState::Shutdown);
    docker(&["stop", &cb]);
    assert_eq!(inspect_running(&cb), Some(false));

    let node = start_node(&node_id, mesh_ip, &manager).await;
    let down = manager.report(&to_stop.id, TaskState::Shutdown, 1).await;
    assert_eq!(down.container_id.as_deref(), Some(ca.as_str()));
    assert!(down.exit_code.is_some(), "{down:?}");
    assert_eq!(inspect_running(&ca), Some(false));
    let gone = manager.report(&exits.id, TaskState::Complete, 1).await;
    assert_eq!(
        (gone.container_id.as_deref(), gone.exit_code),
        (Some(cb.as_str()), Some(0))
    );
    manager.more_syncs(3).await;
    assert_eq!(
        inspect_running(&cb),
        Some(false),
        "an exited task is not restarted"
    );
    assert!(!node.worker.is_running(&exits.id).await);
    node.stop().await;
}
