//! The leader's orchestration loop: reconcile every service, then schedule pending tasks.
//!
//! Runs on every node but acts only while the node is the leader with quorum. It wakes up
//! when the applied state changes (debounced), when a plan asked for a wake-up (restart
//! delays, update delays and monitor windows), and at least once a second. Each round reads
//! the applied state, computes the commands with the pure [`crate::tick`] functions, and
//! commits them in one batch. Nothing is kept between rounds, so a new leader continues
//! where the old one stopped.

use std::sync::Arc;
use std::time::Duration;

use swarm_api::command::Command;

use crate::metrics::METRICS;
use crate::node::Node;
use crate::random::{now_ms, object_id};
use crate::tick;

/// Time to let a burst of applied entries settle before a round.
const DEBOUNCE: Duration = Duration::from_millis(20);
/// The longest pause between two rounds.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// Runs until the node stops.
pub async fn run(n: Arc<Node>) {
    let mut metrics = n.raft.metrics();
    let mut stopped = Box::pin(n.stopped());
    let mut wake_at: Option<u64> = None;
    let mut seen_applied = None;
    loop {
        let idle = wake_at.map_or(MAX_IDLE, |w| {
            Duration::from_millis(w.saturating_sub(now_ms())).min(MAX_IDLE)
        });
        tokio::select! {
            _ = &mut stopped => return,
            r = metrics.changed() => {
                if r.is_err() {
                    return;
                }
                let applied = metrics.borrow_and_update().last_applied;
                if applied == seen_applied {
                    continue;
                }
                seen_applied = applied;
                tokio::time::sleep(DEBOUNCE).await;
            }
            _ = tokio::time::sleep(idle) => {}
        }
        let m = n.metrics();
        if m.current_leader != Some(n.id) || !n.has_quorum() {
            wake_at = None;
            continue;
        }
        wake_at = round(&n).await;
    }
}

/// One round; returns the requested wake-up time.
async fn round(n: &Node) -> Option<u64> {
    let t = swarm_metrics::start();
    let step = {
        let Ok(applied) = n.state.read() else {
            return None;
        };
        tick::reconcile_all(&applied.state, now_ms(), &mut object_id)
    };
    if !step.commands.is_empty() {
        let count = step.commands.len();
        if let Err(e) = n
            .write_local(Command::Batch {
                commands: step.commands,
            })
            .await
        {
            tracing::warn!(error = %e, count, "orchestrator: commit failed");
            return Some(now_ms() + 200);
        }
    }
    METRICS.orchestrator_seconds.observe_since(t);
    let t = swarm_metrics::start();
    let schedule = {
        let Ok(applied) = n.state.read() else {
            return step.wake_at_ms;
        };
        tick::schedule_pending(&applied.state, now_ms())
    };
    if let Some(cmd) = schedule {
        let placed = match &cmd {
            Command::Schedule { assigned, .. } => assigned.len() as u64,
            _ => 0,
        };
        if let Err(e) = n.write_local(cmd).await {
            tracing::warn!(error = %e, "scheduler: commit failed");
            return Some(now_ms() + 200);
        }
        if t.is_some() {
            METRICS.placements.inc_by(placed);
        }
    }
    METRICS.scheduler_seconds.observe_since(t);
    step.wake_at_ms
}
