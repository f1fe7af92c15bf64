//! What a deploy changes (pure): which stack networks are missing, which services are new,
//! which changed (and their new spec) and which are no longer in the file.
//!
//! A re-deploy of an unchanged file must send nothing, so a desired spec is first brought to
//! the shape the manager stores: network names become ids (with the network's `internal`),
//! a port published without a number keeps the number the manager gave it, and the
//! `--force` counter stays. Only then is it compared with the stored spec.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use swarm_api::network::NetworkSpec;
use swarm_api::network_api::NetworkView;
use swarm_api::publish::PublishMode;
use swarm_api::service::{Service, ServiceSpec};
use swarm_api::service_api::ServiceListEntry;
use swarm_compose::StackPlan;

use super::namespace;

/// The changes of one deploy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Stack networks to create.
    pub create_networks: Vec<NetworkSpec>,
    /// External networks that do not exist.
    pub missing_external: Vec<String>,
}

/// One service of the plan against what exists.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceChange {
    /// Not there yet.
    Create(Box<ServiceSpec>),
    /// There, with another spec: the id, the version read and the new spec.
    Update(String, u64, Box<ServiceSpec>),
    /// There with this very spec.
    Unchanged(String),
}

/// Networks to create, and external networks that are missing.
pub fn network_changes(plan: &StackPlan, existing: &[NetworkView]) -> Changes {
    let exists = |name: &str| existing.iter().any(|v| v.network.spec.name == name);
    Changes {
        create_networks: plan
            .networks
            .iter()
            .filter(|n| !exists(&n.name))
            .cloned()
            .collect(),
        missing_external: plan
            .external_networks
            .iter()
            .filter(|n| !exists(n))
            .cloned()
            .collect(),
    }
}

/// Replaces network names by ids (and sets `internal`) as the manager does.
pub fn resolve_networks(spec: &mut ServiceSpec, networks: &[NetworkView]) -> Result<()> {
    for a in &mut spec.task.networks {
        let v = networks
            .iter()
            .find(|v| v.network.spec.name == a.target || v.network.id == a.target)
            .ok_or_else(|| anyhow!("network {} not found", a.target))?;
        a.target = v.network.id.clone();
        a.internal = v.network.spec.internal;
    }
    Ok(())
}

/// `desired` in the stored shape, given the stored spec of the same service.
pub fn as_stored(mut desired: ServiceSpec, stored: &ServiceSpec) -> ServiceSpec {
    for p in desired
        .endpoint
        .ports
        .iter_mut()
        .filter(|p| p.mode == PublishMode::Ingress && p.published.is_none())
    {
        if let Some(q) = stored.endpoint.ports.iter().find(|q| {
            q.mode == PublishMode::Ingress && q.target == p.target && q.protocol == p.protocol
        }) {
            p.published = q.published;
        }
    }
    desired.task.force_update = stored.task.force_update;
    desired
}

/// Compares one desired service (networks resolved) with the existing services by name.
pub fn service_change(
    desired: ServiceSpec,
    existing: &BTreeMap<String, &Service>,
) -> ServiceChange {
    match existing.get(&desired.name) {
        None => ServiceChange::Create(Box::new(desired)),
        Some(s) => {
            let d = as_stored(desired, &s.spec);
            if d == s.spec {
                ServiceChange::Unchanged(s.id.clone())
            } else {
                ServiceChange::Update(s.id.clone(), s.version, Box::new(d))
            }
        }
    }
}

/// Services of `stack` (by label) that the plan does not have: what `--prune` removes.
pub fn prunable<'a>(
    stack: &str,
    plan: &StackPlan,
    existing: &'a [ServiceListEntry],
) -> Vec<&'a Service> {
    let mut v: Vec<&Service> = existing
        .iter()
        .map(|e| &e.service)
        .filter(|s| namespace(&s.spec.labels) == Some(stack))
        .filter(|s| !plan.services.iter().any(|p| p.name == s.spec.name))
        .collect();
    v.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::network::{Network, NetworkAttachmentConfig};
    use swarm_api::publish::PortConfig;

    fn net(id: &str, name: &str) -> NetworkView {
        NetworkView {
            network: Network {
                id: id.into(),
                spec: NetworkSpec {
                    name: name.into(),
                    driver: "overlay".into(),
                    ..Default::default()
                },
                vni: 4097,
                created_at_ms: 0,
                cursors: vec![],
            },
            services: vec![],
            endpoints: vec![],
        }
    }

    fn spec(name: &str, port: &str) -> ServiceSpec {
        let mut s = ServiceSpec {
            name: name.into(),
            ..Default::default()
        };
        s.task.container.image = "img".into();
        s.endpoint.ports = vec![PortConfig::parse(port).unwrap()];
        s.task.networks = vec![NetworkAttachmentConfig {
            target: "app_default".into(),
            aliases: vec!["web".into()],
            internal: false,
        }];
        s
    }

    fn stored(spec: ServiceSpec) -> Service {
        Service {
            version: 7,
            ..swarm_testkit::service("sid", spec)
        }
    }

    #[test]
    fn an_unchanged_service_is_left_alone_even_with_a_manager_picked_port() {
        let nets = vec![net("n1", "app_default")];
        let mut desired = spec("app_web", "80");
        resolve_networks(&mut desired, &nets).unwrap();
        assert_eq!(desired.task.networks[0].target, "n1");
        let mut on_manager = desired.clone();
        on_manager.endpoint.ports[0].published = Some(30000);
        on_manager.task.force_update = 2;
        let s = stored(on_manager);
        let existing = BTreeMap::from([("app_web".to_string(), &s)]);
        assert_eq!(
            service_change(desired.clone(), &existing),
            ServiceChange::Unchanged("sid".into())
        );
        let mut changed = desired;
        changed.task.container.image = "img:2".into();
        match service_change(changed, &existing) {
            ServiceChange::Update(id, 7, spec) => {
                assert_eq!(id, "sid");
                assert_eq!(spec.endpoint.ports[0].published, Some(30000));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            service_change(spec("app_db", "81"), &existing),
            ServiceChange::Create(_)
        ));
    }

    #[test]
    fn missing_networks_and_externals() {
        let plan = StackPlan {
            stack: "app".into(),
            networks: vec![
                NetworkSpec {
                    name: "app_default".into(),
                    ..Default::default()
                },
                NetworkSpec {
                    name: "app_back".into(),
                    ..Default::default()
                },
            ],
            external_networks: vec!["shared".into(), "gone".into()],
            services: vec![],
            secrets: vec![],
            configs: vec![],
        };
        let c = network_changes(&plan, &[net("n1", "app_default"), net("n2", "shared")]);
        assert_eq!(c.create_networks.len(), 1);
        assert_eq!(c.create_networks[0].name, "app_back");
        assert_eq!(c.missing_external, vec!["gone".to_string()]);
    }
}
