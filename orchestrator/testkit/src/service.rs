//! Service fixtures.

use swarm_api::service::{Service, ServiceSpec};

/// Service `id` with `spec` as the managers store a new one: version 1, no previous spec, no
/// update status, created at 0; set the other fields on the result.
pub fn service(id: &str, spec: ServiceSpec) -> Service {
    Service {
        id: id.to_string(),
        version: 1,
        spec,
        previous_spec: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        update_status: None,
    }
}
