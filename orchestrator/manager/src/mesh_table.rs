//! The routing-mesh table every node receives: each published ingress port with the
//! addresses of the service's running tasks (pure).

use swarm_api::dispatch::MeshPort;
use swarm_api::publish::PublishMode;
use swarm_api::task::TaskState;
use swarm_store::state::ClusterState;

/// One entry per published ingress port (TCP or UDP) of every service, backends sorted.
pub fn mesh_table(state: &ClusterState) -> Vec<MeshPort> {
    let mut out = Vec::new();
    for s in state.services.values() {
        for p in &s.spec.endpoint.ports {
            let (Some(published), PublishMode::Ingress) = (p.published, p.mode) else {
                continue;
            };
            let mut backends: Vec<String> = state
                .tasks_of(&s.id)
                .filter(|t| {
                    t.desired_state == TaskState::Running && t.status.state == TaskState::Running
                })
                .flat_map(|t| t.status.ports.iter())
                .filter(|b| b.target == p.target && b.protocol == p.protocol)
                .map(|b| b.addr.clone())
                .collect();
            backends.sort();
            out.push(MeshPort {
                published,
                protocol: p.protocol,
                service: s.spec.name.clone(),
                backends,
            });
        }
    }
    out
}
