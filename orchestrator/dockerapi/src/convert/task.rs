//! Tasks: swarmd's `Task` as docker's, and the task filters of `GET /tasks` (with the CLI's
//! `_up-to-date`).

use bollard_stubs::models as d;
use swarm_api::service::Service;
use swarm_api::task::Task;

use super::service::task_out as task_spec_out;
use super::{same_name, version};
use crate::filters::Filters;
use crate::time::rfc3339_ms;

/// The filters `GET /tasks` accepts (moby's).
pub const TASK_FILTERS: &[&str] = &[
    "id",
    "name",
    "service",
    "node",
    "label",
    "desired-state",
    "_up-to-date",
];

/// A task as docker's.
pub fn task_out(t: &Task) -> d::Task {
    let ports: Vec<_> = t
        .status
        .ports
        .iter()
        .filter_map(|b| {
            let published = b.addr.rsplit_once(':')?.1.parse::<i64>().ok()?;
            Some(d::EndpointPortConfig {
                name: None,
                protocol: same_name(&b.protocol),
                target_port: Some(i64::from(b.target)),
                published_port: Some(published),
                publish_mode: Some(d::EndpointPortConfigPublishModeEnum::HOST),
            })
        })
        .collect();
    d::Task {
        id: Some(t.id.clone()),
        version: version(t.service_version.max(1)),
        created_at: Some(rfc3339_ms(t.created_at_ms)),
        updated_at: Some(rfc3339_ms(t.updated_at_ms)),
        name: None,
        labels: Some(Default::default()),
        spec: Some(task_spec_out(&t.spec)),
        service_id: Some(t.service_id.clone()),
        slot: t.slot.map(|s| s as i64),
        node_id: t.node_id.clone(),
        assigned_generic_resources: None,
        status: Some(d::TaskStatus {
            timestamp: Some(rfc3339_ms(t.status.timestamp_ms)),
            state: same_name(&t.status.state),
            message: Some(t.status.message.clone()),
            err: t.status.err.clone(),
            container_status: t.status.container_id.as_ref().map(|id| d::ContainerStatus {
                container_id: Some(id.clone()),
                pid: None,
                exit_code: t.status.exit_code,
            }),
            port_status: (!ports.is_empty()).then_some(d::PortStatus { ports: Some(ports) }),
        }),
        desired_state: same_name(&t.desired_state),
        job_iteration: None,
    }
}

/// Whether a task runs its service's current spec: swarmd's tasks carry their spec, so a
/// task is up to date when it has the service's task spec and endpoint (a scale leaves the
/// running tasks up to date, as swarmkit bumps their spec version).
pub fn up_to_date(t: &Task, s: &Service) -> bool {
    t.service_version >= s.version || (t.spec == s.spec.task && t.endpoint == s.spec.endpoint)
}

/// Whether `t` passes the filters; `service` is its service, `node_name` its node's host name.
pub fn task_matches(
    f: &Filters,
    t: &Task,
    service: Option<&Service>,
    node_name: Option<&str>,
) -> bool {
    let name = t.container_name();
    f.prefix("id", &t.id)
        && f.any("name", |v| name.starts_with(v) || t.slot_name() == v)
        && f.any("service", |v| {
            t.service_id.starts_with(v) || t.service_name == v
        })
        && f.any("node", |v| {
            t.node_id.as_deref().is_some_and(|n| n.starts_with(v)) || node_name == Some(v)
        })
        && f.any("desired-state", |v| {
            t.desired_state.as_str().eq_ignore_ascii_case(v)
        })
        && (!f.contains("_up-to-date") || service.is_some_and(|s| up_to_date(t, s)))
        // A task's labels are its service's (swarmkit matches `ServiceAnnotations.Labels`;
        // `docker stack ps` filters on the stack's namespace label).
        && f.labels(|k| service.and_then(|s| s.spec.labels.get(k)).map(String::as_str))
}
