//! Drives one task through its life cycle on an [`Executor`] and reports every state.
//!
//! ACCEPTED → PREPARING → STARTING → RUNNING → COMPLETE (exit 0) | FAILED (non-zero exit,
//! start error, or an unhealthy container) | SHUTDOWN (stop requested) | REJECTED (prepare
//! failed, e.g. missing image). A container with a healthcheck is RUNNING once healthy.
//! Each observed state goes out on the updates channel as it happens; the final status is
//! also returned. Containers are not removed here: exited ones are kept as task history and
//! removed when the orchestrator prunes the task.
//!
//! The RUNNING status carries the task's bound ingress ports ([`Executor::bound_ports`]);
//! the terminal status that follows has none. Running a task whose container already exists
//! (agent restarted) adopts it: prepare reuses the container, start accepts a started one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use swarm_api::task::{Task, TaskState, TaskStatus};
use tokio::sync::{mpsc, watch};

use crate::executor::{Executor, Health};

/// A status change of a task, sent to the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The task.
    pub task_id: String,
    /// Its new status.
    pub status: TaskStatus,
}

/// How a task is run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Time between SIGTERM and SIGKILL on shutdown.
    pub stop_grace: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            stop_grace: Duration::from_secs(10),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Reporter<'a> {
    task_id: &'a str,
    updates: &'a mpsc::UnboundedSender<StatusUpdate>,
    status: TaskStatus,
}

impl Reporter<'_> {
    fn set(&mut self, state: TaskState, message: &str, err: Option<String>) {
        debug_assert!(self.status.state.can_transition_to(state) || self.status.state == state);
        crate::metrics::task_moved(self.status.state, state, err.is_some());
        self.status.state = state;
        self.status.message = message.to_string();
        self.status.err = err;
        self.status.timestamp_ms = now_ms();
        // A closed channel only means nobody listens any more; the task still runs to the end.
        let _ = self.updates.send(StatusUpdate {
            task_id: self.task_id.to_string(),
            status: self.status.clone(),
        });
    }
}

/// Runs `task` to a terminal state. Setting `shutdown` to true stops it (SHUTDOWN), with the
/// task's `--stop-grace-period` when it has one, else `options.stop_grace`.
pub async fn run_task<E: Executor>(
    exec: &E,
    task: &Task,
    mut options: RunOptions,
    updates: &mpsc::UnboundedSender<StatusUpdate>,
    mut shutdown: watch::Receiver<bool>,
) -> TaskStatus {
    if let Some(ms) = task.spec.container.stop_grace_period_ms {
        options.stop_grace = Duration::from_millis(ms);
    }
    let mut r = Reporter {
        task_id: &task.id,
        updates,
        status: TaskStatus {
            state: task.status.state.min(TaskState::Assigned),
            ..Default::default()
        },
    };
    r.set(TaskState::Accepted, "accepted", None);
    if *shutdown.borrow() {
        r.set(TaskState::Shutdown, "shutdown before start", None);
        return r.status;
    }

    r.set(TaskState::Preparing, "preparing", None);
    let prepared = tokio::select! {
        p = exec.prepare(task) => p,
        () = stop_requested(&mut shutdown) => {
            r.set(TaskState::Shutdown, "shutdown while preparing", None);
            return r.status;
        }
    };
    let container_id = match prepared {
        Ok(id) => id,
        Err(e) => {
            r.status.permanent = e.is_permanent();
            r.set(TaskState::Rejected, "preparing failed", Some(e.to_string()));
            return r.status;
        }
    };
    r.status.container_id = Some(container_id.clone());

    r.set(TaskState::Starting, "starting", None);
    if let Err(e) = exec.start(&container_id).await {
        r.set(
            TaskState::Failed,
            "starting container failed",
            Some(e.to_string()),
        );
        return r.status;
    }
    match exec.bound_ports(task, &container_id).await {
        Ok(ports) => r.status.ports = ports,
        Err(e) => {
            // Unroutable: better a FAILED task the orchestrator replaces than a RUNNING one
            // the mesh can never reach.
            let _ = exec.stop(&container_id, options.stop_grace).await;
            r.set(
                TaskState::Failed,
                "reading the published ports failed",
                Some(e.to_string()),
            );
            return r.status;
        }
    }
    // A container with a healthcheck stays STARTING until it is healthy (as in Docker's
    // swarm); an unhealthy one fails.
    let checked = exec.has_health(&container_id).await.unwrap_or(false);
    let verdict = if checked {
        tokio::select! {
            h = exec.health(&container_id, true) => Ok(h.unwrap_or(Health::None)),
            w = exec.wait(&container_id) => Err(Some(w)),
            () = stop_requested(&mut shutdown) => Err(None),
        }
    } else {
        Ok(Health::None)
    };
    let exited = match verdict {
        Ok(Health::Unhealthy) => {
            return fail_unhealthy(exec, &container_id, options, r).await;
        }
        Ok(_) => {
            r.set(TaskState::Running, "started", None);
            // The bound ports describe a running container only.
            r.status.ports.clear();
            let ended = tokio::select! {
                w = exec.wait(&container_id) => Ok(Some(w)),
                () = until_unhealthy(exec, &container_id, checked) => Err(()),
                () = stop_requested(&mut shutdown) => Ok(None),
            };
            match ended {
                Ok(exited) => exited,
                Err(()) => return fail_unhealthy(exec, &container_id, options, r).await,
            }
        }
        Err(exited) => exited,
    };
    match exited {
        Some(Ok(0)) => {
            r.status.exit_code = Some(0);
            r.set(TaskState::Complete, "finished", None);
        }
        Some(Ok(code)) => {
            r.status.exit_code = Some(code);
            r.set(
                TaskState::Failed,
                "exited",
                Some(format!("task: non-zero exit ({code})")),
            );
        }
        Some(Err(e)) => r.set(
            TaskState::Failed,
            "lost track of container",
            Some(e.to_string()),
        ),
        None => {
            let stopped = exec.stop(&container_id, options.stop_grace).await;
            let code = match stopped {
                Ok(()) => exec.wait(&container_id).await.ok(),
                Err(_) => None,
            };
            r.status.exit_code = code;
            match stopped {
                Ok(()) => r.set(TaskState::Shutdown, "shutdown", None),
                Err(e) => r.set(
                    TaskState::Shutdown,
                    "shutdown (stop failed)",
                    Some(e.to_string()),
                ),
            }
        }
    }
    r.status
}

/// Completes once the task is told to stop. A closed channel is not a stop: it means the worker
/// is going away (its controllers are aborted then), and a task's container outlives its agent,
/// as in Docker. (Read as a stop, a controller polled while its worker dropped could send the
/// engine a stop before its abort took effect.)
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Completes once the container is unhealthy; never when it has no healthcheck (or its
/// health cannot be watched: the task then ends with its container, as without a check).
async fn until_unhealthy<E: Executor>(exec: &E, container_id: &str, checked: bool) {
    if !checked {
        return std::future::pending().await;
    }
    match exec.health(container_id, false).await {
        Ok(Health::Unhealthy) => {}
        _ => std::future::pending().await,
    }
}

/// Stops an unhealthy container and fails its task (Docker's swarm error words), so the
/// orchestrator replaces it under the restart policy.
async fn fail_unhealthy<E: Executor>(
    exec: &E,
    container_id: &str,
    options: RunOptions,
    mut r: Reporter<'_>,
) -> TaskStatus {
    let _ = exec.stop(container_id, options.stop_grace).await;
    r.status.exit_code = exec.wait(container_id).await.ok();
    r.status.ports.clear();
    r.set(
        TaskState::Failed,
        "unhealthy",
        Some("task: container is unhealthy (dockerexec: unhealthy container)".into()),
    );
    r.status
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use swarm_api::task::BoundPort;
    use tokio::sync::Notify;

    use super::*;
    use crate::error::AgentError;
    use crate::executor::{LogLine, LogStreamOptions, TaskContainer};

    /// One container that runs until stopped; counts the stops asked of the engine.
    #[derive(Default)]
    struct OneContainer {
        stops: AtomicUsize,
        exited: Notify,
    }

    impl Executor for OneContainer {
        async fn prepare(&self, _: &Task) -> Result<String, AgentError> {
            Ok("c1".into())
        }
        async fn start(&self, _: &str) -> Result<(), AgentError> {
            Ok(())
        }
        async fn wait(&self, _: &str) -> Result<i64, AgentError> {
            self.exited.notified().await;
            Ok(0)
        }
        async fn stop(&self, _: &str, _: Duration) -> Result<(), AgentError> {
            self.stops.fetch_add(1, Ordering::SeqCst);
            self.exited.notify_one();
            Ok(())
        }
        async fn remove(&self, _: &str) -> Result<(), AgentError> {
            Ok(())
        }
        async fn logs(&self, _: &str, _: Option<usize>) -> Result<Vec<LogLine>, AgentError> {
            Ok(vec![])
        }
        async fn log_stream(
            &self,
            _: &str,
            _: LogStreamOptions,
            _: mpsc::Sender<LogLine>,
        ) -> Result<(), AgentError> {
            Ok(())
        }
        async fn bound_ports(&self, _: &Task, _: &str) -> Result<Vec<BoundPort>, AgentError> {
            Ok(vec![])
        }
        async fn task_containers(&self) -> Result<Vec<TaskContainer>, AgentError> {
            Ok(vec![])
        }
    }

    /// Runs a task on `exec`; returns the task's handle, its stop sender and its updates.
    fn run(
        exec: &Arc<OneContainer>,
    ) -> (
        tokio::task::JoinHandle<TaskStatus>,
        watch::Sender<bool>,
        mpsc::UnboundedReceiver<StatusUpdate>,
    ) {
        let task = swarm_testkit::task("t1", "svc", "img", TaskState::Assigned);
        let (stop, stop_rx) = watch::channel(false);
        let (tx, rx) = mpsc::unbounded_channel();
        let exec = exec.clone();
        let handle = tokio::spawn(async move {
            run_task(exec.as_ref(), &task, RunOptions::default(), &tx, stop_rx).await
        });
        (handle, stop, rx)
    }

    async fn until_running(rx: &mut mpsc::UnboundedReceiver<StatusUpdate>) {
        while let Some(u) = rx.recv().await {
            if u.status.state == TaskState::Running {
                return;
            }
        }
        panic!("the task never ran");
    }

    #[tokio::test]
    async fn a_dropped_stop_sender_leaves_the_container_running() {
        let exec = Arc::new(OneContainer::default());
        let (handle, stop, mut rx) = run(&exec);
        until_running(&mut rx).await;
        drop(stop);
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert_eq!(exec.stops.load(Ordering::SeqCst), 0, "no stop asked");
        assert!(!handle.is_finished(), "still watching its container");
        handle.abort();
    }

    #[tokio::test]
    async fn a_stop_stops_the_container_and_ends_in_shutdown() {
        let exec = Arc::new(OneContainer::default());
        let (handle, stop, mut rx) = run(&exec);
        until_running(&mut rx).await;
        stop.send(true).unwrap();
        // Sent, then dropped at once: the stop is still seen.
        drop(stop);
        let status = handle.await.unwrap();
        assert_eq!(status.state, TaskState::Shutdown);
        assert_eq!(exec.stops.load(Ordering::SeqCst), 1);
    }
}
