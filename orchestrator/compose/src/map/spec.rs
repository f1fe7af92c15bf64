//! The part of a compose service's spec that `service create`'s flags also set: mode and
//! replicas, environment, groups, hosts, DNS, container settings, placement, resources, the
//! restart policy and the rollout policies, then the spec's validation. Each value goes
//! through swarm-api's check with the docker flag's name (`--limit-memory`), which the caller
//! turns into the compose key (`deploy.resources.limits.memory`).

use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::container_values::{parse_group, parse_host};
use swarm_api::dns_config::{parse_dns_option, parse_nameserver, parse_search_domain};
use swarm_api::network::EndpointMode;
use swarm_api::resources::{parse_cpu, parse_memory};
use swarm_api::restart::{parse_duration_ms, RestartCondition};
use swarm_api::service::{EndpointSpec, ServiceMode, ServiceSpec, TaskSpec};
use swarm_api::spec_error::SpecError;

use super::container::{map_container, map_policy};
use crate::model::{Deploy, Service, Text};

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.0.as_str())
}

/// Each value checked by `check`, in order, once.
fn once(
    values: Vec<String>,
    field: &str,
    check: fn(&str, &str) -> Result<String, SpecError>,
) -> Result<Vec<String>, SpecError> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = check(field, &v)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// The spec of service `name` (image, environment as resolved) from `svc` and its `deploy`.
pub fn base_spec(
    name: String,
    image: &str,
    env: Vec<String>,
    svc: &Service,
    deploy: &Deploy,
) -> Result<ServiceSpec, SpecError> {
    let mode = ServiceMode::of_flags(text(&deploy.mode), deploy.replicas)?;
    let mut task = TaskSpec::default();
    let c = &mut task.container;
    c.image = image.to_string();
    c.env = env;
    for g in &svc.group_add {
        c.groups.push(parse_group("--group", &g.0)?);
    }
    if let Some(h) = &svc.extra_hosts {
        // `host:ip`, `host=ip` or {host: ip}; the flag form is host:ip. IPv6 addresses
        // contain ':' too, so split a list entry at '=' first, else at the first ':'.
        for (k, v) in h.entries(&['=', ':']) {
            c.hosts.push(parse_host(
                "--host",
                &format!("{k}:{}", v.unwrap_or_default()),
            )?);
        }
    }
    let values =
        |v: &Option<crate::model::OneOrMany>| v.as_ref().map(|d| d.values()).unwrap_or_default();
    c.dns.nameservers = once(values(&svc.dns), "--dns", parse_nameserver)?;
    c.dns.search = once(values(&svc.dns_search), "--dns-search", parse_search_domain)?;
    let opts = svc.dns_opt.iter().flatten().map(|t| t.0.clone()).collect();
    c.dns.options = once(opts, "--dns-option", parse_dns_option)?;
    map_container(svc, &mut task)?;

    let placement = deploy.placement.clone().unwrap_or_default();
    let p = &mut task.placement;
    for s in &placement.constraints {
        p.constraints.push(Constraint::parse(&s.0)?);
    }
    for s in &placement.preferences {
        p.preferences.push(PlacementPreference::parse(&format!(
            "spread={}",
            s.spread.0
        ))?);
    }
    if let Some(m) = placement.max_replicas_per_node {
        p.max_replicas_per_node = m;
    }
    let res = deploy.resources.clone().unwrap_or_default();
    let r = &mut task.resources;
    if let Some(set) = &res.reservations {
        if let Some(v) = text(&set.cpus) {
            r.reservations.nano_cpus = parse_cpu("--reserve-cpu", v)?;
        }
        if let Some(v) = text(&set.memory) {
            r.reservations.memory_bytes = parse_memory("--reserve-memory", v)?;
        }
    }
    if let Some(set) = &res.limits {
        if let Some(v) = text(&set.cpus) {
            r.limits.nano_cpus = parse_cpu("--limit-cpu", v)?;
        }
        if let Some(v) = text(&set.memory) {
            r.limits.memory_bytes = parse_memory("--limit-memory", v)?;
        }
    }
    let restart = deploy.restart_policy.clone().unwrap_or_default();
    let rp = &mut task.restart_policy;
    if let Some(v) = text(&restart.condition) {
        rp.condition = RestartCondition::parse(v)?;
    }
    if let Some(v) = text(&restart.delay) {
        rp.delay_ms = parse_duration_ms("--restart-delay", v)?;
    }
    if let Some(n) = restart.max_attempts {
        rp.max_attempts = Some(n);
    }
    if let Some(v) = text(&restart.window) {
        rp.window_ms = parse_duration_ms("--restart-window", v)?;
    }
    let spec = ServiceSpec {
        name,
        mode,
        task,
        endpoint: EndpointSpec {
            ports: Vec::new(),
            mode: match text(&deploy.endpoint_mode) {
                Some(m) => EndpointMode::parse(m)?,
                None => Default::default(),
            },
        },
        update_config: map_policy("--update", &deploy.update_config)?,
        rollback_config: map_policy("--rollback", &deploy.rollback_config)?,
        ..Default::default()
    };
    spec.validate()?;
    Ok(spec)
}
