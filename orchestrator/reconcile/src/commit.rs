//! The step after [`crate::reconcile()`]: a plan's [`Action`]s as the Raft [`Command`]s that carry
//! them out (pure). The manager's leader loop commits them; tests apply them to a
//! `ClusterState` the same way, so both go through the store's own `apply`.

use swarm_api::command::Command;
use swarm_api::service::Service;
use swarm_api::task::{Task, TaskState, TaskStatus};

use crate::action::{Action, SlotKey};

/// A new task of `service` as the orchestrators ask for it.
pub fn new_task(service: &Service, key: &SlotKey, version: u64, id: String, now: u64) -> Task {
    Task {
        id,
        service_id: service.id.clone(),
        service_name: service.spec.name.clone(),
        slot: key.slot(),
        node_id: key.node_id().map(str::to_string),
        spec: service.spec.task.clone(),
        endpoint: service.spec.endpoint.clone(),
        service_version: version,
        desired_state: TaskState::Running,
        status: TaskStatus {
            state: TaskState::New,
            message: "created".into(),
            timestamp_ms: now,
            ..TaskStatus::default()
        },
        created_at_ms: now,
        updated_at_ms: now,
    }
}

/// Turns one service's plan into commands (in the plan's order); `new_id` names new tasks.
pub fn commands_of(
    service: &Service,
    actions: Vec<Action>,
    now: u64,
    new_id: &mut dyn FnMut() -> String,
) -> Vec<Command> {
    let mut out = Vec::new();
    for a in actions {
        out.push(match a {
            Action::CreateTask {
                key,
                service_version,
                ..
            } => Command::CreateTasks {
                tasks: vec![new_task(service, &key, service_version, new_id(), now)],
            },
            Action::ShutdownTask { task_id, .. } => Command::SetDesiredState {
                at_ms: now,
                task_ids: vec![task_id],
                state: TaskState::Shutdown,
            },
            Action::RetireTask { task_id } => Command::SetDesiredState {
                at_ms: now,
                task_ids: vec![task_id],
                state: TaskState::Complete,
            },
            Action::DeleteTask { task_id } => Command::DeleteTasks { ids: vec![task_id] },
            Action::SetUpdateStatus(status) => Command::SetUpdateStatus {
                service_id: service.id.clone(),
                status,
            },
            Action::RollbackService { status } => Command::RollbackService {
                service_id: service.id.clone(),
                status,
            },
        });
    }
    out
}
