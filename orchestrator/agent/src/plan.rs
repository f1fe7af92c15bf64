//! The worker's decisions (pure): the tasks the managers assign to this node versus what
//! runs here → the actions that make the two match.
//!
//! - desired RUNNING, no controller here, not finished here, not terminal for the manager:
//!   run it (a container left by a previous agent process is adopted by the controller);
//!   but when its container already exited while nobody watched, report that exit instead;
//! - desired SHUTDOWN/COMPLETE (or beyond) with a controller here: signal it to stop; without
//!   one (agent restarted) and not terminal for the manager: stop its container if any and
//!   report SHUTDOWN;
//! - a task absent from the list was deleted: stop its controller and remove its containers.
//!
//! Only this node's containers are ever considered (the caller lists them by node label).

use std::collections::{BTreeSet, HashSet};

use swarm_api::task::{Task, TaskState};

use crate::executor::{ContainerState, TaskContainer};

/// What runs on this node.
#[derive(Debug, Clone, Copy)]
pub struct LocalState<'a> {
    /// Tasks whose controller is still running here.
    pub active: &'a HashSet<String>,
    /// Tasks whose controller ended here, or that were settled without one.
    pub settled: &'a HashSet<String>,
    /// This node's task containers.
    pub containers: &'a [TaskContainer],
}

/// One step towards the assigned state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The task was deleted: stop its controller (if any) and remove these containers.
    Remove {
        /// The task.
        task_id: String,
        /// Its containers on this node.
        container_ids: Vec<String>,
    },
    /// Signal the task's controller to stop it (SHUTDOWN).
    Stop {
        /// The task.
        task_id: String,
    },
    /// Desired stopped, no controller here: stop the container (if any), report SHUTDOWN.
    Settle {
        /// The task.
        task_id: String,
        /// Its container, when one exists.
        container_id: Option<String>,
    },
    /// The container exited while no controller watched it: report COMPLETE/FAILED.
    ReportExit {
        /// The task.
        task_id: String,
        /// The exited container.
        container_id: String,
    },
    /// Run the task through its controller.
    Run {
        /// The task.
        task_id: String,
    },
}

fn should_run(desired: TaskState) -> bool {
    desired <= TaskState::Running
}

/// The actions, removals first, then stops, then starts (each group in list order).
pub fn plan(assigned: &[Task], local: LocalState<'_>) -> Vec<Action> {
    let container_of = |id: &str| local.containers.iter().find(|c| c.task_id == id);
    let mut removals = Vec::new();
    let mut stops = Vec::new();
    let mut runs = Vec::new();
    let assigned_ids: HashSet<&str> = assigned.iter().map(|t| t.id.as_str()).collect();
    let mut gone: BTreeSet<&str> = BTreeSet::new();
    gone.extend(local.active.iter().map(String::as_str));
    gone.extend(local.settled.iter().map(String::as_str));
    gone.extend(local.containers.iter().map(|c| c.task_id.as_str()));
    for id in gone.into_iter().filter(|id| !assigned_ids.contains(id)) {
        removals.push(Action::Remove {
            task_id: id.to_string(),
            container_ids: local
                .containers
                .iter()
                .filter(|c| c.task_id == id)
                .map(|c| c.container_id.clone())
                .collect(),
        });
    }
    for t in assigned {
        let id = t.id.clone();
        let active = local.active.contains(&t.id);
        let finished = local.settled.contains(&t.id) || t.status.state.is_terminal();
        if should_run(t.desired_state) {
            if active || finished {
                continue;
            }
            match container_of(&t.id) {
                Some(c) if c.state == ContainerState::Exited => runs.push(Action::ReportExit {
                    task_id: id,
                    container_id: c.container_id.clone(),
                }),
                _ => runs.push(Action::Run { task_id: id }),
            }
        } else if active {
            stops.push(Action::Stop { task_id: id });
        } else if !finished {
            stops.push(Action::Settle {
                task_id: id,
                container_id: container_of(&t.id).map(|c| c.container_id.clone()),
            });
        }
    }
    removals.extend(stops);
    removals.extend(runs);
    removals
}

/// Whether a status change is worth sending: not behind what the manager already recorded
/// (an adopted task replays ACCEPTED..STARTING, which the manager has seen long ago).
pub fn worth_reporting(known: Option<TaskState>, observed: TaskState) -> bool {
    known.is_none_or(|k| observed >= k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, desired: TaskState, observed: TaskState) -> Task {
        Task {
            service_name: "web".into(),
            node_id: Some("n1".into()),
            desired_state: desired,
            ..swarm_testkit::task(id, "s", "", observed)
        }
    }

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn container(task: &str, state: ContainerState) -> TaskContainer {
        TaskContainer {
            task_id: task.into(),
            container_id: format!("c-{task}"),
            state,
        }
    }

    /// The plan for `assigned` with these local sets and containers.
    fn plan_for(
        assigned: &[Task],
        active: &HashSet<String>,
        settled: &HashSet<String>,
        containers: &[TaskContainer],
    ) -> Vec<Action> {
        let local = LocalState {
            active,
            settled,
            containers,
        };
        plan(assigned, local)
    }

    fn run(id: &str) -> Action {
        Action::Run { task_id: id.into() }
    }

    use TaskState::*;

    #[test]
    fn new_tasks_run_and_running_ones_are_left_alone() {
        let assigned = [
            task("a", Running, Assigned),
            task("b", Running, Running),
            task("c", Running, Running),
        ];
        let (active, settled) = (set(&["b"]), set(&[]));
        let planned = plan_for(
            &assigned,
            &active,
            &settled,
            &[container("b", ContainerState::Running)],
        );
        assert_eq!(planned, vec![run("a"), run("c")]);
    }

    #[test]
    fn finished_tasks_are_not_restarted() {
        let assigned = [task("a", Running, Running), task("b", Running, Failed)];
        let (active, settled) = (set(&[]), set(&["a"]));
        let planned = plan_for(&assigned, &active, &settled, &[]);
        assert_eq!(planned, vec![]);
    }

    #[test]
    fn after_a_restart_a_live_container_is_adopted_and_an_exited_one_reported() {
        let assigned = [
            task("live", Running, Running),
            task("created", Running, Starting),
            task("dead", Running, Running),
        ];
        let none = set(&[]);
        let containers = [
            container("live", ContainerState::Running),
            container("created", ContainerState::Created),
            container("dead", ContainerState::Exited),
        ];
        let planned = plan_for(&assigned, &none, &none, &containers);
        assert_eq!(
            planned,
            vec![
                run("live"),
                run("created"),
                Action::ReportExit {
                    task_id: "dead".into(),
                    container_id: "c-dead".into()
                }
            ]
        );
    }

    #[test]
    fn desired_shutdown_stops_the_controller_or_settles_the_container() {
        let assigned = [
            task("a", Shutdown, Running),
            task("b", Shutdown, Running),
            task("c", Complete, Preparing),
            task("d", Shutdown, Shutdown),
            task("e", Shutdown, Running),
        ];
        let containers = [container("b", ContainerState::Running)];
        let (active, settled) = (set(&["a"]), set(&["e"]));
        let planned = plan_for(&assigned, &active, &settled, &containers);
        assert_eq!(
            planned,
            vec![
                Action::Stop {
                    task_id: "a".into()
                },
                Action::Settle {
                    task_id: "b".into(),
                    container_id: Some("c-b".into())
                },
                Action::Settle {
                    task_id: "c".into(),
                    container_id: None
                },
            ]
        );
    }

    #[test]
    fn deleted_tasks_are_removed_first_with_all_their_containers() {
        let assigned = [task("keep", Running, Running)];
        let containers = [
            container("keep", ContainerState::Running),
            container("gone-active", ContainerState::Running),
            container("orphan", ContainerState::Exited),
            TaskContainer {
                task_id: "orphan".into(),
                container_id: "c-orphan-2".into(),
                state: ContainerState::Created,
            },
        ];
        let (active, settled) = (set(&["keep", "gone-active"]), set(&["gone-settled"]));
        let planned = plan_for(&assigned, &active, &settled, &containers);
        assert_eq!(
            planned,
            vec![
                Action::Remove {
                    task_id: "gone-active".into(),
                    container_ids: vec!["c-gone-active".into()]
                },
                Action::Remove {
                    task_id: "gone-settled".into(),
                    container_ids: vec![]
                },
                Action::Remove {
                    task_id: "orphan".into(),
                    container_ids: vec!["c-orphan".into(), "c-orphan-2".into()]
                },
            ]
        );
    }

    #[test]
    fn replayed_states_behind_the_manager_are_not_reported() {
        assert!(worth_reporting(None, Accepted));
        assert!(!worth_reporting(Some(Running), Starting));
        assert!(worth_reporting(Some(Running), Running));
        assert!(worth_reporting(Some(Running), Shutdown));
    }
}
