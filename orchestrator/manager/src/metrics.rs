//! The manager's metric families and the `/metrics` endpoints (issue 21).
//!
//! - Raft, read at scrape time from openraft's metrics: term, leader, last log and applied
//!   index, apply lag, voters; leader changes counted by [`leader_watch`].
//! - Orchestrator and scheduler: round durations, placements, pending decisions.
//! - Dispatcher: connected (Ready) nodes, sync handling time; heartbeat round trips of this
//!   node.
//! - The store's families (`swarm_store::metrics`); the node runtime adds the agent's and the
//!   overlay's (`swarm-node`).
//!
//! Served as plain HTTP on a loopback `--metrics-addr` ([`serve`]), and as `GET /metrics` on the
//! node's mTLS port and local socket for admin certificates and root ([`routes`]).

use std::sync::{Arc, LazyLock, Weak};

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use openraft::ServerState;
use swarm_api::node::NodeStatus;
use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::{gauge, gauges, AtomicHistogram, FnCollector, Registry, LATENCY_BUCKETS};
use tokio::net::TcpListener;

use crate::error::ManagerError;
use crate::extract::Call;
use crate::node::Node;
use crate::server::Peer;

swarm_metrics::families! {
    /// The manager's hot-path families.
    pub struct ManagerMetrics {
        /// Changes of the leader this node saw.
        leader_changes: Counter,
            "swarmd_raft_leader_changes", "Changes of the Raft leader this node saw";
        /// Duration of one orchestrator round (reconcile every service, commit).
        orchestrator_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_orchestrator_round",
            "Duration of one orchestrator round on the leader (reconcile and commit)", Seconds;
        /// Duration of one scheduler pass (schedule the pending tasks, commit).
        scheduler_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_scheduler_round",
            "Duration of one scheduler pass on the leader (place pending tasks and commit)",
            Seconds;
        /// Tasks placed on a node by the scheduler.
        placements: Counter,
            "swarmd_scheduler_placements", "Tasks the scheduler placed on a node";
        /// Time the dispatcher took to answer one node's sync.
        dispatcher_sync_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_dispatcher_sync", "Time the dispatcher took to answer one node's sync",
            Seconds;
        /// Round trip of this node's heartbeats to a manager.
        heartbeat_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_heartbeat", "Round trip of this node's heartbeats to a manager", Seconds;
        /// This node's heartbeats that failed.
        heartbeat_failures: Counter,
            "swarmd_heartbeat_failures", "Heartbeats of this node that failed";
    }
}

/// This process's manager metrics.
pub static METRICS: LazyLock<ManagerMetrics> = LazyLock::new(ManagerMetrics::default);

/// The registry of a manager-side node: the store's and the manager's families, turned on for
/// this process (the node runtime registers its executor's families on top).
pub fn registry(node: &Arc<Node>) -> Registry {
    swarm_metrics::enable();
    let mut reg = Registry::default();
    swarm_store::metrics::register(&mut reg);
    swarm_store::metrics::register_state(&mut reg, node.state.clone());
    METRICS.register(&mut reg);
    reg.register_collector(raft_collector(Arc::downgrade(node)));
    reg
}

fn raft_collector(node: Weak<Node>) -> Box<FnCollector> {
    FnCollector::new(move |enc| {
        let Some(n) = node.upgrade() else {
            return Ok(());
        };
        let m = n.metrics();
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let last_log = m.last_log_index.unwrap_or(0);
        let applied = m.last_applied.map_or(0, |l| l.index);
        let leader = m.state == ServerState::Leader;
        let voters = m.membership_config.membership().voter_ids().count() as u64;
        gauges(
            enc,
            &[
                ("swarmd_raft_term", "Current Raft term", i(m.current_term)),
                (
                    "swarmd_raft_is_leader",
                    "1 while this node is the Raft leader",
                    i64::from(leader),
                ),
                (
                    "swarmd_raft_has_leader",
                    "1 while this node knows a leader",
                    i64::from(m.current_leader.is_some()),
                ),
                (
                    "swarmd_raft_last_log_index",
                    "Index of the last entry in this node's Raft log",
                    i(last_log),
                ),
                (
                    "swarmd_raft_applied_index",
                    "Index of the last entry this node applied",
                    i(applied),
                ),
                (
                    "swarmd_raft_apply_lag",
                    "Log entries written but not yet applied on this node",
                    i(last_log.saturating_sub(applied)),
                ),
                (
                    "swarmd_raft_snapshot_index",
                    "Log index of this node's last snapshot",
                    i(m.snapshot.map_or(0, |l| l.index)),
                ),
                (
                    "swarmd_raft_voters",
                    "Voters in the Raft membership",
                    i(voters),
                ),
            ],
        )?;
        let ready = n.state.read().map_or(0, |a| {
            a.state
                .nodes
                .values()
                .filter(|x| x.status == NodeStatus::Ready)
                .count()
        });
        gauge(
            enc,
            "swarmd_dispatcher_connected_nodes",
            "Nodes Ready in the state (their heartbeats arrive); managers only",
            None,
            i(ready as u64),
        )
    })
}

/// Counts leader changes (every new leader this node learns of, the first one included)
/// until the node stops.
pub async fn leader_watch(n: Arc<Node>) {
    let mut rx = n.raft.metrics();
    let mut stopped = Box::pin(n.stopped());
    let mut last = None;
    loop {
        let leader = rx.borrow_and_update().current_leader;
        if leader.is_some() && leader != last {
            METRICS.leader_changes.inc();
            last = leader;
        }
        tokio::select! {
            _ = &mut stopped => return,
            r = rx.changed() => if r.is_err() { return },
        }
    }
}

fn exposition(reg: &Registry) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, swarm_metrics::CONTENT_TYPE)],
        swarm_metrics::encode(reg),
    )
}

pub(crate) async fn scrape(Call(n, p): Call) -> Result<axum::response::Response, ManagerError> {
    match p {
        Peer::Local | Peer::Admin { .. } => crate::auth::control_peer(&n, p)?,
        _ => {
            return Err(ManagerError::Forbidden(
                "metrics are served to admin certificates and root only".into(),
            ))
        }
    }
    match n.metrics_registry.get() {
        Some(reg) => Ok(exposition(reg).into_response()),
        None => Err(ManagerError::NotFound(
            "this node serves no metrics; start it with --metrics-addr".into(),
        )),
    }
}

/// Serves `GET /metrics` in plain HTTP on `listener` (a loopback address) until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    reg: Arc<Registry>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let reg = reg.clone();
            async move { exposition(&reg) }
        }),
    );
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::warn!(error = %e, "metrics server stopped");
    }
}
