//! Whether a service has converged after create/update/scale/rollback (pure).
//!
//! A task counts as done when it should run, runs, and was made from the service's current
//! task template and ports (the updater's "dirty" test inverted). The service has converged
//! when as many such tasks run as are desired, no other task is meant to run, and no rolling
//! update or rollback is still in progress. A paused update or rollback stops the wait, and
//! so does a service whose every desired slot was rejected for a reason no retry can cure
//! (the agent marks such a status `permanent`: the image cannot be had anywhere), with no
//! task of the current spec running in it: waiting for the timeout would not help.
//!
//! [`slot_lines`] draws Docker's per-task bars (`1/3: running   [=====>]`) that `service create`
//! and friends redraw in place on a terminal.

use swarm_api::service::{Service, ServiceMode, UpdateState};
use swarm_api::task::{Task, TaskState};

/// Where the wait stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Keep polling.
    Waiting,
    /// Every desired task runs the current spec.
    Converged,
    /// The update or rollback paused (its message); waiting longer will not help.
    Stopped(String),
}

/// One observation of a service's convergence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Tasks running the current spec.
    pub running: u64,
    /// Tasks that should run.
    pub desired: u64,
    /// The verdict.
    pub outcome: Outcome,
}

impl Progress {
    /// `overall progress: 2 out of 3 tasks`, as Docker prints it. Right after a scale-down more
    /// tasks may still run than are desired; the line never counts more than the desired ones.
    pub fn line(&self) -> String {
        format!(
            "overall progress: {} out of {} tasks",
            self.running.min(self.desired),
            self.desired
        )
    }
}

/// Width of a bar, as Docker draws it.
const BAR: usize = 50;

fn bar(state: TaskState) -> String {
    let stages = TaskState::until_running();
    let stage = stages.iter().position(|s| *s == state);
    let filled = stage.map_or(0, |i| (i + 1) * BAR / stages.len());
    let mut b = "=".repeat(filled.saturating_sub(1));
    if filled > 0 {
        b.push('>');
    }
    format!("[{b:<BAR$}]")
}

/// One line per slot (replicated: `1/3: running   [...]`) or node (global: `a1b2c3d4e5f6:
/// running [...]`), from the newest task meant to run in it; a slot with none shows its
/// newest task's state, or nothing yet (pure).
pub fn slot_lines(service: &Service, tasks: &[Task]) -> Vec<String> {
    let newest = |of: &dyn Fn(&Task) -> bool| -> Option<&Task> {
        let meant = tasks
            .iter()
            .filter(|t| of(t) && t.desired_state == TaskState::Running && current(t, service))
            .max_by_key(|t| t.created_at_ms);
        meant.or_else(|| {
            tasks
                .iter()
                .filter(|t| of(t))
                .max_by_key(|t| t.created_at_ms)
        })
    };
    let line = |label: String, t: Option<&Task>| match t {
        Some(t) => {
            let state = t.status.state;
            let name = state.as_str().to_ascii_lowercase();
            match t.status.err.as_deref() {
                Some(e) if !e.is_empty() && state > TaskState::Running => {
                    format!("{label}: {name:<9} {e}")
                }
                _ => format!("{label}: {name:<9} {}", bar(state)),
            }
        }
        None => format!("{label}:"),
    };
    match service.spec.mode {
        ServiceMode::Replicated { replicas } => (1..=replicas)
            .map(|slot| {
                line(
                    format!("{slot}/{replicas}"),
                    newest(&|t: &Task| t.slot == Some(slot)),
                )
            })
            .collect(),
        ServiceMode::Global => {
            let mut nodes: Vec<&str> = tasks
                .iter()
                .filter(|t| t.desired_state == TaskState::Running)
                .filter_map(|t| t.node_id.as_deref())
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            nodes
                .into_iter()
                .map(|n| {
                    let short: String = n.chars().take(12).collect();
                    line(short, newest(&|t: &Task| t.node_id.as_deref() == Some(n)))
                })
                .collect()
        }
    }
}

fn current(t: &Task, s: &Service) -> bool {
    t.spec == s.spec.task && t.endpoint == s.spec.endpoint
}

/// Judges `service` with its `tasks`; `global_desired` is the manager's count of eligible
/// nodes for a global service (`ServiceListEntry::desired`), if known.
pub fn progress(service: &Service, tasks: &[Task], global_desired: Option<u64>) -> Progress {
    let meant: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.desired_state == TaskState::Running)
        .collect();
    let running = meant
        .iter()
        .filter(|t| t.status.state == TaskState::Running && current(t, service))
        .count() as u64;
    let desired = match service.spec.mode {
        ServiceMode::Replicated { replicas } => replicas,
        ServiceMode::Global => global_desired.unwrap_or(meant.len() as u64),
    };
    let status = service.update_status.as_ref();
    let outcome = match status.map(|u| u.state) {
        Some(UpdateState::Paused) | Some(UpdateState::RollbackPaused) => {
            let u = status.map(|u| u.message.clone()).unwrap_or_default();
            let what = if status.is_some_and(|u| u.state.is_rollback()) {
                "rollback"
            } else {
                "update"
            };
            Outcome::Stopped(if u.is_empty() {
                format!("{what} paused")
            } else {
                u
            })
        }
        Some(UpdateState::Updating) | Some(UpdateState::RollbackStarted)
            if desired > 0 && doomed_slots(service, tasks, desired) >= desired =>
        {
            Outcome::Stopped("every task was rejected for a reason no retry can cure".to_string())
        }
        Some(UpdateState::Updating) | Some(UpdateState::RollbackStarted) => Outcome::Waiting,
        _ if running == desired && meant.len() as u64 == desired => Outcome::Converged,
        _ if desired > 0 && doomed_slots(service, tasks, desired) >= desired => {
            Outcome::Stopped("every task was rejected for a reason no retry can cure".to_string())
        }
        _ => Outcome::Waiting,
    };
    Progress {
        running,
        desired,
        outcome,
    }
}

/// Slots (replica numbers up to `desired`, or nodes of a global service) where a task of the
/// current spec was rejected permanently and none of the current spec runs.
fn doomed_slots(service: &Service, tasks: &[Task], desired: u64) -> u64 {
    use std::collections::BTreeSet;
    let key = |t: &Task| (t.slot, t.node_id.clone().filter(|_| t.slot.is_none()));
    let ours = || {
        tasks
            .iter()
            .filter(|t| current(t, service))
            .filter(move |t| t.slot.is_none_or(|s| s <= desired))
    };
    let running: BTreeSet<_> = ours()
        .filter(|t| t.status.state == TaskState::Running)
        .map(key)
        .collect();
    let doomed: BTreeSet<_> = ours()
        .filter(|t| t.status.state == TaskState::Rejected && t.status.permanent)
        .map(key)
        .filter(|k| !running.contains(k))
        .collect();
    doomed.len() as u64
}

/// Why tasks do not run: errors of tasks meant to run and reasons of waiting ones, then
/// errors of recently failed tasks; each as `web.1: text`, without repeats, newest first.
pub fn task_errors(tasks: &[Task]) -> Vec<String> {
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.status.timestamp_ms));
    let mut out: Vec<String> = Vec::new();
    for t in sorted {
        let text = match &t.status.err {
            Some(e) if !e.is_empty() => e.clone(),
            _ if t.desired_state == TaskState::Running
                && t.status.state < TaskState::Running
                && !t.status.message.is_empty() =>
            {
                t.status.message.clone()
            }
            _ => continue,
        };
        let line = format!("{}: {text}", t.slot_name());
        if !out.contains(&line) {
            out.push(line);
        }
        if out.len() >= 10 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_args::test_cli::create_spec;
    use swarm_api::service::UpdateStatus;
    use swarm_api::task::TaskStatus;

    fn svc(replicas: u64) -> Service {
        let n = replicas.to_string();
        let spec = create_spec(&["--name", "web", "--replicas", &n, "img:v2"]);
        let mut s = swarm_testkit::service("s1", spec);
        s.version = 2;
        s
    }

    fn task(s: &Service, slot: u64, image: &str, desired: TaskState, state: TaskState) -> Task {
        let mut spec = s.spec.task.clone();
        spec.container.image = image.into();
        Task {
            id: format!("t{slot}{image}"),
            service_id: s.id.clone(),
            service_name: "web".into(),
            slot: Some(slot),
            node_id: Some("n1".into()),
            spec,
            endpoint: s.spec.endpoint.clone(),
            service_version: 1,
            desired_state: desired,
            status: TaskStatus {
                state,
                timestamp_ms: slot,
                ..Default::default()
            },
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn converges_when_every_desired_task_runs_the_current_spec() {
        use TaskState::*;
        let s = svc(2);
        let old = [
            task(&s, 1, "img:v1", Running, Running),
            task(&s, 2, "img:v1", Running, Running),
        ];
        let p = progress(&s, &old, None);
        assert_eq!(
            (p.running, p.desired, &p.outcome),
            (0, 2, &Outcome::Waiting)
        );
        assert_eq!(p.line(), "overall progress: 0 out of 2 tasks");
        let half = [
            task(&s, 1, "img:v2", Running, Running),
            task(&s, 1, "img:v1", Shutdown, Shutdown),
            task(&s, 2, "img:v1", Running, Running),
        ];
        assert_eq!(progress(&s, &half, None).running, 1);
        let done = [
            task(&s, 1, "img:v2", Running, Running),
            task(&s, 2, "img:v2", Running, Running),
            task(&s, 2, "img:v1", Shutdown, Running),
        ];
        assert_eq!(progress(&s, &done, None).outcome, Outcome::Converged);
    }

    #[test]
    fn slot_lines_draw_a_bar_per_slot_from_its_current_task() {
        use TaskState::*;
        let s = svc(3);
        let mut failed = task(&s, 3, "img:v2", Shutdown, Failed);
        failed.status.err = Some("exit 1".into());
        let tasks = [
            task(&s, 1, "img:v2", Running, Running),
            task(&s, 2, "img:v1", Running, Running),
            task(&s, 2, "img:v2", Running, Preparing),
            failed,
        ];
        let lines = slot_lines(&s, &tasks);
        let full = format!("[{}>]", "=".repeat(49));
        assert_eq!(lines[0], format!("1/3: running   {full}"));
        // Slot 2's current task (v2) is preparing: 5 of 7 stages.
        assert_eq!(
            lines[1],
            format!("2/3: preparing [{}>{}]", "=".repeat(34), " ".repeat(15))
        );
        assert_eq!(lines[2], "3/3: failed    exit 1");
        assert_eq!(slot_lines(&svc(1), &[]), ["1/1:"]);
    }

    #[test]
    fn scale_down_waits_for_extra_tasks_to_be_told_to_stop() {
        use TaskState::*;
        let s = svc(1);
        let three = [
            task(&s, 1, "img:v2", Running, Running),
            task(&s, 2, "img:v2", Running, Running),
        ];
        let p = progress(&s, &three, None);
        assert_eq!(p.outcome, Outcome::Waiting);
        assert_eq!(p.line(), "overall progress: 1 out of 1 tasks");
        let one = [
            task(&s, 1, "img:v2", Running, Running),
            task(&s, 2, "img:v2", Shutdown, Running),
        ];
        assert_eq!(progress(&s, &one, None).outcome, Outcome::Converged);
    }

    #[test]
    fn update_state_decides_first() {
        use TaskState::*;
        let mut s = svc(1);
        let ts = [task(&s, 1, "img:v2", Running, Running)];
        s.update_status = Some(UpdateStatus {
            state: UpdateState::Updating,
            started_at_ms: 0,
            completed_at_ms: None,
            message: String::new(),
        });
        assert_eq!(progress(&s, &ts, None).outcome, Outcome::Waiting);
        s.update_status.as_mut().unwrap().state = UpdateState::Paused;
        s.update_status.as_mut().unwrap().message = "update paused due to failure of t7".into();
        assert_eq!(
            progress(&s, &ts, None).outcome,
            Outcome::Stopped("update paused due to failure of t7".into())
        );
        s.update_status.as_mut().unwrap().state = UpdateState::RollbackCompleted;
        assert_eq!(progress(&s, &ts, None).outcome, Outcome::Converged);
    }

    #[test]
    fn every_slot_rejected_for_good_stops_the_wait() {
        use TaskState::*;
        let s = svc(2);
        let gone = |slot: u64, permanent: bool| {
            let mut t = task(&s, slot, "img:v2", Shutdown, Rejected);
            t.id = format!("r{slot}{permanent}");
            t.status.err = Some("image img:v2 not found locally nor in registry docker.io".into());
            t.status.permanent = permanent;
            t
        };
        // One slot rejected for good, the other still trying: wait.
        let half = [gone(1, true), task(&s, 2, "img:v2", Running, Preparing)];
        assert_eq!(progress(&s, &half, None).outcome, Outcome::Waiting);
        // A rejection that a retry may cure (not permanent) does not stop the wait.
        let curable = [gone(1, true), gone(2, false)];
        assert_eq!(progress(&s, &curable, None).outcome, Outcome::Waiting);
        // Both slots rejected for good, even with the restart's next try pending: stop.
        let all = [
            gone(1, true),
            gone(2, true),
            task(&s, 2, "img:v2", Running, Pending),
        ];
        assert_eq!(
            progress(&s, &all, None).outcome,
            Outcome::Stopped("every task was rejected for a reason no retry can cure".into())
        );
        // A slot where a task of the current spec runs is not doomed.
        let ran = [
            gone(1, true),
            gone(2, true),
            task(&s, 2, "img:v2", Running, Running),
        ];
        assert_eq!(progress(&s, &ran, None).outcome, Outcome::Waiting);
        // Scaled down to 1 with slot 1 running: the rejected slots beyond the replicas do not
        // count, the service converged.
        let one = svc(1);
        let scaled = [
            task(&one, 1, "img:v2", Running, Running),
            gone(2, true),
            gone(3, true),
        ];
        assert_eq!(progress(&one, &scaled, None).outcome, Outcome::Converged);
    }

    #[test]
    fn global_uses_the_managers_count() {
        use TaskState::*;
        let mut s = svc(1);
        s.spec.mode = ServiceMode::Global;
        let ts = [task(&s, 1, "img:v2", Running, Running)];
        assert_eq!(progress(&s, &ts, Some(3)).desired, 3);
        assert_eq!(progress(&s, &ts, None).outcome, Outcome::Converged);
    }

    #[test]
    fn errors_list_pending_reasons_and_failures() {
        use TaskState::*;
        let s = svc(2);
        let mut a = task(&s, 1, "img:v2", Running, Pending);
        a.status.message = "no suitable node (insufficient memory on 3 nodes)".into();
        let mut b = task(&s, 2, "img:v2", Shutdown, Rejected);
        b.status.err = Some("No such image: img:v2".into());
        let c = task(&s, 3, "img:v2", Running, Running);
        let e = task_errors(&[a.clone(), b, c, a]);
        assert_eq!(
            e,
            vec![
                "web.2: No such image: img:v2",
                "web.1: no suitable node (insufficient memory on 3 nodes)"
            ]
        );
    }
}
