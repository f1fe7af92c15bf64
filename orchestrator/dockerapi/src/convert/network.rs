//! Networks: swarmd's `NetworkView` as docker's `Network`, and docker's create request as a
//! swarmd `NetworkSpec`.

use bollard_stubs::models as d;
use swarm_api::network::{IpamConfig, NetworkSpec};
use swarm_api::network_api::NetworkView;

use super::{labels_in, labels_out};
use crate::error::{DockerError, Result};
use crate::time::rfc3339_ms;

/// The filters `GET /networks` accepts.
pub const NETWORK_FILTERS: &[&str] = &["id", "name", "driver", "scope", "label", "type"];

/// A network as docker's (every swarmd network is a swarm-scoped overlay).
pub fn network_out(v: &NetworkView) -> d::Network {
    let n = &v.network;
    d::Network {
        name: Some(n.spec.name.clone()),
        id: Some(n.id.clone()),
        created: Some(rfc3339_ms(n.created_at_ms)),
        scope: Some("swarm".into()),
        driver: Some(if n.spec.driver.is_empty() {
            "overlay".into()
        } else {
            n.spec.driver.clone()
        }),
        enable_ipv4: Some(true),
        enable_ipv6: Some(false),
        ipam: Some(d::Ipam {
            driver: Some("default".into()),
            config: Some(
                n.spec
                    .ipam
                    .iter()
                    .map(|c| d::IpamConfig {
                        subnet: Some(c.subnet.clone()),
                        ip_range: c.ip_range.clone(),
                        gateway: Some(c.gateway.clone()),
                        auxiliary_addresses: None,
                    })
                    .collect(),
            ),
            options: None,
        }),
        internal: Some(n.spec.internal),
        attachable: Some(n.spec.attachable),
        ingress: Some(n.spec.ingress),
        config_from: Some(d::ConfigReference {
            network: Some(String::new()),
        }),
        config_only: Some(false),
        options: labels_out(&n.spec.options),
        labels: labels_out(&n.spec.labels),
        peers: None,
    }
}

/// Docker's create request as swarmd's spec; refuses what swarmd cannot make, naming the field.
pub fn spec_in(r: &d::NetworkCreateRequest) -> Result<NetworkSpec> {
    if r.config_only == Some(true)
        || r.config_from
            .as_ref()
            .is_some_and(|c| c.network.as_deref().is_some_and(|n| !n.is_empty()))
    {
        return Err(DockerError::bad_request(
            "unsupported ConfigOnly/ConfigFrom: swarmd networks are overlays made by the managers",
        ));
    }
    if r.enable_ipv6 == Some(true) {
        return Err(DockerError::unsupported(
            "EnableIPv6",
            &serde_json::json!(true),
        ));
    }
    let scope = r.scope.as_deref().unwrap_or("");
    if !scope.is_empty() && scope != "swarm" {
        return Err(DockerError::bad_request(format!(
            "invalid Scope {scope:?}: swarmd makes swarm-scoped overlay networks only (fix: --scope swarm or leave it out)"
        )));
    }
    let ipam = r.ipam.clone().unwrap_or_default();
    if ipam
        .driver
        .as_deref()
        .is_some_and(|d| !d.is_empty() && d != "default")
    {
        return Err(DockerError::unsupported(
            "IPAM.Driver",
            &serde_json::json!(ipam.driver),
        ));
    }
    Ok(NetworkSpec {
        name: r.name.clone(),
        driver: r
            .driver
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "overlay".into()),
        ipam: ipam
            .config
            .iter()
            .flatten()
            .map(|c| IpamConfig {
                subnet: c.subnet.clone().unwrap_or_default(),
                gateway: c.gateway.clone().unwrap_or_default(),
                ip_range: c.ip_range.clone().filter(|s| !s.is_empty()),
            })
            .collect(),
        internal: r.internal.unwrap_or(false),
        attachable: r.attachable.unwrap_or(false),
        labels: labels_in(&r.labels),
        options: labels_in(&r.options),
        ingress: r.ingress.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clis_create_body_converts() {
        let body = serde_json::json!({"Driver":"overlay","Scope":"","IPAM":{"Driver":"default",
            "Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,
            "ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"n1"});
        let r: d::NetworkCreateRequest = serde_json::from_value(body).unwrap();
        let s = spec_in(&r).unwrap();
        assert_eq!(s.name, "n1");
        assert_eq!(s.driver, "overlay");
        assert!(s.ipam.is_empty());
        let mut r6 = r.clone();
        r6.enable_ipv6 = Some(true);
        assert!(spec_in(&r6).unwrap_err().message.contains("EnableIPv6"));
    }
}
