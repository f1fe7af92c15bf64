//! Task → Docker container configuration (pure; no daemon involved).
//!
//! - env: `SWARM_TASK_ID`, `SWARM_TASK_SLOT`, `SWARM_SERVICE_ID`, `SWARM_SERVICE_NAME`,
//!   `SWARM_NODE_ID`, `SWARM_NODE_HOSTNAME`, then the service's `--env` (later entries win);
//! - labels: the service's `--container-label`s, then the swarm labels (which win);
//! - command → entrypoint, args → cmd (each only when given);
//! - limits → `NanoCpus`/`Memory`; memory reservation → `MemoryReservation`; CPU
//!   reservation → `CpuShares` (1024 per CPU), a relative weight under contention;
//! - host-mode published ports → port bindings on all host addresses; ingress ports are
//!   served by the routing mesh and not bound here;
//! - no engine restart policy: restarts are the orchestrator's job.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountTmpfsOptions, MountType, PortBinding,
};
use swarm_api::mount::MountType as ApiMountType;
use swarm_api::publish::PublishMode;
use swarm_api::task::Task;

use crate::executor::NodeContext;
use crate::labels;

/// The environment of the task's container.
pub fn env(task: &Task, node: &NodeContext) -> Vec<String> {
    let mut env = vec![
        format!("{}={}", labels::ENV_TASK_ID, task.id),
        format!("{}={}", labels::ENV_SERVICE_ID, task.service_id),
        format!("{}={}", labels::ENV_SERVICE_NAME, task.service_name),
        format!("{}={}", labels::ENV_NODE_ID, node.node_id),
        format!("{}={}", labels::ENV_NODE_HOSTNAME, node.hostname),
    ];
    if let Some(slot) = task.slot {
        env.push(format!("{}={slot}", labels::ENV_TASK_SLOT));
    }
    env.extend(task.spec.container.env.iter().cloned());
    env
}

/// The labels of the task's container.
pub fn container_labels(task: &Task, node: &NodeContext) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = task
        .spec
        .container
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    l.insert(labels::SERVICE_NAME.into(), task.service_name.clone());
    l.insert(labels::SERVICE_ID.into(), task.service_id.clone());
    l.insert(labels::TASK_ID.into(), task.id.clone());
    l.insert(labels::TASK_NAME.into(), task.container_name());
    l.insert(labels::NODE_ID.into(), node.node_id.clone());
    l
}

fn mounts(task: &Task) -> Vec<Mount> {
    task.spec
        .container
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                ApiMountType::Volume => MountType::VOLUME,
                ApiMountType::Bind => MountType::BIND,
                ApiMountType::Tmpfs => MountType::TMPFS,
            }),
            read_only: Some(m.readonly),
            tmpfs_options: (m.kind == ApiMountType::Tmpfs && m.tmpfs_size_bytes > 0).then(|| {
                MountTmpfsOptions {
                    size_bytes: Some(m.tmpfs_size_bytes),
                    ..Default::default()
                }
            }),
            ..Default::default()
        })
        .collect()
}

/// The full create request for the task's container.
pub fn container_config(task: &Task, node: &NodeContext) -> ContainerCreateBody {
    let c = &task.spec.container;
    let res = &task.spec.resources;
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in task
        .endpoint
        .ports
        .iter()
        .filter(|p| p.mode == PublishMode::Host)
    {
        let key = format!("{}/{}", p.target, p.protocol);
        exposed.push(key.clone());
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: None,
                host_port: Some(p.published.map(|p| p.to_string()).unwrap_or_default()),
            });
    }
    let host_config = HostConfig {
        nano_cpus: (res.limits.nano_cpus > 0).then_some(res.limits.nano_cpus),
        memory: (res.limits.memory_bytes > 0).then_some(res.limits.memory_bytes),
        memory_reservation: (res.reservations.memory_bytes > 0)
            .then_some(res.reservations.memory_bytes),
        cpu_shares: (res.reservations.nano_cpus > 0)
            .then(|| (res.reservations.nano_cpus * 1024 / 1_000_000_000).max(2)),
        mounts: (!c.mounts.is_empty()).then(|| mounts(task)),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(c.image.clone()),
        env: Some(env(task, node)),
        labels: Some(container_labels(task, node)),
        entrypoint: (!c.command.is_empty()).then(|| c.command.clone()),
        cmd: (!c.args.is_empty()).then(|| c.args.clone()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(host_config),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::mount::Mount as ApiMount;
    use swarm_api::publish::PortConfig;
    use swarm_api::service::{ContainerSpec, EndpointSpec, TaskSpec};
    use swarm_api::task::{TaskState, TaskStatus};

    fn task() -> Task {
        let mut spec = TaskSpec {
            container: ContainerSpec {
                image: "swarm-test/web:v1".into(),
                env: vec!["A=1".into(), "SWARM_NODE_HOSTNAME=override".into()],
                labels: [
                    ("team".to_string(), "web".to_string()),
                    (labels::TASK_ID.to_string(), "forged".to_string()),
                ]
                .into_iter()
                .collect(),
                command: vec![],
                args: vec!["--port".into(), "8080".into()],
                mounts: vec![
                    ApiMount::parse("type=tmpfs,target=/run,tmpfs-size=1M").unwrap(),
                    ApiMount::parse("type=bind,source=/etc,target=/host-etc,readonly").unwrap(),
                ],
            },
            ..Default::default()
        };
        spec.resources.limits.nano_cpus = 500_000_000;
        spec.resources.limits.memory_bytes = 64 << 20;
        spec.resources.reservations.memory_bytes = 32 << 20;
        spec.resources.reservations.nano_cpus = 250_000_000;
        Task {
            id: "t1".into(),
            service_id: "s1".into(),
            service_name: "web".into(),
            slot: Some(3),
            node_id: Some("n1".into()),
            spec,
            endpoint: EndpointSpec {
                ports: vec![
                    PortConfig::parse("published=18080,target=8080,mode=host").unwrap(),
                    PortConfig::parse("9000:90").unwrap(),
                ],
            },
            service_version: 1,
            desired_state: TaskState::Running,
            status: TaskStatus::default(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    fn node() -> NodeContext {
        NodeContext {
            node_id: "n1".into(),
            hostname: "host-1".into(),
        }
    }

    #[test]
    fn labels_env_and_args() {
        let cfg = container_config(&task(), &node());
        let l = cfg.labels.unwrap();
        assert_eq!(l[labels::SERVICE_NAME], "web");
        assert_eq!(l[labels::SERVICE_ID], "s1");
        assert_eq!(
            l[labels::TASK_ID],
            "t1",
            "swarm labels win over container labels"
        );
        assert_eq!(l[labels::NODE_ID], "n1");
        assert_eq!(l[labels::TASK_NAME], "web.3.t1");
        assert_eq!(l["team"], "web");
        let env = cfg.env.unwrap();
        assert!(env.contains(&"SWARM_TASK_ID=t1".to_string()));
        assert!(env.contains(&"SWARM_TASK_SLOT=3".to_string()));
        let pos = |s: &str| env.iter().position(|e| e == s).unwrap();
        assert!(
            pos("SWARM_NODE_HOSTNAME=override") > pos("SWARM_NODE_HOSTNAME=host-1"),
            "user env comes last"
        );
        assert_eq!(cfg.entrypoint, None);
        assert_eq!(cfg.cmd.unwrap(), vec!["--port", "8080"]);
    }

    #[test]
    fn resources_mounts_and_host_ports() {
        let cfg = container_config(&task(), &node());
        let hc = cfg.host_config.unwrap();
        assert_eq!(hc.nano_cpus, Some(500_000_000));
        assert_eq!(hc.memory, Some(64 << 20));
        assert_eq!(hc.memory_reservation, Some(32 << 20));
        assert_eq!(hc.cpu_shares, Some(256));
        let m = hc.mounts.unwrap();
        assert_eq!(m[0].typ, Some(MountType::TMPFS));
        assert_eq!(
            m[0].tmpfs_options.as_ref().unwrap().size_bytes,
            Some(1 << 20)
        );
        assert_eq!(
            (m[1].typ, m[1].read_only, m[1].source.as_deref()),
            (Some(MountType::BIND), Some(true), Some("/etc"))
        );
        let b = hc.port_bindings.unwrap();
        assert_eq!(b.len(), 1, "only host-mode ports are bound: {b:?}");
        assert_eq!(
            b["8080/tcp"].as_ref().unwrap()[0].host_port.as_deref(),
            Some("18080")
        );
        assert_eq!(cfg.exposed_ports.unwrap(), vec!["8080/tcp"]);
    }

    #[test]
    fn nothing_set_means_nothing_sent() {
        let mut t = task();
        t.spec.resources = Default::default();
        t.spec.container.mounts.clear();
        t.endpoint.ports.clear();
        let hc = container_config(&t, &node()).host_config.unwrap();
        assert_eq!(
            (
                hc.nano_cpus,
                hc.memory,
                hc.cpu_shares,
                hc.mounts,
                hc.port_bindings
            ),
            (None, None, None, None, None)
        );
    }
}
