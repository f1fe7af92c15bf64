//! The service routes of the control API (`/v1/services/...`, see `swarm_api::service_api`).
//!
//! Handlers validate, turn the request into one Raft command and answer from the applied
//! state; the orchestrators and the scheduler ([`crate::orchestrator`]) do the rest. Updates
//! carry the version the client read (optimistic concurrency).

use axum::extract::{Path, Query};
use axum::Json;
use swarm_api::command::Command;
use swarm_api::node::parse_node_id;
use swarm_api::routes;
use swarm_api::service::{Service, ServiceMode, ServiceSpec};
use swarm_api::service_api::{LogsQuery, ServiceListEntry, TaskLogLine, UpdateServiceRequest};
use swarm_api::task::{Task, TaskState};
use swarm_reconcile::global::{eligibility, Eligibility};
use swarm_store::state::ClusterState;
use swarm_store::tasks::FindError;

use crate::error::ManagerError;
use crate::extract::{Answer, Control};
use crate::node::Node;
use crate::ports::assign_ingress;
use crate::random::{now_ms, object_id};

pub(crate) fn find(state: &ClusterState, key: &str) -> Result<Service, ManagerError> {
    state.find_service(key).cloned().map_err(|e| match e {
        FindError::NotFound => ManagerError::NotFound(format!(
            "service {key} not found; list services with `service ls`"
        )),
        FindError::Ambiguous => ManagerError::BadRequest(format!(
            "{key:?} matches several services; use the name or a longer id prefix"
        )),
    })
}

fn current(n: &Node, id: &str) -> Result<Json<Service>, ManagerError> {
    find(&n.snapshot(), id).map(Json)
}

fn bad_spec(spec: &ServiceSpec) -> Result<(), ManagerError> {
    spec.validate()
        .map_err(|e| ManagerError::BadRequest(e.to_string()))
}

/// How many tasks should run: replicas, or for a global service the nodes that should run
/// one (as Docker counts them): every eligible node (ready, active, constraints hold), and a
/// paused or not yet reporting node that still runs one. Counting tasks instead would say
/// "0 out of 0" right after `service create`, before the orchestrator made any.
fn desired(state: &ClusterState, s: &Service) -> u64 {
    match s.spec.mode {
        ServiceMode::Replicated { replicas } => replicas,
        ServiceMode::Global => {
            let has_task = |node: &str| {
                state.tasks_of(&s.id).any(|t| {
                    t.desired_state == TaskState::Running && t.node_id.as_deref() == Some(node)
                })
            };
            crate::tick::node_infos(state)
                .iter()
                .filter(|n| match eligibility(n, &s.spec) {
                    Eligibility::Run => true,
                    Eligibility::Keep => has_task(&n.id),
                    Eligibility::Remove => false,
                })
                .count() as u64
        }
    }
}

pub(crate) async fn list(Control(n): Control) -> Answer<Vec<ServiceListEntry>> {
    let state = n.snapshot();
    Ok(Json(
        state
            .services
            .values()
            .map(|s| ServiceListEntry {
                running: state
                    .tasks_of(&s.id)
                    .filter(|t| {
                        t.desired_state == TaskState::Running
                            && t.status.state == TaskState::Running
                    })
                    .count() as u64,
                desired: desired(&state, s),
                service: s.clone(),
            })
            .collect(),
    ))
}

pub(crate) async fn create(
    Control(n): Control,
    Json(mut spec): Json<ServiceSpec>,
) -> Answer<Service> {
    bad_spec(&spec)?;
    let state = n.snapshot();
    if state.services.values().any(|s| s.spec.name == spec.name) {
        return Err(ManagerError::Conflict(format!(
            "a service named {} already exists; choose another --name or change it with \
             `service update`",
            spec.name
        )));
    }
    crate::network_api::resolve_networks(&state, &mut spec)?;
    crate::secret_api::resolve_files(&state, &mut spec)?;
    assign_ingress(&mut spec, None, state.services.values().map(|s| &s.spec))
        .map_err(ManagerError::Conflict)?;
    let now = now_ms();
    let service = Service {
        id: object_id(),
        version: 1,
        spec,
        previous_spec: None,
        created_at_ms: now,
        updated_at_ms: now,
        update_status: None,
    };
    let id = service.id.clone();
    n.write(Command::CreateService { service }).await?;
    tracing::info!(service = %id, "service created");
    current(&n, &id)
}

pub(crate) async fn inspect(Control(n): Control, Path(key): Path<String>) -> Answer<Service> {
    n.read_barrier().await?;
    current(&n, &key)
}

pub(crate) async fn update(
    Control(n): Control,
    Path(key): Path<String>,
    Json(req): Json<UpdateServiceRequest>,
) -> Answer<Service> {
    // The version check must see every update that completed before this one began.
    n.read_barrier().await?;
    let state = n.snapshot();
    let old = find(&state, &key)?;
    if req.version != old.version {
        return Err(ManagerError::Conflict(format!(
            "service {} changed since it was read (version {} now, {} read); read it again and retry",
            old.spec.name, old.version, req.version
        )));
    }
    let mut spec = req.spec;
    bad_spec(&spec)?;
    let was_global = old.spec.mode == ServiceMode::Global;
    if was_global != (spec.mode == ServiceMode::Global) {
        return Err(ManagerError::BadRequest(format!(
            "service {} cannot change between replicated and global mode; create a new service",
            old.spec.name
        )));
    }
    crate::network_api::resolve_networks(&state, &mut spec)?;
    crate::secret_api::resolve_files(&state, &mut spec)?;
    assign_ingress(
        &mut spec,
        Some(&old.spec),
        state
            .services
            .values()
            .filter(|s| s.id != old.id)
            .map(|s| &s.spec),
    )
    .map_err(ManagerError::Conflict)?;
    let previous = Some(old.spec.clone());
    replace(&n, &old, spec, previous, now_ms(), None).await
}

/// Stores the next version of `old` (only if nobody changed it meanwhile) and answers with it.
async fn replace(
    n: &Node,
    old: &Service,
    spec: ServiceSpec,
    previous_spec: Option<ServiceSpec>,
    at_ms: u64,
    update_status: Option<swarm_api::service::UpdateStatus>,
) -> Result<Json<Service>, ManagerError> {
    let service = Service {
        version: old.version + 1,
        spec,
        previous_spec,
        updated_at_ms: at_ms,
        update_status,
        ..old.clone()
    };
    n.write(Command::UpdateService {
        service,
        expected_version: old.version,
    })
    .await?;
    current(n, &old.id)
}

pub(crate) async fn rollback(Control(n): Control, Path(key): Path<String>) -> Answer<Service> {
    let old = find(&n.snapshot(), &key)?;
    let r = swarm_reconcile::rollback::manual(&old, now_ms())
        .map_err(|e| ManagerError::Conflict(e.to_string()))?;
    let at = r.update_status.started_at_ms;
    replace(&n, &old, r.spec, r.previous_spec, at, Some(r.update_status)).await
}

pub(crate) async fn remove(Control(n): Control, Path(key): Path<String>) -> Answer<()> {
    let s = find(&n.snapshot(), &key)?;
    n.write(Command::RemoveService { id: s.id.clone() }).await?;
    tracing::info!(service = %s.spec.name, "service removed");
    Ok(Json(()))
}

/// Tasks of a service: by slot (or node), newest first within it.
pub(crate) fn sorted_tasks(state: &ClusterState, service_id: &str) -> Vec<Task> {
    let mut tasks: Vec<Task> = state.tasks_of(service_id).cloned().collect();
    tasks.sort_by(|a, b| {
        (
            a.slot,
            &a.node_id,
            std::cmp::Reverse(a.created_at_ms),
            &a.id,
        )
            .cmp(&(
                b.slot,
                &b.node_id,
                std::cmp::Reverse(b.created_at_ms),
                &b.id,
            ))
    });
    tasks
}

pub(crate) async fn tasks(Control(n): Control, Path(key): Path<String>) -> Answer<Vec<Task>> {
    let state = n.snapshot();
    let s = find(&state, &key)?;
    Ok(Json(sorted_tasks(&state, &s.id)))
}

pub(crate) async fn logs(
    Control(n): Control,
    Path(key): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Answer<Vec<TaskLogLine>> {
    let state = n.snapshot();
    let s = find(&state, &key)?;
    let mut out = Vec::new();
    for t in sorted_tasks(&state, &s.id) {
        let (Some(node_key), Some(_)) = (&t.node_id, &t.status.container_id) else {
            continue;
        };
        let Some(node) = parse_node_id(node_key).and_then(|id| state.nodes.get(&id)) else {
            continue;
        };
        let route = &routes::AGENT_TASK_LOGS;
        let path = routes::with_tail(route.path(&[&t.id]), q.tail);
        let lines: Result<Vec<TaskLogLine>, ManagerError> = if node.id == n.id {
            crate::dispatcher::local_logs(&n, &t.id, q.tail).await
        } else {
            n.peer(&node.addr)
                .send_to(route, &path, &())
                .await
                .map_err(ManagerError::from)
        };
        match lines {
            Ok(mut l) => {
                for line in &mut l {
                    line.node.clone_from(&node.hostname);
                    // Workers hold no cluster state: name the task here.
                    line.task_name = t.container_name();
                }
                out.extend(l);
            }
            Err(e) => tracing::debug!(task = %t.id, error = %e, "logs unavailable"),
        }
    }
    Ok(Json(out))
}
