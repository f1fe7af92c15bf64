//! `service create`: the parsed flags ([`CreateArgs`]) → a validated [`ServiceSpec`] (pure).
//!
//! The values are typed by clap already ([`crate::checked`]); what is left is the rules across
//! flags (`--replicas` with `--mode global`, `--log-opt` without `--log-driver`, ...) and the
//! spec's own validation, each refusal a [`SpecError`] naming the flag, the value and the fix.
//! `--env-file` is the caller's (it reads files), who puts those variables before `--env`.

use swarm_api::network::{parse_network_flag, EndpointMode};
use swarm_api::service::{EndpointSpec, ServiceMode, ServiceSpec, TaskSpec};
use swarm_api::spec_error::SpecError;

use crate::checked::{value, values};
use crate::service_args::CreateArgs;

impl CreateArgs {
    /// Builds the spec the flags describe and validates it.
    pub fn into_spec(&self) -> Result<ServiceSpec, SpecError> {
        let mode = ServiceMode::of_flags(self.mode.as_deref(), value(&self.replicas))?;
        let mut task = TaskSpec::default();
        let c = &mut task.container;
        c.image = self.image.clone();
        c.args = self.args.clone();
        if let Some(e) = &self.entrypoint {
            c.command = e.split_whitespace().map(str::to_string).collect();
        }
        c.env = self.env.clone();
        c.labels.extend(values(&self.container_label));
        c.mounts = values(&self.mount);
        c.groups = values(&self.group);
        c.hosts = values(&self.host);
        c.dns = self.dns.to_config();
        for n in &self.network.network {
            task.networks.push(parse_network_flag(n)?);
        }
        self.container.apply(&mut task)?;
        let p = &mut task.placement;
        p.constraints = values(&self.constraint);
        p.preferences = values(&self.placement_pref);
        if let Some(m) = value(&self.max_replicas_per_node) {
            p.max_replicas_per_node = m;
        }
        self.resources.apply(&mut task.resources);
        self.restart.apply(&mut task.restart_policy);
        let spec = ServiceSpec {
            name: self.name.clone(),
            mode,
            task,
            endpoint: EndpointSpec {
                ports: values(&self.publish),
                mode: match &self.network.endpoint_mode {
                    Some(m) => EndpointMode::parse(m)?,
                    None => Default::default(),
                },
            },
            update_config: self.update.apply(None),
            rollback_config: self.rollback.apply(None),
            labels: values(&self.label).into_iter().collect(),
        };
        spec.validate()?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use swarm_api::constraint::ConstraintKey;
    use swarm_api::mount::MountType;
    use swarm_api::publish::PublishMode;
    use swarm_api::restart::RestartCondition;

    use super::*;
    use crate::service_args::test_cli::{create_args, create_error};

    const ALL: &[&str] = &[
        "--name",
        "web",
        "--replicas",
        "3",
        "--env",
        "A=1",
        "--label",
        "tier=front",
        "--container-label",
        "team=edge",
        "--constraint",
        "node.role==worker",
        "--placement-pref",
        "spread=node.labels.zone",
        "--max-replicas-per-node",
        "2",
        "--reserve-cpu",
        "0.25",
        "--reserve-memory",
        "64M",
        "--limit-cpu",
        "0.5",
        "--limit-memory",
        "128M",
        "--mount",
        "type=tmpfs,target=/run",
        "--publish",
        "published=8080,target=8080,mode=host",
        "--restart-condition",
        "on-failure",
        "--restart-delay",
        "2s",
        "--restart-max-attempts",
        "3",
        "--restart-window",
        "1m",
        "--update-parallelism",
        "2",
    ];

    /// ALL with `extra` in place of the same flags there.
    fn with(extra: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = ALL
            .chunks(2)
            .filter(|pair| !extra.contains(&pair[0]))
            .flatten()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push("swarm-test/web:v1".into());
        v.extend(["--port".to_string(), "8080".to_string()]);
        v
    }

    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    #[test]
    fn all_flags_land_in_the_spec() {
        let s = create_args(&refs(&with(&[]))).into_spec().unwrap();
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
        // Refused by clap (the value alone is wrong).
        let parse_cases: &[(&[&str], &str)] = &[
            (&["--replicas", "three"], "--replicas"),
            (&["--limit-cpu", "lots"], "--limit-cpu"),
            (&["--constraint", "zone=a"], "--constraint"),
            (&["--mount", "type=bind,target=/x"], "--mount"),
            (&["--publish", "80:"], "--publish"),
            (&["--restart-delay", "soon"], "--restart-delay"),
            (&["--rollback-monitor", "later"], "--rollback-monitor"),
        ];
        for (extra, field) in parse_cases {
            let e = create_error(&refs(&with(extra)));
            assert!(e.contains(&format!("invalid {field} ")), "{e}");
        }
        // Refused by the rules across flags or the spec's validation.
        let spec_cases: &[(&[&str], &str)] = &[
            (&["--reserve-memory", "1G"], "--reserve-memory"),
            (&["--mode", "global"], "--replicas"),
            (&["--name", ""], "--name"),
        ];
        for (extra, field) in spec_cases {
            let e = create_args(&refs(&with(extra))).into_spec().unwrap_err();
            assert_eq!(e.field, *field, "{e}");
        }
    }
}
