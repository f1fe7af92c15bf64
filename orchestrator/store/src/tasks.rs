//! Applying the service and task commands to the [`ClusterState`] (pure and deterministic).
//!
//! Task changes are monotonic so that concurrent writers cannot undo each other: the
//! scheduler only touches unassigned tasks, agents only move their own tasks' observed state
//! forward, orchestrators only move desired states forward. A command about a task that is
//! gone is skipped, not refused (its writer raced with a deletion).

use swarm_api::command::ApplyError;
use swarm_api::dispatch::TaskReport;
use swarm_api::node::{format_node_id, NodeId};
use swarm_api::service::{Service, UpdateStatus};
use swarm_api::task::{Task, TaskState, TaskStatus};

use crate::find::find_by_key;
pub use crate::find::FindError;
use crate::state::ClusterState;

impl ClusterState {
    pub(crate) fn create_service(&mut self, service: &Service) -> Result<(), ApplyError> {
        let taken = self.services.contains_key(&service.id)
            || self
                .services
                .values()
                .any(|s| s.spec.name == service.spec.name);
        if taken {
            return Err(ApplyError::ServiceExists {
                name: service.spec.name.clone(),
            });
        }
        self.check_references(service)?;
        self.services.insert(service.id.clone(), service.clone());
        Ok(())
    }

    pub(crate) fn update_service(
        &mut self,
        service: &Service,
        expected: u64,
    ) -> Result<(), ApplyError> {
        self.check_references(service)?;
        let renamed_onto = self
            .services
            .values()
            .any(|s| s.id != service.id && s.spec.name == service.spec.name);
        let stored = self.service_mut(&service.id)?;
        if stored.version != expected {
            return Err(ApplyError::VersionMismatch {
                name: stored.spec.name.clone(),
                expected,
                actual: stored.version,
            });
        }
        if renamed_onto {
            return Err(ApplyError::ServiceExists {
                name: service.spec.name.clone(),
            });
        }
        *stored = service.clone();
        Ok(())
    }

    pub(crate) fn remove_service(&mut self, id: &str) -> Result<(), ApplyError> {
        self.services
            .remove(id)
            .ok_or_else(|| ApplyError::ServiceNotFound { id: id.into() })?;
        for t in self.tasks.values_mut().filter(|t| t.service_id == id) {
            if t.desired_state < TaskState::Shutdown {
                t.desired_state = TaskState::Shutdown;
            }
        }
        Ok(())
    }

    pub(crate) fn set_update_status(
        &mut self,
        id: &str,
        status: &UpdateStatus,
    ) -> Result<(), ApplyError> {
        self.service_mut(id)?.update_status = Some(status.clone());
        Ok(())
    }

    pub(crate) fn rollback_service(
        &mut self,
        id: &str,
        status: &UpdateStatus,
    ) -> Result<(), ApplyError> {
        let s = self.service_mut(id)?;
        let previous = s
            .previous_spec
            .take()
            .ok_or_else(|| ApplyError::NoPreviousSpec {
                name: s.spec.name.clone(),
            })?;
        s.spec = previous;
        s.version += 1;
        s.updated_at_ms = status.started_at_ms;
        s.update_status = Some(status.clone());
        Ok(())
    }

    fn service_mut(&mut self, id: &str) -> Result<&mut Service, ApplyError> {
        self.services
            .get_mut(id)
            .ok_or_else(|| ApplyError::ServiceNotFound { id: id.into() })
    }

    pub(crate) fn create_tasks(&mut self, tasks: &[Task]) {
        for t in tasks {
            self.tasks.entry(t.id.clone()).or_insert_with(|| t.clone());
        }
    }

    pub(crate) fn schedule(
        &mut self,
        at_ms: u64,
        assigned: &[(String, String)],
        pending: &[(String, String)],
    ) {
        // Global tasks come with their node preset; the scheduler confirms it.
        let open = |t: &Task| {
            t.desired_state == TaskState::Running && t.status.state < TaskState::Assigned
        };
        for (task_id, node_id) in assigned {
            let fits = |t: &&mut Task| open(t) && t.node_id.as_ref().is_none_or(|n| n == node_id);
            if let Some(t) = self.tasks.get_mut(task_id).filter(fits) {
                t.node_id = Some(node_id.clone());
                t.status = TaskStatus {
                    state: TaskState::Assigned,
                    message: "scheduler assigned task to node".into(),
                    timestamp_ms: at_ms,
                    ..TaskStatus::default()
                };
                t.updated_at_ms = at_ms;
            }
        }
        for (task_id, reason) in pending {
            if let Some(t) = self.tasks.get_mut(task_id).filter(|t| open(t)) {
                if t.status.state != TaskState::Pending || t.status.message != *reason {
                    t.status = TaskStatus {
                        state: TaskState::Pending,
                        message: reason.clone(),
                        timestamp_ms: at_ms,
                        ..TaskStatus::default()
                    };
                    t.updated_at_ms = at_ms;
                }
            }
        }
    }

    pub(crate) fn set_desired(&mut self, at_ms: u64, ids: &[String], state: TaskState) {
        for id in ids {
            if let Some(t) = self.tasks.get_mut(id) {
                if t.desired_state < state {
                    t.desired_state = state;
                    t.updated_at_ms = at_ms;
                }
            }
        }
    }

    pub(crate) fn report(&mut self, node: NodeId, reports: &[TaskReport]) {
        let node = format_node_id(node);
        for r in reports {
            let Some(t) = self.tasks.get_mut(&r.task_id) else {
                continue;
            };
            if t.node_id.as_deref() != Some(node.as_str()) {
                continue;
            }
            // An agent that restarted re-reports the state a task is in: keep its timestamp
            // (update delays count from it) but take the container and ports it found.
            if r.status.state == t.status.state && !t.status.state.is_terminal() {
                t.status.container_id.clone_from(&r.status.container_id);
                t.status.ports.clone_from(&r.status.ports);
                continue;
            }
            if !t.status.state.can_transition_to(r.status.state) {
                continue;
            }
            t.status = r.status.clone();
            t.updated_at_ms = t.updated_at_ms.max(r.status.timestamp_ms);
        }
    }

    pub(crate) fn delete_tasks(&mut self, ids: &[String]) {
        for id in ids {
            self.tasks.remove(id);
        }
    }

    /// Tasks of one service, in id order.
    pub fn tasks_of<'a>(&'a self, service_id: &'a str) -> impl Iterator<Item = &'a Task> + 'a {
        self.tasks
            .values()
            .filter(move |t| t.service_id == service_id)
    }

    /// Finds a service by id, unique id prefix, or name.
    pub fn find_service(&self, key: &str) -> Result<&Service, FindError> {
        find_by_key(&self.services, key, |s| &s.spec.name)
    }
}

#[cfg(test)]
mod tests {
    use swarm_api::command::Command;
    use swarm_api::service::{ServiceSpec, UpdateState};

    use super::*;

    fn service(id: &str, name: &str) -> Service {
        let spec = ServiceSpec {
            name: name.into(),
            ..Default::default()
        };
        swarm_testkit::service(id, spec)
    }

    fn task(id: &str, service: &str) -> Task {
        Task {
            service_name: "web".into(),
            ..swarm_testkit::task(id, service, "", TaskState::New)
        }
    }

    fn report(id: &str, state: TaskState) -> TaskReport {
        TaskReport {
            task_id: id.into(),
            status: TaskStatus {
                state,
                timestamp_ms: 9,
                ..Default::default()
            },
        }
    }

    #[test]
    fn services_are_unique_by_name_and_versioned() {
        let mut s = ClusterState::default();
        let create = Command::CreateService {
            service: service("s1", "web"),
        };
        assert_eq!(s.apply(&create).error, None);
        let dup = Command::CreateService {
            service: service("s2", "web"),
        };
        assert!(matches!(
            s.apply(&dup).error,
            Some(ApplyError::ServiceExists { .. })
        ));
        let mut v2 = service("s1", "web");
        v2.version = 2;
        let upd = |expected| Command::UpdateService {
            service: v2.clone(),
            expected_version: expected,
        };
        assert_eq!(s.apply(&upd(1)).error, None);
        assert!(matches!(
            s.apply(&upd(1)).error,
            Some(ApplyError::VersionMismatch {
                expected: 1,
                actual: 2,
                ..
            })
        ));
        assert_eq!(s.find_service("web").unwrap().version, 2);
        assert_eq!(s.find_service("s").unwrap().id, "s1");
        assert_eq!(s.find_service("x").unwrap_err(), FindError::NotFound);
        let status = UpdateStatus {
            state: UpdateState::RollbackStarted,
            started_at_ms: 5,
            completed_at_ms: None,
            message: "m".into(),
        };
        let rb = Command::RollbackService {
            service_id: "s1".into(),
            status,
        };
        assert!(matches!(
            s.apply(&rb).error,
            Some(ApplyError::NoPreviousSpec { .. })
        ));
    }

    #[test]
    fn task_changes_only_move_forward_and_only_from_the_owner() {
        let mut s = ClusterState::default();
        s.apply(&Command::CreateService {
            service: service("s1", "web"),
        });
        s.apply(&Command::CreateTasks {
            tasks: vec![task("t1", "s1"), task("t2", "s1")],
        });
        s.apply(&Command::Schedule {
            at_ms: 3,
            assigned: vec![("t1".into(), format_node_id(7))],
            pending: vec![("t2".into(), "no suitable node".into())],
        });
        assert_eq!(s.tasks["t1"].status.state, TaskState::Assigned);
        assert_eq!(s.tasks["t2"].status.message, "no suitable node");
        // A second assignment of an assigned task is ignored.
        s.apply(&Command::Schedule {
            at_ms: 4,
            assigned: vec![("t1".into(), format_node_id(8))],
            pending: vec![],
        });
        assert_eq!(s.tasks["t1"].node_id, Some(format_node_id(7)));
        // Reports from another node, and backwards reports, are ignored.
        s.apply(&Command::ReportTaskStatus {
            node_id: 8,
            reports: vec![report("t1", TaskState::Running)],
        });
        assert_eq!(s.tasks["t1"].status.state, TaskState::Assigned);
        let batch = Command::Batch {
            commands: vec![
                Command::ReportTaskStatus {
                    node_id: 7,
                    reports: vec![
                        report("t1", TaskState::Running),
                        report("t1", TaskState::Starting),
                        report("gone", TaskState::Running),
                    ],
                },
                Command::RemoveService { id: "nope".into() },
                Command::SetDesiredState {
                    at_ms: 10,
                    task_ids: vec!["t2".into()],
                    state: TaskState::Shutdown,
                },
            ],
        };
        assert!(matches!(
            s.apply(&batch).error,
            Some(ApplyError::ServiceNotFound { .. })
        ));
        assert_eq!(s.tasks["t1"].status.state, TaskState::Running);
        assert_eq!(s.tasks["t2"].desired_state, TaskState::Shutdown);
        s.apply(&Command::SetDesiredState {
            at_ms: 11,
            task_ids: vec!["t2".into()],
            state: TaskState::Running,
        });
        assert_eq!(s.tasks["t2"].desired_state, TaskState::Shutdown);
        s.apply(&Command::RemoveService { id: "s1".into() });
        assert_eq!(s.tasks["t1"].desired_state, TaskState::Shutdown);
        s.apply(&Command::DeleteTasks {
            ids: vec!["t1".into(), "t2".into()],
        });
        assert!(s.tasks.is_empty() && s.services.is_empty());
    }
}
