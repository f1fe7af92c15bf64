//! The node's task executor: the Docker worker, the tasks the session syncs ([`NodeTasks`]),
//! and the log hook the node API serves.
//!
//! Every node (managers too, as in Docker) runs tasks when a Docker engine answers on the
//! configured socket; the daemon keeps trying to reach it, so an engine started later is
//! picked up by the running session.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use swarm_agent::docker::DockerExecutor;
use swarm_agent::session::SessionTasks;
use swarm_agent::worker::{Worker, WorkerOptions};
use swarm_agent::NodeContext;
use swarm_api::dispatch::{NodeDescription, SyncResponse, TaskReport};
use swarm_api::node::format_node_id;
use swarm_api::resources::Resources;
use swarm_manager::agent_handle::{AgentHandle, BoxFut};
use swarm_manager::node::Node;
use tokio::sync::Notify;

struct Logs(Arc<Worker<DockerExecutor>>);

impl AgentHandle for Logs {
    fn logs<'a>(
        &'a self,
        task_id: &'a str,
        tail: Option<usize>,
    ) -> BoxFut<'a, Result<Vec<(bool, String)>, String>> {
        Box::pin(async move {
            self.0
                .logs(task_id, tail)
                .await
                .map(|lines| lines.into_iter().map(|l| (l.stderr, l.text)).collect())
                .map_err(|e| e.to_string())
        })
    }

    fn log_stream<'a>(
        &'a self,
        task_id: &'a str,
        opts: swarm_api::service_api::LogStreamOptions,
        tx: tokio::sync::mpsc::Sender<(bool, String, Option<String>)>,
    ) -> BoxFut<'a, Result<(), String>> {
        Box::pin(async move {
            let (ltx, mut lrx) = tokio::sync::mpsc::channel(256);
            let read = self.0.log_stream(task_id, opts, ltx);
            let forward = async {
                while let Some(l) = lrx.recv().await {
                    let l: swarm_agent::executor::LogLine = l;
                    if tx.send((l.stderr, l.text, l.time)).await.is_err() {
                        break;
                    }
                }
            };
            // The read ends when the logs end or its receiver (here) goes; forwarding ends
            // when the read's sender drops or our receiver (the caller) goes.
            let (r, ()) = tokio::join!(read, forward);
            r.map_err(|e| e.to_string())
        })
    }

    fn remove_all(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            // An empty assignment list: every task was deleted.
            if let Err(e) = self.0.apply(&SyncResponse::default()).await {
                tracing::warn!(error = %e, "removing the task containers after leaving");
            }
        })
    }
}

/// Where the executor's ports go.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// The Docker engine socket.
    pub docker_socket: String,
    /// Published container ports bind here.
    pub publish_ip: IpAddr,
    /// The routing mesh listens here.
    pub mesh_ip: IpAddr,
    /// This node's host name (container env and labels).
    pub hostname: String,
    /// A tmpfs directory for the secret and config files of tasks (a subdirectory per node).
    pub files_root: std::path::PathBuf,
}

/// The engine's capacity capped by `cap` (`swarmd --cpus/--memory`): each field is the smaller
/// of the two, a zero cap field leaves the engine's figure.
pub fn capped(engine: Resources, cap: Resources) -> Resources {
    let pick = |e: i64, c: i64| if c > 0 && (e == 0 || c < e) { c } else { e };
    Resources {
        nano_cpus: pick(engine.nano_cpus, cap.nano_cpus),
        memory_bytes: pick(engine.memory_bytes, cap.memory_bytes),
    }
}

/// The tasks of this node for its session with the managers: the Docker worker once an engine
/// answered; none before that, or on a node without an executor (`--no-executor`), whose
/// session is its heartbeat alone.
pub struct NodeTasks {
    worker: OnceLock<Arc<Worker<DockerExecutor>>>,
    ready: Notify,
    capacity: Resources,
}

impl NodeTasks {
    /// No worker yet; `capacity` caps what the engine offers (see [`capped`]).
    pub fn new(capacity: Resources) -> Self {
        NodeTasks {
            worker: OnceLock::new(),
            ready: Notify::new(),
            capacity,
        }
    }

    fn set(&self, worker: Arc<Worker<DockerExecutor>>) {
        if self.worker.set(worker).is_ok() {
            // A sync at once: the description, then the assignments.
            self.ready.notify_one();
        }
    }

    /// The node's description from its engine (`None`: no engine yet, or it did not answer).
    pub async fn describe(&self) -> Option<NodeDescription> {
        let w = self.worker.get()?;
        let mut d = w.executor().describe().await.ok()?;
        d.resources = capped(d.resources, self.capacity);
        Some(d)
    }
}

impl SessionTasks for NodeTasks {
    fn take_reports(&self) -> Vec<TaskReport> {
        self.worker
            .get()
            .map(|w| w.take_reports())
            .unwrap_or_default()
    }

    fn requeue(&self, reports: Vec<TaskReport>) {
        if let Some(w) = self.worker.get() {
            w.requeue(reports);
        }
    }

    async fn apply(&self, resp: &SyncResponse) -> Result<(), String> {
        match self.worker.get() {
            Some(w) => w.apply(resp).await.map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    async fn notified(&self) {
        match self.worker.get() {
            Some(w) => w.notified().await,
            None => self.ready.notified().await,
        }
    }
}

/// Connects to the engine (retrying until the node stops), then hands the worker to `tasks`
/// (the session picks it up) and to the node API (task logs).
pub async fn run(node: Arc<Node>, cfg: ExecutorConfig, tasks: Arc<NodeTasks>) {
    let mut stopped = Box::pin(node.stopped());
    let context = NodeContext {
        node_id: format_node_id(node.id),
        hostname: cfg.hostname.clone(),
    };
    let mut warned = false;
    let exec = loop {
        match DockerExecutor::connect(&cfg.docker_socket, context.clone()).await {
            Ok(e) => break e.with_publish_ip(cfg.publish_ip),
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "no Docker engine: this node runs no tasks until one answers");
                    warned = true;
                }
            }
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    };
    tracing::info!(socket = %cfg.docker_socket, "task executor ready");
    // Secrets and configs of this node's tasks: on a tmpfs, one directory per node.
    let files_root = cfg.files_root.join(format_node_id(node.id));
    let files = match swarm_agent::task_files::TaskFiles::new(&files_root) {
        Ok(f) => Some(Arc::new(f)),
        Err(e) => {
            tracing::warn!(error = %e, "tasks with secrets or configs cannot run on this node");
            None
        }
    };
    let exec = match &files {
        Some(f) => exec.with_files(f.clone()),
        None => exec,
    };
    let worker = Arc::new(Worker::new(exec, WorkerOptions::new(cfg.mesh_ip)));
    if let Some(f) = files {
        worker.set_files(f);
    }
    worker.set_overlay(Arc::new(swarm_overlay::Overlay::new(
        worker.executor().client().clone(),
    )));
    let _ = node.agent.set(Arc::new(Logs(worker.clone())));
    tasks.set(worker);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_cap_takes_the_smaller_figure() {
        let engine = Resources {
            nano_cpus: 2_000_000_000,
            memory_bytes: 24 << 30,
        };
        let none = Resources::default();
        assert_eq!(capped(engine, none), engine);
        let cap = Resources {
            nano_cpus: 500_000_000,
            memory_bytes: 512 << 20,
        };
        assert_eq!(capped(engine, cap), cap);
        // A cap above the machine does not invent capacity.
        let big = Resources {
            nano_cpus: 64_000_000_000,
            memory_bytes: 0,
        };
        assert_eq!(capped(engine, big), engine);
    }
}
