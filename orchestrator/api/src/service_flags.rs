//! Raw `service create` flags (strings as typed) → a validated [`ServiceSpec`].
//!
//! Kept free of any CLI library: the `swarmd` client maps its clap arguments into
//! [`ServiceFlags`] and calls [`ServiceFlags::into_spec`]; every bad value comes back as a
//! [`SpecError`] naming the flag, the value and the fix. Also: `service scale a=3 b=5`
//! arguments ([`parse_scale`]) and the scale operation itself ([`scale`]).

use serde::{Deserialize, Serialize};

use crate::constraint::{Constraint, PlacementPreference};
use crate::container_flags::{parse_group, parse_host, ContainerFlags};
use crate::dns_config::DnsFlags;
use crate::mount::Mount;
use crate::publish::PortConfig;
use crate::resources::{parse_cpu, parse_memory, ResourceRequirements};
use crate::restart::{parse_duration_ms, RestartCondition, RestartPolicy};
use crate::service::{parse_label, EndpointSpec, ServiceMode, ServiceSpec, TaskSpec};
use crate::spec_error::SpecError;
use crate::update_policy::{parse_count, UpdateConfigFlags};

/// The `service create` flags exactly as given (None/empty = not given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFlags {
    /// `--name`
    pub name: String,
    /// The image (first positional argument).
    pub image: String,
    /// Positional arguments after the image.
    pub args: Vec<String>,
    /// `--entrypoint` (split on whitespace).
    pub entrypoint: Option<String>,
    /// `--mode replicated|global`
    pub mode: Option<String>,
    /// `--replicas N`
    pub replicas: Option<String>,
    /// `--env KEY=VALUE` (repeatable)
    pub env: Vec<String>,
    /// `--label k=v`
    pub labels: Vec<String>,
    /// `--container-label k=v`
    pub container_labels: Vec<String>,
    /// `--constraint expr`
    pub constraints: Vec<String>,
    /// `--placement-pref spread=...`
    pub placement_prefs: Vec<String>,
    /// `--max-replicas-per-node N`
    pub max_replicas_per_node: Option<String>,
    /// `--reserve-cpu`
    pub reserve_cpu: Option<String>,
    /// `--reserve-memory`
    pub reserve_memory: Option<String>,
    /// `--limit-cpu`
    pub limit_cpu: Option<String>,
    /// `--limit-memory`
    pub limit_memory: Option<String>,
    /// `--mount`
    pub mounts: Vec<String>,
    /// `--publish`
    pub publish: Vec<String>,
    /// `--restart-condition`
    pub restart_condition: Option<String>,
    /// `--restart-delay`
    pub restart_delay: Option<String>,
    /// `--restart-max-attempts`
    pub restart_max_attempts: Option<String>,
    /// `--restart-window`
    pub restart_window: Option<String>,
    /// `--update-parallelism`, `--update-delay`, ... (into `update_config`)
    #[serde(default)]
    pub update: UpdateConfigFlags,
    /// `--rollback-parallelism`, `--rollback-delay`, ... (into `rollback_config`)
    #[serde(default)]
    pub rollback: UpdateConfigFlags,
    /// `--hostname`, `--user`, `--workdir`, `--read-only`, `--tty`, `--log-driver`, ...
    #[serde(default)]
    pub container: ContainerFlags,
    /// `--group` (repeatable)
    #[serde(default)]
    pub groups: Vec<String>,
    /// `--host host:ip` (repeatable)
    #[serde(default)]
    pub hosts: Vec<String>,
    /// `--network NAME|name=..,alias=..` (repeatable)
    #[serde(default)]
    pub networks: Vec<String>,
    /// `--endpoint-mode vip|dnsrr`
    #[serde(default)]
    pub endpoint_mode: Option<String>,
    /// `--dns`, `--dns-search`, `--dns-option` (repeatable)
    #[serde(default)]
    pub dns: DnsFlags,
}

impl ServiceFlags {
    /// Parses every flag and validates the resulting spec.
    pub fn into_spec(self) -> Result<ServiceSpec, SpecError> {
        let replicas = match &self.replicas {
            Some(r) => Some(parse_count("--replicas", r)?),
            None => None,
        };
        let mode = match &self.mode {
            Some(m) => ServiceMode::parse(m, replicas.unwrap_or(1))?,
            None => ServiceMode::Replicated {
                replicas: replicas.unwrap_or(1),
            },
        };
        if mode == ServiceMode::Global && replicas.is_some() {
            return Err(SpecError::new(
                "--replicas",
                self.replicas.clone().unwrap_or_default(),
                "a global service runs one task per node and takes no replica count",
                "drop --replicas or use --mode replicated",
            ));
        }
        let mut task = TaskSpec::default();
        let c = &mut task.container;
        c.image = self.image.clone();
        c.args = self.args.clone();
        if let Some(e) = &self.entrypoint {
            c.command = e.split_whitespace().map(str::to_string).collect();
        }
        c.env = self.env.clone();
        for l in &self.container_labels {
            let (k, v) = parse_label("--container-label", l)?;
            c.labels.insert(k, v);
        }
        for m in &self.mounts {
            c.mounts.push(Mount::parse(m)?);
        }
        for g in &self.groups {
            c.groups.push(parse_group("--group", g)?);
        }
        for h in &self.hosts {
            c.hosts.push(parse_host("--host", h)?);
        }
        for n in &self.networks {
            task.networks.push(crate::network::parse_network_flag(n)?);
        }
        task.container.dns = self.dns.to_config()?;
        self.container.apply(&mut task)?;
        let p = &mut task.placement;
        for s in &self.constraints {
            p.constraints.push(Constraint::parse(s)?);
        }
        for s in &self.placement_prefs {
            p.preferences.push(PlacementPreference::parse(s)?);
        }
        if let Some(m) = &self.max_replicas_per_node {
            p.max_replicas_per_node = parse_count("--max-replicas-per-node", m)?;
        }
        set_resources(
            &mut task.resources,
            [
                &self.reserve_cpu,
                &self.reserve_memory,
                &self.limit_cpu,
                &self.limit_memory,
            ],
        )?;
        set_restart_policy(
            &mut task.restart_policy,
            [
                &self.restart_condition,
                &self.restart_delay,
                &self.restart_max_attempts,
                &self.restart_window,
            ],
        )?;
        let mut spec = ServiceSpec {
            name: self.name.clone(),
            mode,
            task,
            endpoint: EndpointSpec {
                ports: self
                    .publish
                    .iter()
                    .map(|p| PortConfig::parse(p))
                    .collect::<Result<_, _>>()?,
                mode: match &self.endpoint_mode {
                    Some(m) => crate::network::EndpointMode::parse(m)?,
                    None => Default::default(),
                },
            },
            update_config: self.update.apply("--update", None)?,
            rollback_config: self.rollback.apply("--rollback", None)?,
            ..Default::default()
        };
        for l in &self.labels {
            let (k, v) = parse_label("--label", l)?;
            spec.labels.insert(k, v);
        }
        spec.validate()?;
        Ok(spec)
    }
}

/// Applies the given `--reserve-cpu`, `--reserve-memory`, `--limit-cpu`, `--limit-memory`
/// values (in that order; None = unchanged). Shared by `service create` and `service update`.
pub(crate) fn set_resources(
    r: &mut ResourceRequirements,
    [reserve_cpu, reserve_memory, limit_cpu, limit_memory]: [&Option<String>; 4],
) -> Result<(), SpecError> {
    if let Some(v) = reserve_cpu {
        r.reservations.nano_cpus = parse_cpu("--reserve-cpu", v)?;
    }
    if let Some(v) = reserve_memory {
        r.reservations.memory_bytes = parse_memory("--reserve-memory", v)?;
    }
    if let Some(v) = limit_cpu {
        r.limits.nano_cpus = parse_cpu("--limit-cpu", v)?;
    }
    if let Some(v) = limit_memory {
        r.limits.memory_bytes = parse_memory("--limit-memory", v)?;
    }
    Ok(())
}

/// Applies the given `--restart-condition`, `--restart-delay`, `--restart-max-attempts`,
/// `--restart-window` values (in that order; None = unchanged). Shared by create and update.
pub(crate) fn set_restart_policy(
    rp: &mut RestartPolicy,
    [condition, delay, max_attempts, window]: [&Option<String>; 4],
) -> Result<(), SpecError> {
    if let Some(v) = condition {
        rp.condition = RestartCondition::parse(v)?;
    }
    if let Some(v) = delay {
        rp.delay_ms = parse_duration_ms("--restart-delay", v)?;
    }
    if let Some(v) = max_attempts {
        rp.max_attempts = Some(parse_count("--restart-max-attempts", v)?);
    }
    if let Some(v) = window {
        rp.window_ms = parse_duration_ms("--restart-window", v)?;
    }
    Ok(())
}

/// Parses one `service scale` argument `NAME=REPLICAS`.
pub fn parse_scale(value: &str) -> Result<(String, u64), SpecError> {
    let fix = "write SERVICE=REPLICAS, e.g. web=5";
    let Some((name, n)) = value.split_once('=') else {
        return Err(SpecError::new(
            "service scale",
            value,
            "no '=' between service and replicas",
            fix,
        ));
    };
    if name.trim().is_empty() {
        return Err(SpecError::new(
            "service scale",
            value,
            "service name is empty",
            fix,
        ));
    }
    let n = n.trim().parse::<u64>().map_err(|_| {
        SpecError::new(
            "service scale",
            value,
            "replicas is not a whole number",
            fix,
        )
    })?;
    Ok((name.trim().to_string(), n))
}

/// Sets the replica count of a replicated service; a global service is refused.
pub fn scale(spec: &ServiceSpec, replicas: u64) -> Result<ServiceSpec, SpecError> {
    match spec.mode {
        ServiceMode::Global => Err(SpecError::new(
            "service scale",
            format!("{}={replicas}", spec.name),
            format!(
                "{} is a global service (one task per node) and cannot be scaled",
                spec.name
            ),
            "scale only replicated services; a global service follows the nodes",
        )),
        ServiceMode::Replicated { .. } => {
            let mut s = spec.clone();
            s.mode = ServiceMode::Replicated { replicas };
            Ok(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::ConstraintKey;
    use crate::mount::MountType;
    use crate::publish::PublishMode;
    use crate::restart::RestartCondition;

    fn flags() -> ServiceFlags {
        ServiceFlags {
            name: "web".into(),
            image: "swarm-test/web:v1".into(),
            args: vec!["--port".into(), "8080".into()],
            replicas: Some("3".into()),
            env: vec!["A=1".into()],
            labels: vec!["tier=front".into()],
            container_labels: vec!["team=edge".into()],
            constraints: vec!["node.role==worker".into()],
            placement_prefs: vec!["spread=node.labels.zone".into()],
            max_replicas_per_node: Some("2".into()),
            reserve_cpu: Some("0.25".into()),
            reserve_memory: Some("64M".into()),
            limit_cpu: Some("0.5".into()),
            limit_memory: Some("128M".into()),
            mounts: vec!["type=tmpfs,target=/run".into()],
            publish: vec!["published=8080,target=8080,mode=host".into()],
            restart_condition: Some("on-failure".into()),
            restart_delay: Some("2s".into()),
            restart_max_attempts: Some("3".into()),
            restart_window: Some("1m".into()),
            update: UpdateConfigFlags {
                parallelism: Some("2".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn all_flags_land_in_the_spec() {
        let s = flags().into_spec().unwrap();
        assert_eq!(s.mode, ServiceMode::Replicated { replicas: 3 });
        assert_eq!(s.labels["tier"], "front");
        let t = &s.task;
        assert_eq!(t.container.labels["team"], "edge");
        assert_eq!(t.container.args, vec!["--port", "8080"]);
        assert_eq!(t.placement.constraints[0].key, ConstraintKey::NodeRole);
        assert_eq!(t.placement.max_replicas_per_node, 2);
        assert_eq!(t.resources.reservations.nano_cpus, 250_000_000);
        assert_eq!(t.resources.limits.memory_bytes, 128 << 20);
        assert_eq!(t.container.mounts[0].kind, MountType::Tmpfs);
        assert_eq!(s.endpoint.ports[0].mode, PublishMode::Host);
        assert_eq!(t.restart_policy.condition, RestartCondition::OnFailure);
        assert_eq!(
            (t.restart_policy.delay_ms, t.restart_policy.window_ms),
            (2_000, 60_000)
        );
        assert_eq!(t.restart_policy.max_attempts, Some(3));
        assert_eq!(s.update_config.map(|u| u.parallelism), Some(2));
        assert_eq!(s.rollback_config, None);
    }

    #[test]
    fn bad_flags_name_themselves() {
        type Change = Box<dyn Fn(&mut ServiceFlags)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|f| f.replicas = Some("three".into())),
                "--replicas",
            ),
            (
                Box::new(|f| f.reserve_memory = Some("1G".into())),
                "--reserve-memory",
            ),
            (
                Box::new(|f| f.limit_cpu = Some("lots".into())),
                "--limit-cpu",
            ),
            (
                Box::new(|f| f.constraints = vec!["zone=a".into()]),
                "--constraint",
            ),
            (
                Box::new(|f| f.mounts = vec!["type=bind,target=/x".into()]),
                "--mount",
            ),
            (Box::new(|f| f.publish = vec!["80:".into()]), "--publish"),
            (
                Box::new(|f| f.restart_delay = Some("soon".into())),
                "--restart-delay",
            ),
            (Box::new(|f| f.mode = Some("global".into())), "--replicas"),
            (Box::new(|f| f.name = "".into()), "--name"),
            (
                Box::new(|f| f.rollback.monitor = Some("later".into())),
                "--rollback-monitor",
            ),
        ];
        for (change, field) in cases {
            let mut f = flags();
            change(&mut f);
            let e = f.into_spec().unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn scaling() {
        assert_eq!(parse_scale("web=5").unwrap(), ("web".to_string(), 5));
        assert!(parse_scale("web").is_err());
        assert!(parse_scale("=5").is_err());
        assert!(parse_scale("web=-1").is_err());
        let s = flags().into_spec().unwrap();
        assert_eq!(
            scale(&s, 7).unwrap().mode,
            ServiceMode::Replicated { replicas: 7 }
        );
        let mut g = flags();
        g.replicas = None;
        g.max_replicas_per_node = None;
        g.mode = Some("global".into());
        let g = g.into_spec().unwrap();
        let e = scale(&g, 3).unwrap_err();
        assert!(e.reason.contains("global service"), "{e}");
    }
}
