//! Task fixtures.

use swarm_api::resources::Resources;
use swarm_api::service::{ContainerSpec, EndpointSpec, TaskSpec};
use swarm_api::task::{Task, TaskState, TaskStatus};

/// Task `id` of service `service` (also its name) running `image`, slot 1, version 1, on no
/// node yet, desired RUNNING and observed `state`; set the other fields on the result.
pub fn task(id: &str, service: &str, image: &str, state: TaskState) -> Task {
    Task {
        id: id.to_string(),
        service_id: service.to_string(),
        service_name: service.to_string(),
        slot: Some(1),
        node_id: None,
        spec: TaskSpec {
            container: ContainerSpec {
                image: image.to_string(),
                ..Default::default()
            },
            ..Default::default()
        },
        endpoint: EndpointSpec::default(),
        service_version: 1,
        desired_state: TaskState::Running,
        status: TaskStatus {
            state,
            ..Default::default()
        },
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}

/// A spec running `image` that reserves `reservations` (scheduler fixtures and benches).
pub fn reserving(image: &str, reservations: Resources) -> TaskSpec {
    let mut spec = TaskSpec {
        container: ContainerSpec {
            image: image.to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    spec.resources.reservations = reservations;
    spec
}

/// `n` pending tasks `{prefix}{i}` of `service` with `spec`, in slots 1 to `n`.
pub fn pending(prefix: &str, service: &str, n: usize, spec: &TaskSpec) -> Vec<Task> {
    (0..n)
        .map(|i| {
            let mut t = task(&format!("{prefix}{i}"), service, "img", TaskState::Pending);
            t.slot = Some(i as u64 + 1);
            t.spec = spec.clone();
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_task_of_its_service() {
        let t = task("t1", "web", "img:v1", TaskState::Pending);
        assert_eq!((t.id.as_str(), t.service_id.as_str()), ("t1", "web"));
        assert_eq!(t.service_name, "web");
        assert_eq!(t.spec.container.image, "img:v1");
        assert_eq!((t.slot, t.node_id.as_deref()), (Some(1), None));
        assert_eq!(t.desired_state, TaskState::Running);
        assert_eq!(t.status.state, TaskState::Pending);
    }

    #[test]
    fn pending_tasks_fill_slots_with_the_spec() {
        let r = Resources {
            nano_cpus: 10,
            memory_bytes: 20,
        };
        let ts = pending("t", "svc", 3, &reserving("img:v1", r));
        let slots: Vec<_> = ts.iter().map(|t| (t.id.as_str(), t.slot)).collect();
        assert_eq!(slots, [("t0", Some(1)), ("t1", Some(2)), ("t2", Some(3))]);
        assert!(ts.iter().all(|t| t.spec.resources.reservations == r));
        assert_eq!(ts[0].spec.container.image, "img:v1");
    }
}
