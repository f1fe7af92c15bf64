//! The tasks of ONE node: makes the containers on this node match what the managers assign
//! ([`Worker::apply`] with each sync answer) and collects the status changes to report.
//!
//! Each task to run gets a [`run_task`] controller in the background; its updates go into
//! an outbox ([`Worker::take_reports`], [`Worker::requeue`]) and wake [`Worker::notified`]
//! so the session syncs at once. The routing-mesh table of the answer is applied to a
//! [`Mesh`] bound on the configured mesh IP. What to do is decided by [`plan`].
//!
//! Dropping the worker is a crash as far as tasks are concerned: the controllers are
//! aborted and the containers keep running; a new worker adopts them on its first apply.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use swarm_api::dispatch::{MeshPort, SyncResponse, TaskReport};
use swarm_api::task::{Task, TaskState, TaskStatus};
use tokio::sync::{mpsc, watch, Mutex, Notify};
use tokio::task::JoinHandle;

use crate::controller::{run_task, RunOptions, StatusUpdate};
use crate::error::AgentError;
use crate::executor::{Executor, LogLine};
use crate::mesh::{Mesh, MeshKey, MeshTable};
use crate::plan::{plan, worth_reporting, Action, LocalState};
use crate::proxy::ProxyOptions;

/// How a worker runs its tasks and its routing mesh.
#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    /// The address the routing-mesh listeners bind on (every published ingress port):
    /// 0.0.0.0 on a real node, a loopback or bridge address in tests.
    pub mesh_ip: IpAddr,
    /// Stop grace and other per-task settings.
    pub run: RunOptions,
    /// Proxy tuning of the mesh.
    pub proxy: ProxyOptions,
}

impl WorkerOptions {
    /// Defaults with the given mesh IP.
    pub fn new(mesh_ip: IpAddr) -> Self {
        WorkerOptions {
            mesh_ip,
            run: RunOptions::default(),
            proxy: ProxyOptions::default(),
        }
    }
}

struct Controller {
    stop: watch::Sender<bool>,
    handle: JoinHandle<TaskStatus>,
}

#[derive(Default)]
struct Outbox {
    reports: Vec<TaskReport>,
    /// The state the manager recorded for each assigned task (from the last answer).
    known: HashMap<String, TaskState>,
}

struct Shared {
    outbox: StdMutex<Outbox>,
    notify: Notify,
}

impl Shared {
    fn push(&self, task_id: String, status: TaskStatus) {
        {
            let mut o = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
            if !worth_reporting(o.known.get(&task_id).copied(), status.state) {
                return;
            }
            o.reports.push(TaskReport { task_id, status });
        }
        self.notify.notify_one();
    }
}

struct State {
    controllers: HashMap<String, Controller>,
    settled: HashSet<String>,
    mesh: Mesh,
}

/// Runs the tasks the managers assign to one node.
pub struct Worker<E: Executor + 'static> {
    exec: Arc<E>,
    options: WorkerOptions,
    state: Mutex<State>,
    shared: Arc<Shared>,
    updates: mpsc::UnboundedSender<StatusUpdate>,
    forwarder: JoinHandle<()>,
    overlay: std::sync::OnceLock<Arc<dyn crate::overlay_hook::OverlayHook>>,
    files: std::sync::OnceLock<Arc<crate::task_files::TaskFiles>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The mesh table of an answer: published port and protocol → backend addresses. Backends
/// that are not `ip:port` are skipped and named in the error (the rest is still served).
pub fn mesh_table(ports: &[MeshPort]) -> (MeshTable, Option<String>) {
    let mut table = MeshTable::new();
    let mut bad = Vec::new();
    for p in ports {
        let addrs: &mut Vec<SocketAddr> = table.entry((p.published, p.protocol)).or_default();
        for b in &p.backends {
            match b.parse() {
                Ok(a) => addrs.push(a),
                Err(_) => bad.push(format!(
                    "{b:?} (service {}, port {})",
                    p.service, p.published
                )),
            }
        }
    }
    let err = (!bad.is_empty()).then(|| {
        format!(
            "routing mesh: skipped backends that are not ip:port: {}",
            bad.join(", ")
        )
    });
    (table, err)
}

/// How many containers a worker removes at once (deleted tasks of one sync answer).
pub const PARALLEL_REMOVALS: usize = 16;

/// Forgets a deleted task: its controller (aborted) and its settled mark.
fn forget(st: &mut State, task_id: &str) {
    if let Some(c) = st.controllers.remove(task_id) {
        c.handle.abort();
    }
    st.settled.remove(task_id);
}

impl<E: Executor + 'static> Worker<E> {
    /// A worker running tasks on `exec` (whose node id labels and finds the containers).
    /// Must be called inside a Tokio runtime.
    pub fn new(exec: E, options: WorkerOptions) -> Self {
        let shared = Arc::new(Shared {
            outbox: StdMutex::new(Outbox::default()),
            notify: Notify::new(),
        });
        let (updates, mut rx) = mpsc::unbounded_channel::<StatusUpdate>();
        let fwd = shared.clone();
        let forwarder = tokio::spawn(async move {
            while let Some(u) = rx.recv().await {
                fwd.push(u.task_id, u.status);
            }
        });
        Worker {
            exec: Arc::new(exec),
            options,
            state: Mutex::new(State {
                controllers: HashMap::new(),
                settled: HashSet::new(),
                mesh: Mesh::new(options.mesh_ip, options.proxy),
            }),
            shared,
            updates,
            forwarder,
            overlay: std::sync::OnceLock::new(),
            files: std::sync::OnceLock::new(),
        }
    }

    /// Wires this node's task containers into their overlay networks after every answer.
    pub fn set_overlay(&self, hook: Arc<dyn crate::overlay_hook::OverlayHook>) {
        let _ = self.overlay.set(hook);
    }

    /// Keeps the secret and config values of each answer in `files`, and deletes the files
    /// of the tasks that went.
    pub fn set_files(&self, files: Arc<crate::task_files::TaskFiles>) {
        let _ = self.files.set(files);
    }

    /// The executor.
    pub fn executor(&self) -> &E {
        &self.exec
    }

    /// Makes this node match `resp`: starts, stops and removes task containers and applies
    /// the routing mesh. Everything is attempted; the first failure is returned.
    pub async fn apply(&self, resp: &SyncResponse) -> Result<(), AgentError> {
        {
            let mut o = self.shared.outbox.lock().unwrap_or_else(|e| e.into_inner());
            o.known = resp
                .tasks
                .iter()
                .map(|t| (t.id.clone(), t.status.state))
                .collect();
        }
        if let Some(files) = self.files.get() {
            files.set_payloads(&resp.secrets, &resp.configs);
        }
        let mut st = self.state.lock().await;
        let mut first_error: Option<AgentError> = None;
        let finished: Vec<String> = st
            .controllers
            .iter()
            .filter(|(_, c)| c.handle.is_finished())
            .map(|(id, _)| id.clone())
            .collect();
        for id in finished {
            st.controllers.remove(&id);
            st.settled.insert(id);
        }
        let containers = match self.exec.task_containers().await {
            Ok(c) => Some(c),
            Err(e) => {
                first_error = Some(e);
                None
            }
        };
        if let (Some(hook), Some(containers)) = (self.overlay.get(), &containers) {
            let running: Vec<(String, String)> = containers
                .iter()
                .filter(|c| c.state == crate::executor::ContainerState::Running)
                .map(|c| (c.task_id.clone(), c.container_id.clone()))
                .collect();
            if let Err(e) = hook.apply(&resp.overlay, &running).await {
                first_error.get_or_insert(AgentError::Mesh(format!("overlay: {e}")));
            }
        }
        if let Some(containers) = containers {
            let active: HashSet<String> = st.controllers.keys().cloned().collect();
            let actions = plan(
                &resp.tasks,
                LocalState {
                    active: &active,
                    settled: &st.settled,
                    containers: &containers,
                },
            );
            let tasks: HashMap<&str, &Task> =
                resp.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
            // Removals come first in the plan; their containers go in parallel (one
            // `docker rm -f` each, like swarmkit's per-task controllers), not one by one.
            let (removals, actions): (Vec<Action>, Vec<Action>) = actions
                .into_iter()
                .partition(|a| matches!(a, Action::Remove { .. }));
            let mut doomed = Vec::new();
            for action in removals {
                if let Action::Remove {
                    task_id,
                    container_ids,
                } = action
                {
                    forget(&mut st, &task_id);
                    doomed.extend(container_ids);
                }
            }
            if let Err(e) = self.remove_containers(doomed).await {
                first_error.get_or_insert(e);
            }
            for action in actions {
                if let Err(e) = self.act(&mut st, action, &tasks).await {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(files) = self.files.get() {
            // The files of tasks no longer assigned here (or ended) go with them.
            let keep: HashSet<&str> = resp
                .tasks
                .iter()
                .filter(|t| !t.status.state.is_terminal() && t.desired_state <= TaskState::Running)
                .map(|t| t.id.as_str())
                .collect();
            for id in files.task_dirs() {
                if !keep.contains(id.as_str()) && !st.controllers.contains_key(&id) {
                    files.remove(&id);
                }
            }
        }
        let (table, bad) = mesh_table(&resp.mesh);
        if let Err(e) = st.mesh.apply(&table).await {
            first_error.get_or_insert(e);
        }
        if let Some(bad) = bad {
            first_error.get_or_insert(AgentError::Mesh(bad));
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Removes the containers, up to [`PARALLEL_REMOVALS`] at a time; every one is attempted
    /// and the first failure is returned.
    async fn remove_containers(&self, ids: Vec<String>) -> Result<(), AgentError> {
        let exec = &self.exec;
        let results: Vec<Result<(), AgentError>> = futures_util::stream::iter(ids)
            .map(|id| async move { exec.remove(&id).await })
            .buffer_unordered(PARALLEL_REMOVALS)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn act(
        &self,
        st: &mut State,
        action: Action,
        tasks: &HashMap<&str, &Task>,
    ) -> Result<(), AgentError> {
        match action {
            Action::Remove {
                task_id,
                container_ids,
            } => {
                forget(st, &task_id);
                self.remove_containers(container_ids).await
            }
            Action::Stop { task_id } => {
                if let Some(c) = st.controllers.get(&task_id) {
                    c.stop.send_replace(true);
                }
                Ok(())
            }
            Action::Settle {
                task_id,
                container_id,
            } => {
                let mut status = TaskStatus {
                    state: TaskState::Shutdown,
                    message: "shutdown".into(),
                    timestamp_ms: now_ms(),
                    container_id: container_id.clone(),
                    ..Default::default()
                };
                if let Some(id) = &container_id {
                    let grace = tasks
                        .get(task_id.as_str())
                        .and_then(|t| t.spec.container.stop_grace_period_ms)
                        .map_or(
                            self.options.run.stop_grace,
                            std::time::Duration::from_millis,
                        );
                    match self.exec.stop(id, grace).await {
                        Ok(()) => status.exit_code = self.exec.wait(id).await.ok(),
                        Err(e) => {
                            status.message = "shutdown (stop failed)".into();
                            status.err = Some(e.to_string());
                        }
                    }
                } else {
                    status.message = "shutdown before start".into();
                }
                st.settled.insert(task_id.clone());
                self.shared.push(task_id, status);
                Ok(())
            }
            Action::ReportExit {
                task_id,
                container_id,
            } => {
                let code = self.exec.wait(&container_id).await?;
                let mut status = TaskStatus {
                    state: TaskState::Complete,
                    message: "finished".into(),
                    timestamp_ms: now_ms(),
                    container_id: Some(container_id),
                    exit_code: Some(code),
                    ..Default::default()
                };
                if code != 0 {
                    status.state = TaskState::Failed;
                    status.message = "exited".into();
                    status.err = Some(format!("task: non-zero exit ({code})"));
                }
                st.settled.insert(task_id.clone());
                self.shared.push(task_id, status);
                Ok(())
            }
            Action::Run { task_id } => {
                let Some(task) = tasks.get(task_id.as_str()) else {
                    return Ok(());
                };
                let (stop, stop_rx) = watch::channel(false);
                let exec = self.exec.clone();
                let task = (*task).clone();
                let updates = self.updates.clone();
                let opts = self.options.run;
                let handle = tokio::spawn(async move {
                    run_task(exec.as_ref(), &task, opts, &updates, stop_rx).await
                });
                st.controllers.insert(task_id, Controller { stop, handle });
                Ok(())
            }
        }
    }

    /// The status changes observed since the last call, oldest first.
    pub fn take_reports(&self) -> Vec<TaskReport> {
        let mut o = self.shared.outbox.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut o.reports)
    }

    /// Puts back reports whose sync failed, ahead of newer ones (order is kept).
    pub fn requeue(&self, mut reports: Vec<TaskReport>) {
        if reports.is_empty() {
            return;
        }
        let mut o = self.shared.outbox.lock().unwrap_or_else(|e| e.into_inner());
        reports.append(&mut o.reports);
        o.reports = reports;
    }

    /// Completes when a status change was queued since the last wait (a permit is kept when
    /// nobody waits, so no change is missed).
    pub async fn notified(&self) {
        self.shared.notify.notified().await;
    }

    /// The published ports the routing mesh serves on this node.
    pub async fn mesh_ports(&self) -> Vec<MeshKey> {
        self.state.lock().await.mesh.ports()
    }

    /// Whether a controller runs the task here now.
    pub async fn is_running(&self, task_id: &str) -> bool {
        self.state
            .lock()
            .await
            .controllers
            .get(task_id)
            .is_some_and(|c| !c.handle.is_finished())
    }

    /// The logs of the task's container on this node (the last `tail` lines when given).
    pub async fn logs(
        &self,
        task_id: &str,
        tail: Option<usize>,
    ) -> Result<Vec<LogLine>, AgentError> {
        let id = self.container_of(task_id).await?;
        self.exec.logs(&id, tail).await
    }

    /// Streams the logs of the task's container on this node to `tx` (see
    /// [`Executor::log_stream`]).
    pub async fn log_stream(
        &self,
        task_id: &str,
        opts: crate::executor::LogStreamOptions,
        tx: tokio::sync::mpsc::Sender<LogLine>,
    ) -> Result<(), AgentError> {
        let id = self.container_of(task_id).await?;
        self.exec.log_stream(&id, opts, tx).await
    }

    /// The id of the task's container on this node.
    async fn container_of(&self, task_id: &str) -> Result<String, AgentError> {
        let containers = self.exec.task_containers().await?;
        containers
            .into_iter()
            .find(|c| c.task_id == task_id)
            .map(|c| c.container_id)
            .ok_or_else(|| AgentError::NoContainer {
                task_id: task_id.to_string(),
            })
    }
}

impl<E: Executor + 'static> Drop for Worker<E> {
    fn drop(&mut self) {
        // The controllers end here; their containers keep running (as when the agent
        // process ends). A dropped stop sender is not a stop (`controller::stop_requested`).
        for c in self.state.get_mut().controllers.values() {
            c.handle.abort();
        }
        self.forwarder.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::publish::Protocol;

    /// An executor whose node holds `containers` exited containers of deleted tasks; it
    /// records each removal and how many were in flight at once (a removal yields before it
    /// ends, so removals driven together overlap and one-by-one ones never do).
    #[derive(Default)]
    struct Removals {
        containers: Vec<crate::executor::TaskContainer>,
        in_flight: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
        removed: StdMutex<Vec<String>>,
    }

    impl Executor for Removals {
        async fn prepare(&self, _: &Task) -> Result<String, AgentError> {
            unreachable!("no task to run")
        }
        async fn start(&self, _: &str) -> Result<(), AgentError> {
            unreachable!("no task to run")
        }
        async fn wait(&self, _: &str) -> Result<i64, AgentError> {
            unreachable!("no task to wait for")
        }
        async fn stop(&self, _: &str, _: std::time::Duration) -> Result<(), AgentError> {
            unreachable!("no task to stop")
        }
        async fn remove(&self, container_id: &str) -> Result<(), AgentError> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            self.in_flight.fetch_sub(1, SeqCst);
            self.removed.lock().unwrap().push(container_id.to_string());
            Ok(())
        }
        async fn logs(&self, _: &str, _: Option<usize>) -> Result<Vec<LogLine>, AgentError> {
            Ok(vec![])
        }
        async fn log_stream(
            &self,
            _: &str,
            _: crate::executor::LogStreamOptions,
            _: tokio::sync::mpsc::Sender<LogLine>,
        ) -> Result<(), AgentError> {
            Ok(())
        }
        async fn bound_ports(
            &self,
            _: &Task,
            _: &str,
        ) -> Result<Vec<swarm_api::task::BoundPort>, AgentError> {
            Ok(vec![])
        }
        async fn task_containers(&self) -> Result<Vec<crate::executor::TaskContainer>, AgentError> {
            Ok(self.containers.clone())
        }
    }

    #[tokio::test]
    async fn deleted_tasks_containers_are_removed_in_parallel_up_to_the_bound() {
        let n = PARALLEL_REMOVALS + 5;
        let exec = Removals {
            containers: (0..n)
                .map(|i| crate::executor::TaskContainer {
                    task_id: format!("t{i}"),
                    container_id: format!("c{i}"),
                    state: crate::executor::ContainerState::Exited,
                })
                .collect(),
            ..Removals::default()
        };
        let worker = Worker::new(
            exec,
            WorkerOptions::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        );
        // No task assigned any more: every container belongs to a deleted task.
        worker.apply(&SyncResponse::default()).await.unwrap();
        let exec = worker.executor();
        let mut removed = exec.removed.lock().unwrap().clone();
        removed.sort();
        let mut want: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        want.sort();
        assert_eq!(removed, want, "every container removed once");
        assert_eq!(
            exec.most.load(std::sync::atomic::Ordering::SeqCst),
            PARALLEL_REMOVALS,
            "removals overlap, at most PARALLEL_REMOVALS at once"
        );
    }

    #[test]
    fn mesh_table_keys_ports_by_protocol_and_names_bad_backends() {
        let port = |published, protocol, backends: &[&str]| MeshPort {
            published,
            protocol,
            service: "web".into(),
            backends: backends.iter().map(|s| s.to_string()).collect(),
        };
        let (table, err) = mesh_table(&[
            port(8080, Protocol::Tcp, &["10.0.0.1:32768", "nonsense"]),
            port(5353, Protocol::Udp, &["10.0.0.1:40000"]),
            port(9090, Protocol::Tcp, &[]),
        ]);
        assert_eq!(
            table,
            MeshTable::from([
                (
                    (8080, Protocol::Tcp),
                    vec!["10.0.0.1:32768".parse().unwrap()]
                ),
                (
                    (5353, Protocol::Udp),
                    vec!["10.0.0.1:40000".parse().unwrap()]
                ),
                ((9090, Protocol::Tcp), vec![]),
            ])
        );
        let err = err.unwrap();
        assert!(
            err.contains("\"nonsense\" (service web, port 8080)"),
            "{err}"
        );
    }
}
