//! The node's session with the managers: the dispatcher sync loop, which is the node's
//! heartbeat too (swarmkit's session).
//!
//! Each round sends the queued task reports (plus the node description on the first sync
//! and whenever it changed), applies the answer to the [`SessionTasks`] (a [`Worker`], or no
//! tasks while the node has no executor), then waits the answer's
//! `period_ms` — or less, when a task changed state and the worker's notify fires. A failed
//! sync puts the reports back (order kept) and waits a back-off that doubles from
//! `min_backoff` up to `max_backoff`; the description is re-sent until a sync succeeds, and
//! re-read every round while it is unknown.
//!
//! The transport is the seam to the managers (mTLS HTTP in the daemon, a fake in tests).

use std::future::Future;
use std::time::Duration;

use swarm_api::dispatch::{NodeDescription, SyncRequest, SyncResponse, TaskReport};
use swarm_api::node::NodeId;
use tokio::time::Instant;

use crate::executor::Executor;
use crate::worker::Worker;

/// Sends one sync to the managers (whichever answers; fail-over is the transport's job).
pub trait SyncTransport: Send + Sync {
    /// `POST /v1/dispatcher/sync`. The error text is logged by the session.
    fn sync(&self, req: SyncRequest) -> impl Future<Output = Result<SyncResponse, String>> + Send;
}

impl<T: SyncTransport> SyncTransport for std::sync::Arc<T> {
    fn sync(&self, req: SyncRequest) -> impl Future<Output = Result<SyncResponse, String>> + Send {
        T::sync(self, req)
    }
}

/// The tasks a session syncs: their reports go out, the answers come in.
pub trait SessionTasks: Send + Sync {
    /// The reports queued since the last sync (taken out of the queue).
    fn take_reports(&self) -> Vec<TaskReport>;
    /// Puts back the reports of a failed sync, ahead of newer ones.
    fn requeue(&self, reports: Vec<TaskReport>);
    /// Applies a dispatcher answer.
    fn apply(&self, resp: &SyncResponse) -> impl Future<Output = Result<(), String>> + Send;
    /// Completes when a task changed state (a sync is due before the period ends).
    fn notified(&self) -> impl Future<Output = ()> + Send;
}

impl<E: Executor + 'static> SessionTasks for Worker<E> {
    fn take_reports(&self) -> Vec<TaskReport> {
        Worker::take_reports(self)
    }

    fn requeue(&self, reports: Vec<TaskReport>) {
        Worker::requeue(self, reports)
    }

    async fn apply(&self, resp: &SyncResponse) -> Result<(), String> {
        Worker::apply(self, resp).await.map_err(|e| e.to_string())
    }

    async fn notified(&self) {
        Worker::notified(self).await
    }
}

impl<T: SessionTasks> SessionTasks for std::sync::Arc<T> {
    fn take_reports(&self) -> Vec<TaskReport> {
        T::take_reports(self)
    }

    fn requeue(&self, reports: Vec<TaskReport>) {
        T::requeue(self, reports)
    }

    fn apply(&self, resp: &SyncResponse) -> impl Future<Output = Result<(), String>> + Send {
        T::apply(self, resp)
    }

    fn notified(&self) -> impl Future<Output = ()> + Send {
        T::notified(self)
    }
}

/// Timing of the session.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// First wait after a failed sync.
    pub min_backoff: Duration,
    /// Longest wait after failed syncs.
    pub max_backoff: Duration,
    /// The period when an answer says 0.
    pub default_period: Duration,
    /// How often the description is re-read (it is sent only when it changed).
    pub describe_every: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            default_period: Duration::from_secs(5),
            describe_every: Duration::from_secs(30),
        }
    }
}

/// The next back-off after `current` (doubling, at most `max`).
pub fn next_backoff(current: Duration, max: Duration) -> Duration {
    current.saturating_mul(2).min(max)
}

/// Runs the sync loop of node `node_id` until `stop` completes. `describe` reads the node's
/// description (e.g. `|| async { exec.describe().await.ok() }`; None = unknown right now).
/// On return the tasks keep running (as in Docker when the agent restarts); unsent reports
/// stay queued in the worker.
pub async fn run_session<W, T, D, F>(
    transport: &T,
    worker: &W,
    node_id: NodeId,
    mut describe: D,
    options: SessionOptions,
    stop: impl Future<Output = ()>,
) where
    W: SessionTasks,
    T: SyncTransport,
    D: FnMut() -> F,
    F: Future<Output = Option<NodeDescription>>,
{
    tokio::pin!(stop);
    let mut acked: Option<NodeDescription> = None;
    let mut current: Option<NodeDescription> = None;
    let mut described_at: Option<Instant> = None;
    let mut backoff = options.min_backoff;
    loop {
        if current.is_none() || described_at.is_none_or(|t| t.elapsed() >= options.describe_every) {
            if let Some(d) = describe().await {
                current = Some(d);
            }
            described_at = Some(Instant::now());
        }
        let description = current.clone().filter(|d| acked.as_ref() != Some(d));
        let reports = worker.take_reports();
        let req = SyncRequest {
            node_id,
            description: description.clone(),
            reports: reports.clone(),
        };
        let answer = tokio::select! {
            a = transport.sync(req) => a,
            () = &mut stop => {
                worker.requeue(reports);
                return;
            }
        };
        let (wait, wake_on_change) = match answer {
            Ok(resp) => {
                if description.is_some() {
                    acked = description;
                }
                backoff = options.min_backoff;
                if let Err(e) = worker.apply(&resp).await {
                    tracing::warn!(error = %e, "applying the dispatcher answer");
                }
                let period = match resp.period_ms {
                    0 => options.default_period,
                    ms => Duration::from_millis(ms),
                };
                (period, true)
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "dispatcher sync failed");
                worker.requeue(reports);
                let wait = backoff;
                backoff = next_backoff(backoff, options.max_backoff);
                (wait, false)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = worker.notified(), if wake_on_change => {}
            () = &mut stop => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_bound() {
        let max = Duration::from_secs(5);
        let mut b = Duration::from_millis(200);
        let mut seen = vec![b];
        for _ in 0..8 {
            b = next_backoff(b, max);
            seen.push(b);
        }
        assert_eq!(seen[1], Duration::from_millis(400));
        assert_eq!(seen[4], Duration::from_millis(3200));
        assert!(seen[5..].iter().all(|&d| d == max), "{seen:?}");
    }
}
