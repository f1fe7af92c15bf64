//! The node's one session with the managers: every dispatcher sync is the node's heartbeat, its
//! task reports and its assignments at once (swarmkit's session; the dispatcher answers the
//! heartbeat period).
//!
//! Managers sync with themselves (their own dispatcher forwards the beat and the writes to the
//! leader); workers rotate through the managers they know, moving on after a failure. Every
//! answered sync is recorded for the health check and updates the managers to fail over to.
//! Only while no sync was answered for two heartbeat periods (the session is still applying the
//! last answer: pulls, containers, networks) does the session send a bare heartbeat, so the
//! node's liveness does not depend on how long its tasks take to start. While the node leaves
//! (`Node::pause_heartbeats`) neither is sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use swarm_agent::session::{run_session, SessionOptions, SyncTransport};
use swarm_api::control::HeartbeatRequest;
use swarm_api::dispatch::{SyncRequest, SyncResponse};
use swarm_api::node::Role;
use swarm_api::routes::{self, Route};
use swarm_manager::health::HeartbeatAcks;
use swarm_manager::metrics::METRICS;
use swarm_manager::node::Node;
use swarm_manager::state_dir::StateDir;

use crate::executor_link::NodeTasks;

/// Where the session goes and what it keeps up to date.
pub struct Link {
    /// The state directory (the managers' addresses are saved there).
    pub dir: StateDir,
    /// This node's API address (a manager syncs with itself there).
    pub own_addr: String,
    /// Answered syncs, for the health check.
    pub acks: HeartbeatAcks,
}

/// Sends dispatcher syncs to a manager: this node itself if it is one, else the known
/// managers in turn (moving on after a failure).
pub struct ManagerTransport {
    node: Arc<Node>,
    link: Link,
    next: AtomicUsize,
}

impl ManagerTransport {
    /// A transport for `node`.
    pub fn new(node: Arc<Node>, link: Link) -> Self {
        ManagerTransport {
            node,
            link,
            next: AtomicUsize::new(0),
        }
    }

    fn managers(&self) -> Vec<String> {
        self.node
            .managers
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    fn target(&self, managers: &[String]) -> Option<String> {
        if self.node.role() == Some(Role::Manager) {
            return Some(self.link.own_addr.clone());
        }
        (!managers.is_empty())
            .then(|| managers[self.next.load(Ordering::Relaxed) % managers.len()].clone())
    }

    /// Keeps the managers of an answer (in memory and in the state directory).
    fn learn_managers(&self, known: &[String], answer: &[String]) {
        if answer.is_empty() || answer == known {
            return;
        }
        if let Ok(mut m) = self.node.managers.lock() {
            m.clear();
            m.extend_from_slice(answer);
        }
        if let Ok(mut id) = self.link.dir.load_identity() {
            id.managers = answer.to_vec();
            let _ = self.link.dir.save_identity(&id);
        }
    }
}

impl SyncTransport for ManagerTransport {
    async fn sync(&self, req: SyncRequest) -> Result<SyncResponse, String> {
        if *self.node.heartbeat_gate.lock().await {
            return Err("the node is leaving".into());
        }
        self.call(&routes::DISPATCHER_SYNC, &req, |r| &r.managers)
            .await
    }
}

impl ManagerTransport {
    /// Sends `req` to the manager of the moment; an answer counts as an acknowledged heartbeat
    /// and brings the managers to fail over to (`managers_of`), a failure moves on to the next.
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: &Route<Req, Resp>,
        req: &Req,
        managers_of: fn(&Resp) -> &Vec<String>,
    ) -> Result<Resp, String> {
        let managers = self.managers();
        let addr = self
            .target(&managers)
            .ok_or_else(|| "no manager known to this node yet".to_string())?;
        let t = swarm_metrics::start();
        match self.node.peer(&addr).send(route, &[], req).await {
            Ok(resp) => {
                METRICS.heartbeat_seconds.observe_since(t);
                self.link.acks.record();
                self.learn_managers(&managers, managers_of(&resp));
                Ok(resp)
            }
            Err(e) => {
                if t.is_some() {
                    METRICS.heartbeat_failures.inc();
                }
                self.next.fetch_add(1, Ordering::Relaxed);
                Err(format!("{addr}: {e}"))
            }
        }
    }

    /// One explicit heartbeat, for when no sync was answered for two periods (the last answer
    /// is still being applied: starting containers, wiring networks). Held under the heartbeat
    /// gate until answered, so a leave waits for the one in flight.
    async fn beat_if_late(&self, period: Duration) {
        if self.link.acks.age().is_some_and(|age| age < period * 2) {
            return;
        }
        let gate = self.node.heartbeat_gate.lock().await;
        if *gate {
            return;
        }
        let req = HeartbeatRequest {
            node_id: self.node.id,
        };
        if let Err(e) = self.call(&routes::HEARTBEAT, &req, |r| &r.managers).await {
            tracing::debug!(error = %e, "heartbeat failed");
        }
        drop(gate);
    }
}

/// The session's timing from the heartbeat period: a failed sync is retried within one
/// period (a heartbeat is never late for a failure), sooner at first.
pub fn options(heartbeat: Duration) -> SessionOptions {
    SessionOptions {
        min_backoff: heartbeat.min(Duration::from_millis(200)),
        max_backoff: heartbeat,
        default_period: heartbeat,
        ..SessionOptions::default()
    }
}

/// A manager syncs with its own API, which refuses nodes its state does not list: right after
/// `init` that state does not list this node yet, and the first sync would be told "not part of
/// this cluster". So a node that counts itself among the managers waits (up to 10 s, then syncs
/// anyway) until its own state lists it. False when the node stopped.
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

/// Runs the node's session until it stops: `tasks` are synced once the executor started them,
/// the heartbeat goes from the start.
pub async fn run(node: Arc<Node>, link: Link, tasks: Arc<NodeTasks>) {
    let mut stopped = Box::pin(node.stopped());
    if !own_membership_applied(&node, &link.own_addr, &mut stopped).await {
        return;
    }
    let period = node.settings.heartbeat_interval();
    let transport = ManagerTransport::new(node.clone(), link);
    let describe = || {
        let tasks = tasks.clone();
        async move { tasks.describe().await }
    };
    let sync = run_session(
        &transport,
        &*tasks,
        node.id,
        describe,
        options(period),
        node.stopped(),
    );
    // While an answer is being applied the session sends no sync: a beat keeps the node alive.
    let beats = async {
        loop {
            tokio::time::sleep(period).await;
            transport.beat_if_late(period).await;
        }
    };
    tokio::select! {
        () = sync => {}
        () = beats => {}
        () = &mut stopped => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_sync_is_retried_within_one_heartbeat_period() {
        let o = options(Duration::from_secs(1));
        assert_eq!(o.min_backoff, Duration::from_millis(200));
        assert_eq!(o.max_backoff, Duration::from_secs(1));
        assert_eq!(o.default_period, Duration::from_secs(1));
        let fast = options(Duration::from_millis(100));
        assert_eq!(fast.min_backoff, Duration::from_millis(100));
        assert_eq!(fast.max_backoff, Duration::from_millis(100));
    }
}
