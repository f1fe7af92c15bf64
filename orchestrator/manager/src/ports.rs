//! Published ingress ports: unique across the cluster, and picked by the manager when the user
//! gave only a target port (`--publish target=80`), from Docker's range 30000–32767.

use std::collections::BTreeSet;

use swarm_api::publish::{Protocol, PublishMode};
use swarm_api::service::ServiceSpec;

/// The range the manager picks ingress ports from (Docker's default).
pub const DYNAMIC_RANGE: std::ops::RangeInclusive<u16> = 30000..=32767;

/// Fills in missing ingress published ports (reusing the port the old spec had for the same
/// target) and refuses a port another service already publishes. `others` are the specs of
/// every other service.
pub fn assign_ingress<'a>(
    spec: &mut ServiceSpec,
    old: Option<&ServiceSpec>,
    others: impl Iterator<Item = &'a ServiceSpec>,
) -> Result<(), String> {
    let mut taken: BTreeSet<(u16, Protocol)> = BTreeSet::new();
    let mut owner = std::collections::BTreeMap::new();
    for o in others {
        for p in &o.endpoint.ports {
            if let (Some(port), PublishMode::Ingress) = (p.published, p.mode) {
                taken.insert((port, p.protocol));
                owner.insert((port, p.protocol), o.name.clone());
            }
        }
    }
    for p in spec
        .endpoint
        .ports
        .iter()
        .filter(|p| p.mode == PublishMode::Ingress)
    {
        if let Some(port) = p.published {
            if let Some(name) = owner.get(&(port, p.protocol)) {
                return Err(format!(
                    "port {port}/{} is already published by service {name}; publish another port \
                     or remove it from {name} first",
                    p.protocol
                ));
            }
            taken.insert((port, p.protocol));
        }
    }
    for p in spec
        .endpoint
        .ports
        .iter_mut()
        .filter(|p| p.mode == PublishMode::Ingress && p.published.is_none())
    {
        let reuse = old.and_then(|o| {
            o.endpoint
                .ports
                .iter()
                .find(|q| {
                    q.mode == PublishMode::Ingress
                        && q.target == p.target
                        && q.protocol == p.protocol
                })
                .and_then(|q| q.published)
        });
        let pick = reuse
            .filter(|r| !taken.contains(&(*r, p.protocol)))
            .or_else(|| {
                DYNAMIC_RANGE
                    .clone()
                    .find(|c| !taken.contains(&(*c, p.protocol)))
            });
        let Some(port) = pick else {
            return Err(
                "no free port left in 30000-32767 for --publish; give published=PORT".into(),
            );
        };
        taken.insert((port, p.protocol));
        p.published = Some(port);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::publish::PortConfig;

    fn spec(name: &str, ports: &[&str]) -> ServiceSpec {
        let mut s = ServiceSpec {
            name: name.into(),
            ..Default::default()
        };
        s.endpoint.ports = ports
            .iter()
            .map(|p| PortConfig::parse(p).unwrap())
            .collect();
        s
    }

    #[test]
    fn picks_free_ports_keeps_old_ones_and_refuses_taken_ones() {
        let a = spec("a", &["30000:80"]);
        let mut b = spec("b", &["target=80", "8080:81"]);
        assign_ingress(&mut b, None, [&a].into_iter()).unwrap();
        assert_eq!(b.endpoint.ports[0].published, Some(30001));
        let old = b.clone();
        let mut b2 = spec("b", &["target=80"]);
        assign_ingress(&mut b2, Some(&old), [&a].into_iter()).unwrap();
        assert_eq!(
            b2.endpoint.ports[0].published,
            Some(30001),
            "kept across updates"
        );
        let mut c = spec("c", &["8080:90"]);
        let e = assign_ingress(&mut c, None, [&a, &b].into_iter()).unwrap_err();
        assert!(
            e.contains("8080/tcp is already published by service b"),
            "{e}"
        );
        let mut host = spec("d", &["published=8080,target=90,mode=host"]);
        assign_ingress(&mut host, None, [&b].into_iter()).unwrap();
    }
}
