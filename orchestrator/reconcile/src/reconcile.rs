//! The entry point: one reconciliation of one service.

use swarm_api::service::ServiceMode;

use crate::action::Plan;
use crate::error::ReconcileError;
use crate::history::{retention_limit, trim};
use crate::update::{step, UpdateInput};
use crate::view::{ClusterView, Nodes};
use crate::{global, replicated};

/// Computes what to change so that the service's tasks match its spec: orchestrator
/// (scale, node loss, global eligibility), restart supervisor, rolling updater and history
/// retention, in that order. Pure: the same view always gives the same plan.
pub fn reconcile(view: &ClusterView) -> Result<Plan, ReconcileError> {
    let service = view.service;
    if let Some(t) = view.tasks.iter().find(|t| t.service_id != service.id) {
        return Err(ReconcileError::ForeignTask {
            task: t.id.clone(),
            task_service: t.service_id.clone(),
            service: service.id.clone(),
        });
    }
    let nodes = Nodes::new(view.nodes);
    let limit = retention_limit(&service.spec.task.restart_policy);
    let mut plan = Plan::default();
    match service.spec.mode {
        ServiceMode::Replicated { replicas } => {
            let slots = replicated::by_slot(view)?;
            let (upd, existing) =
                replicated::orchestrate(view, replicas, &slots, &nodes, &mut plan);
            let total = usize::try_from(replicas).unwrap_or(usize::MAX);
            run_updater(view, &upd, total, &mut plan);
            for (slot, tasks) in &slots {
                trim(tasks, existing.contains(slot), limit, &nodes, &mut plan);
            }
        }
        ServiceMode::Global => {
            let by_node = global::by_node(view);
            let (upd, existing) = global::orchestrate(view, &by_node, &mut plan);
            run_updater(view, &upd, upd.len(), &mut plan);
            for (node, tasks) in &by_node {
                trim(tasks, existing.contains(node), limit, &nodes, &mut plan);
            }
        }
    }
    Ok(plan)
}

fn run_updater(view: &ClusterView, slots: &[crate::slots::UpdSlot], total: usize, plan: &mut Plan) {
    step(
        &UpdateInput {
            service: view.service,
            status: view.service.update_status.as_ref(),
            slots,
            tasks: view.tasks,
            total_slots: total,
            now_ms: view.now_ms,
        },
        plan,
    );
}
