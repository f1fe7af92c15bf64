//! The node's task executor inside the daemon: the Docker worker, its dispatcher session with
//! the managers over mutual TLS, and the log hook the node API serves.
//!
//! Every node (managers too, as in Docker) runs tasks when a Docker engine answers on the
//! configured socket; the daemon keeps trying to reach it, so an engine started later is
//! picked up. Managers sync with themselves (their own dispatcher forwards the writes to the
//! leader); workers rotate through the managers they know, like heartbeats.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use swarm_agent::docker::DockerExecutor;
use swarm_agent::session::{run_session, SessionOptions, SyncTransport};
use swarm_agent::worker::{Worker, WorkerOptions};
use swarm_agent::NodeContext;
use swarm_api::dispatch::{SyncRequest, SyncResponse};
use swarm_api::node::{format_node_id, Role};
use swarm_api::resources::Resources;
use swarm_api::routes;

use crate::agent_handle::{AgentHandle, BoxFut};
use crate::node::Node;

/// Sends dispatcher syncs to a manager: this node itself if it is one, else the known
/// managers in turn (moving on after a failure).
pub struct ManagerTransport {
    node: Arc<Node>,
    own_addr: String,
    next: AtomicUsize,
}

impl ManagerTransport {
    /// A transport for `node`, whose API is at `own_addr`.
    pub fn new(node: Arc<Node>, own_addr: String) -> Self {
        ManagerTransport {
            node,
            own_addr,
            next: AtomicUsize::new(0),
        }
    }

    fn target(&self) -> Option<String> {
        if self.node.role() == Some(Role::Manager) {
            return Some(self.own_addr.clone());
        }
        let managers = self
            .node
            .managers
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        (!managers.is_empty())
            .then(|| managers[self.next.load(Ordering::Relaxed) % managers.len()].clone())
    }
}

impl SyncTransport for ManagerTransport {
    async fn sync(&self, req: SyncRequest) -> Result<SyncResponse, String> {
        let addr = self
            .target()
            .ok_or_else(|| "no manager known to this node yet".to_string())?;
        match self
            .node
            .peer(&addr)
            .send(&routes::DISPATCHER_SYNC, &[], &req)
            .await
        {
            Ok(r) => Ok(r),
            Err(e) => {
                self.next.fetch_add(1, Ordering::Relaxed);
                Err(format!("{addr}: {e}"))
            }
        }
    }
}

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
        opts: swarm_agent::executor::LogStreamOptions,
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
    /// This node's API address (managers sync with themselves there).
    pub own_addr: String,
    /// Caps the capacity reported to the scheduler (zero fields: the engine's figures).
    pub capacity: Resources,
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

/// A manager syncs with its own API, which refuses nodes its state does not list: right after
/// `init` (or a manager's join) that state does not list this node yet, and the first sync would
/// be told "not part of this cluster". So a node that counts itself among the managers waits
/// (up to 10 s, then syncs anyway) until its own state lists it. False when the node stopped.
async fn own_membership_applied(
    node: &Node,
    own_addr: &str,
    stopped: &mut (impl std::future::Future<Output = ()> + Unpin),
) -> bool {
    let is_manager = node
        .managers
        .lock()
        .map(|m| m.iter().any(|a| a == own_addr))
        .unwrap_or(false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while is_manager && node.role().is_none() && tokio::time::Instant::now() < deadline {
        tokio::select! {
            _ = &mut *stopped => return false,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    true
}

/// Connects to the engine (retrying until the node stops) and runs the dispatcher session.
pub async fn run(node: Arc<Node>, cfg: ExecutorConfig) {
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
    if !own_membership_applied(&node, &cfg.own_addr, &mut stopped).await {
        return;
    }
    let transport = ManagerTransport::new(node.clone(), cfg.own_addr);
    let cap = cfg.capacity;
    let describe = || {
        let w = worker.clone();
        async move {
            let mut d = w.executor().describe().await.ok()?;
            d.resources = capped(d.resources, cap);
            Some(d)
        }
    };
    run_session(
        &transport,
        &worker,
        node.id,
        describe,
        SessionOptions::default(),
        node.stopped(),
    )
    .await;
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
