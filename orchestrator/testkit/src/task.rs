//! Task fixtures.

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
}
