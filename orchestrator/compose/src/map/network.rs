//! Top-level networks: real names (`STACK_KEY`, `name:`, or the external name), their specs,
//! and which a deploy creates (the stack networks some service uses, `STACK_default` among
//! them when a service names none).

use std::collections::{BTreeMap, BTreeSet};

use swarm_api::network::{driver_options, IpamConfig, NetworkSpec, DEFAULT_DRIVER};

use super::{Context, NAMESPACE_LABEL};
use crate::error::ComposeError;
use crate::model::{ComposeFile, External};

/// The networks of a compose file, by key.
pub struct Networks {
    /// key → (real name, spec; None for an external network).
    by_key: BTreeMap<String, (String, Option<NetworkSpec>)>,
}

/// The real name of an external object: `external: {name}`, then `name:`, then the key.
pub fn external_name(
    key: &str,
    ext: &Option<External>,
    name: &Option<crate::model::Text>,
) -> Option<String> {
    match ext {
        Some(External::Flag(true)) => Some(
            name.as_ref()
                .map(|n| n.0.clone())
                .unwrap_or_else(|| key.to_string()),
        ),
        Some(External::Named { name }) => Some(name.0.clone()),
        _ => None,
    }
}

impl Networks {
    /// Reads and validates every declared network (and the implicit `default`).
    pub fn new(file: &ComposeFile, ctx: &Context) -> Result<Self, ComposeError> {
        let mut by_key = BTreeMap::new();
        let mut declared = file.networks.clone();
        declared.entry("default".to_string()).or_insert(None);
        for (key, n) in &declared {
            let path = format!("networks.{key}");
            let n = n.clone().unwrap_or_default();
            if let Some(real) = external_name(key, &n.external, &n.name) {
                by_key.insert(key.clone(), (real, None));
                continue;
            }
            let real = n
                .name
                .as_ref()
                .map(|t| t.0.clone())
                .unwrap_or_else(|| format!("{}_{key}", ctx.stack));
            if n.enable_ipv6 == Some(true) {
                return Err(ComposeError::key(
                    format!("{path}.enable_ipv6"),
                    "IPv6 networks are not supported by swarmd",
                    "remove enable_ipv6",
                ));
            }
            let options: Vec<String> = n
                .driver_opts
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => k.clone(),
                })
                .collect();
            let (mut subnets, mut gateways, mut ip_ranges) = (Vec::new(), Vec::new(), Vec::new());
            if let Some(ipam) = &n.ipam {
                if ipam.driver.as_ref().is_some_and(|d| d.0 != "default") {
                    return Err(ComposeError::key(
                        format!("{path}.ipam.driver"),
                        "only the default IPAM driver exists in swarmd",
                        "remove ipam.driver",
                    ));
                }
                if !ipam.options.is_empty() {
                    return Err(ComposeError::key(
                        format!("{path}.ipam.options"),
                        "IPAM options are not supported by swarmd",
                        "remove ipam.options",
                    ));
                }
                for (i, c) in ipam.config.iter().enumerate() {
                    if !c.aux_addresses.is_empty() {
                        return Err(ComposeError::key(
                            format!("{path}.ipam.config[{i}].aux_addresses"),
                            "reserved addresses are not supported by swarmd",
                            "remove aux_addresses",
                        ));
                    }
                    subnets.push(c.subnet.0.clone());
                    let lagging = |n: usize| n != i;
                    if (c.gateway.is_some() && lagging(gateways.len()))
                        || (c.ip_range.is_some() && lagging(ip_ranges.len()))
                    {
                        return Err(ComposeError::key(
                            format!("{path}.ipam.config[{i}]"),
                            "a gateway or ip_range follows a subnet that has none",
                            "give gateway (and ip_range) to each ipam.config entry, or to none",
                        ));
                    }
                    if let Some(g) = &c.gateway {
                        gateways.push(g.0.clone());
                    }
                    if let Some(r) = &c.ip_range {
                        ip_ranges.push(r.0.clone());
                    }
                }
            }
            let spec = IpamConfig::paired(&subnets, &gateways, &ip_ranges).and_then(|ipam| {
                let spec = NetworkSpec {
                    name: real.clone(),
                    driver: n
                        .driver
                        .as_ref()
                        .map_or(DEFAULT_DRIVER.into(), |t| t.0.clone()),
                    ipam,
                    internal: n.internal.unwrap_or(false),
                    attachable: n.attachable.unwrap_or(false),
                    labels: Default::default(),
                    options: driver_options(&options),
                    ingress: false,
                };
                spec.validate().map(|()| spec)
            });
            let mut spec = spec.map_err(|e| {
                let sub = match e.field.as_str() {
                    "--driver" => "driver",
                    "--opt" => "driver_opts",
                    "--subnet" | "--gateway" | "--ip-range" => "ipam.config",
                    _ => "name",
                };
                ComposeError::spec(format!("{path}.{sub}"), e)
            })?;
            if let Some(l) = &n.labels {
                for (k, v) in l.entries(&['=']) {
                    spec.labels.insert(k, v.unwrap_or_default());
                }
            }
            spec.labels.insert(NAMESPACE_LABEL.into(), ctx.stack.into());
            by_key.insert(key.clone(), (real, Some(spec)));
        }
        Ok(Networks { by_key })
    }

    /// The real name of network `key`, or None when it is not declared.
    pub fn real_name(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(|(n, _)| n.as_str())
    }

    /// The specs to create and the external names to check, of the networks in `used` (real
    /// names).
    pub fn used(&self, used: &BTreeSet<String>) -> (Vec<NetworkSpec>, Vec<String>) {
        let mut create = Vec::new();
        let mut external = Vec::new();
        for (real, spec) in self.by_key.values() {
            if !used.contains(real) {
                continue;
            }
            match spec {
                Some(s) => create.push(s.clone()),
                None => external.push(real.clone()),
            }
        }
        create.sort_by(|a, b| a.name.cmp(&b.name));
        external.sort();
        external.dedup();
        (create, external)
    }
}
