//! `service update` flags (strings as typed) applied to a stored [`ServiceSpec`], and the
//! `--update-*` / `--rollback-*` flags shared with `service create`.
//!
//! Pure: [`UpdateFlags::apply`] takes the spec the client read and returns the edited,
//! validated spec (or a [`SpecError`] naming the flag, the value and the fix). The client then
//! sends it back with the version it read (see `service_api`). Removals run before additions,
//! as in Docker, so `--env-rm A --env-add A=2` replaces `A`.

use serde::{Deserialize, Serialize};

use crate::constraint::{Constraint, PlacementPreference};
use crate::container_flags::{host_name, parse_group, parse_host, ContainerFlags};
use crate::dns_config::DnsUpdateFlags;
use crate::mount::Mount;
use crate::publish::{PortConfig, Protocol};
use crate::service::{parse_label, ServiceSpec};
use crate::service_flags::{scale, set_resources, set_restart_policy};
use crate::spec_error::SpecError;
use crate::update_policy::parse_count;
pub use crate::update_policy::{default_update_config, UpdateConfigFlags};

/// The `service update` flags exactly as given (None/empty = not given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateFlags {
    /// `--image`
    pub image: Option<String>,
    /// `--args "a b"` (replaces the arguments; split on whitespace)
    pub args: Option<String>,
    /// `--entrypoint "cmd arg"` (replaces the entrypoint; split on whitespace)
    pub entrypoint: Option<String>,
    /// `--replicas N` (replicated services only)
    pub replicas: Option<String>,
    /// `--env-add KEY=VALUE`
    pub env_add: Vec<String>,
    /// `--env-rm KEY`
    pub env_rm: Vec<String>,
    /// `--label-add k=v`
    pub label_add: Vec<String>,
    /// `--label-rm k`
    pub label_rm: Vec<String>,
    /// `--container-label-add k=v`
    pub container_label_add: Vec<String>,
    /// `--container-label-rm k`
    pub container_label_rm: Vec<String>,
    /// `--constraint-add expr`
    pub constraint_add: Vec<String>,
    /// `--constraint-rm expr`
    pub constraint_rm: Vec<String>,
    /// `--placement-pref-add spread=...`
    pub placement_pref_add: Vec<String>,
    /// `--placement-pref-rm spread=...`
    pub placement_pref_rm: Vec<String>,
    /// `--max-replicas-per-node N`
    pub max_replicas_per_node: Option<String>,
    /// `--mount-add type=...,target=...`
    pub mount_add: Vec<String>,
    /// `--mount-rm TARGET`
    pub mount_rm: Vec<String>,
    /// `--publish-add 8080:80`
    pub publish_add: Vec<String>,
    /// `--publish-rm TARGET[/PROTOCOL]`
    pub publish_rm: Vec<String>,
    /// `--reserve-cpu`
    pub reserve_cpu: Option<String>,
    /// `--reserve-memory`
    pub reserve_memory: Option<String>,
    /// `--limit-cpu`
    pub limit_cpu: Option<String>,
    /// `--limit-memory`
    pub limit_memory: Option<String>,
    /// `--restart-condition`
    pub restart_condition: Option<String>,
    /// `--restart-delay`
    pub restart_delay: Option<String>,
    /// `--restart-max-attempts`
    pub restart_max_attempts: Option<String>,
    /// `--restart-window`
    pub restart_window: Option<String>,
    /// `--force`: replace every task even without a spec change.
    pub force: bool,
    /// `--update-*`
    pub update: UpdateConfigFlags,
    /// `--rollback-*`
    pub rollback: UpdateConfigFlags,
    /// `--hostname`, `--user`, `--workdir`, `--read-only`, `--tty`, `--log-driver`, ...
    #[serde(default)]
    pub container: ContainerFlags,
    /// `--group-add GROUP`
    #[serde(default)]
    pub group_add: Vec<String>,
    /// `--group-rm GROUP`
    #[serde(default)]
    pub group_rm: Vec<String>,
    /// `--host-add host:ip`
    #[serde(default)]
    pub host_add: Vec<String>,
    /// `--host-rm host[:ip]`
    #[serde(default)]
    pub host_rm: Vec<String>,
    /// `--dns-add/-rm`, `--dns-search-add/-rm`, `--dns-option-add/-rm`
    #[serde(default)]
    pub dns: DnsUpdateFlags,
}

/// Renames the field of an error raised by a shared parser (`--mount` → `--mount-add`).
fn as_flag(flag: &str) -> impl Fn(SpecError) -> SpecError + '_ {
    move |mut e| {
        e.field = flag.to_string();
        e
    }
}

fn key_of(flag: &str, value: &str) -> Result<String, SpecError> {
    let k = value
        .split_once('=')
        .map(|(k, _)| k)
        .unwrap_or(value)
        .trim();
    if k.is_empty() {
        return Err(SpecError::new(
            flag,
            value,
            "name is empty",
            format!("write {flag} NAME"),
        ));
    }
    Ok(k.to_string())
}

/// Parses `--publish-rm` values: `80`, `80/udp`, or a full `--publish` form (its target).
fn port_to_remove(value: &str) -> Result<(u16, Protocol), SpecError> {
    let flag = "--publish-rm";
    if value.contains('=') || value.contains(':') {
        let p = PortConfig::parse(value).map_err(as_flag(flag))?;
        return Ok((p.target, p.protocol));
    }
    let (port, proto) = match value.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (value, None),
    };
    let protocol = match proto.map(|p| p.trim().to_ascii_lowercase()) {
        None => Protocol::Tcp,
        Some(p) if p == "tcp" => Protocol::Tcp,
        Some(p) if p == "udp" => Protocol::Udp,
        Some(_) => {
            return Err(SpecError::new(
                flag,
                value,
                "unknown protocol",
                "write --publish-rm TARGET_PORT[/tcp|/udp], e.g. 80 or 53/udp",
            ))
        }
    };
    match port.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok((p, protocol)),
        _ => Err(SpecError::new(
            flag,
            value,
            "not a port number from 1 to 65535",
            "write --publish-rm TARGET_PORT[/tcp|/udp], e.g. 80 or 53/udp",
        )),
    }
}

impl UpdateFlags {
    /// True when no flag at all was given (docker still runs the update; `--force` counts).
    pub fn is_empty(&self) -> bool {
        *self == UpdateFlags::default()
    }

    /// Applies the flags to `spec` (removals before additions) and validates the result.
    pub fn apply(&self, spec: &ServiceSpec) -> Result<ServiceSpec, SpecError> {
        let mut s = spec.clone();
        if let Some(r) = &self.replicas {
            let n = parse_count("--replicas", r)?;
            s = scale(&s, n).map_err(|mut e| {
                e.field = "--replicas".into();
                e.value = r.clone();
                e
            })?;
        }
        for k in &self.label_rm {
            s.labels.remove(&key_of("--label-rm", k)?);
        }
        for l in &self.label_add {
            let (k, v) = parse_label("--label-add", l)?;
            s.labels.insert(k, v);
        }

        let t = &mut s.task;
        if self.force {
            t.force_update += 1;
        }
        let c = &mut t.container;
        if let Some(i) = &self.image {
            c.image = i.trim().to_string();
        }
        if let Some(a) = &self.args {
            c.args = a.split_whitespace().map(str::to_string).collect();
        }
        if let Some(e) = &self.entrypoint {
            c.command = e.split_whitespace().map(str::to_string).collect();
        }
        for k in &self.env_rm {
            let k = key_of("--env-rm", k)?;
            c.env
                .retain(|e| e.split_once('=').map(|(n, _)| n).unwrap_or(e) != k);
        }
        for e in &self.env_add {
            let k = key_of("--env-add", e)?;
            c.env
                .retain(|x| x.split_once('=').map(|(n, _)| n).unwrap_or(x) != k);
            c.env.push(e.clone());
        }
        for k in &self.container_label_rm {
            c.labels.remove(&key_of("--container-label-rm", k)?);
        }
        for l in &self.container_label_add {
            let (k, v) = parse_label("--container-label-add", l)?;
            c.labels.insert(k, v);
        }
        for target in &self.mount_rm {
            let target = target.trim();
            if target.is_empty() {
                return Err(SpecError::new(
                    "--mount-rm",
                    target,
                    "target path is empty",
                    "write --mount-rm /path/in/container",
                ));
            }
            c.mounts.retain(|m| m.target != target);
        }
        for m in &self.mount_add {
            let m = Mount::parse(m).map_err(as_flag("--mount-add"))?;
            c.mounts.retain(|x| x.target != m.target);
            c.mounts.push(m);
        }
        for g in &self.group_rm {
            let g = parse_group("--group-rm", g)?;
            c.groups.retain(|x| *x != g);
        }
        for g in &self.group_add {
            let g = parse_group("--group-add", g)?;
            if !c.groups.contains(&g) {
                c.groups.push(g);
            }
        }
        for h in &self.host_rm {
            let name = host_name(h);
            if name.is_empty() {
                return Err(SpecError::new(
                    "--host-rm",
                    h,
                    "the host name is empty",
                    "write --host-rm HOST (or HOST:IP)",
                ));
            }
            c.hosts.retain(|x| host_name(x) != name);
        }
        for h in &self.host_add {
            let h = parse_host("--host-add", h)?;
            c.hosts.retain(|x| host_name(x) != host_name(&h));
            c.hosts.push(h);
        }
        self.dns.apply(&mut t.container.dns)?;
        self.container.apply(t)?;

        let p = &mut t.placement;
        for v in &self.constraint_rm {
            let gone = Constraint::parse(v).map_err(as_flag("--constraint-rm"))?;
            p.constraints.retain(|x| *x != gone);
        }
        for v in &self.constraint_add {
            let c = Constraint::parse(v).map_err(as_flag("--constraint-add"))?;
            if !p.constraints.contains(&c) {
                p.constraints.push(c);
            }
        }
        for v in &self.placement_pref_rm {
            let gone = PlacementPreference::parse(v).map_err(as_flag("--placement-pref-rm"))?;
            p.preferences.retain(|x| *x != gone);
        }
        for v in &self.placement_pref_add {
            let pref = PlacementPreference::parse(v).map_err(as_flag("--placement-pref-add"))?;
            p.preferences.push(pref);
        }
        if let Some(m) = &self.max_replicas_per_node {
            p.max_replicas_per_node = parse_count("--max-replicas-per-node", m)?;
        }

        set_resources(
            &mut t.resources,
            [
                &self.reserve_cpu,
                &self.reserve_memory,
                &self.limit_cpu,
                &self.limit_memory,
            ],
        )?;
        set_restart_policy(
            &mut t.restart_policy,
            [
                &self.restart_condition,
                &self.restart_delay,
                &self.restart_max_attempts,
                &self.restart_window,
            ],
        )?;

        for v in &self.publish_rm {
            let (target, protocol) = port_to_remove(v)?;
            s.endpoint
                .ports
                .retain(|p| !(p.target == target && p.protocol == protocol));
        }
        for v in &self.publish_add {
            let port = PortConfig::parse(v).map_err(as_flag("--publish-add"))?;
            s.endpoint
                .ports
                .retain(|p| !(p.target == port.target && p.protocol == port.protocol));
            s.endpoint.ports.push(port);
        }

        s.update_config = self.update.apply("--update", s.update_config)?;
        s.rollback_config = self.rollback.apply("--rollback", s.rollback_config)?;
        s.validate()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mount::MountType;
    use crate::restart::RestartCondition;
    use crate::service::{FailureAction, ServiceMode, UpdateOrder};
    use crate::service_flags::ServiceFlags;

    fn web() -> ServiceSpec {
        ServiceFlags {
            name: "web".into(),
            image: "swarm-test/web:v1".into(),
            replicas: Some("3".into()),
            env: vec!["A=1".into(), "B=2".into()],
            labels: vec!["tier=front".into()],
            container_labels: vec!["team=edge".into()],
            constraints: vec!["node.role==worker".into()],
            mounts: vec!["type=tmpfs,target=/run".into()],
            publish: vec!["8080:80".into(), "5353:53/udp".into()],
            ..Default::default()
        }
        .into_spec()
        .unwrap()
    }

    #[test]
    fn no_flags_change_nothing() {
        let s = web();
        assert!(UpdateFlags::default().is_empty());
        assert_eq!(UpdateFlags::default().apply(&s).unwrap(), s);
    }

    #[test]
    fn each_flag_edits_its_field() {
        let s = web();
        let f = UpdateFlags {
            image: Some("swarm-test/web:v2".into()),
            args: Some("--port 9090".into()),
            replicas: Some("5".into()),
            env_add: vec!["A=9".into(), "C=3".into()],
            env_rm: vec!["B".into()],
            label_add: vec!["owner=ops".into()],
            label_rm: vec!["tier".into()],
            container_label_add: vec!["x=y".into()],
            container_label_rm: vec!["team".into()],
            constraint_add: vec!["node.labels.zone==a".into()],
            constraint_rm: vec!["node.role == worker".into()],
            mount_add: vec!["type=volume,source=data,target=/data".into()],
            mount_rm: vec!["/run".into()],
            publish_add: vec!["9090:90".into()],
            publish_rm: vec!["80".into()],
            reserve_memory: Some("64M".into()),
            limit_cpu: Some("1.5".into()),
            restart_condition: Some("none".into()),
            restart_max_attempts: Some("4".into()),
            force: true,
            ..Default::default()
        };
        let n = f.apply(&s).unwrap();
        let c = &n.task.container;
        assert_eq!(c.image, "swarm-test/web:v2");
        assert_eq!(c.args, vec!["--port", "9090"]);
        assert_eq!(n.mode, ServiceMode::Replicated { replicas: 5 });
        assert_eq!(c.env, vec!["A=9", "C=3"]);
        assert_eq!(n.labels.get("owner").map(String::as_str), Some("ops"));
        assert!(!n.labels.contains_key("tier"));
        assert_eq!(c.labels.get("x").map(String::as_str), Some("y"));
        assert!(!c.labels.contains_key("team"));
        let cons: Vec<String> = n
            .task
            .placement
            .constraints
            .iter()
            .map(|c| c.value.clone())
            .collect();
        assert_eq!(cons, vec!["a"]);
        assert_eq!(c.mounts.len(), 1);
        assert_eq!(c.mounts[0].kind, MountType::Volume);
        let ports: Vec<u16> = n.endpoint.ports.iter().map(|p| p.target).collect();
        assert_eq!(ports, vec![53, 90], "udp 53 kept, tcp 80 removed");
        assert_eq!(n.task.resources.reservations.memory_bytes, 64 << 20);
        assert_eq!(n.task.resources.limits.nano_cpus, 1_500_000_000);
        assert_eq!(n.task.restart_policy.condition, RestartCondition::None);
        assert_eq!(n.task.restart_policy.max_attempts, Some(4));
        assert_eq!(n.task.force_update, s.task.force_update + 1);
        assert_eq!(n.update_config, None, "no --update-* flag given");
    }

    #[test]
    fn update_and_rollback_configs() {
        let f = UpdateFlags {
            update: UpdateConfigFlags {
                parallelism: Some("2".into()),
                delay: Some("1m30s".into()),
                monitor: Some("10s".into()),
                failure_action: Some("rollback".into()),
                max_failure_ratio: Some("0.25".into()),
                order: Some("start-first".into()),
            },
            rollback: UpdateConfigFlags {
                parallelism: Some("0".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let n = f.apply(&web()).unwrap();
        let u = n.update_config.unwrap();
        assert_eq!(u.parallelism, 2);
        assert_eq!(u.delay_ms, 90_000);
        assert_eq!(u.monitor_ms, 10_000);
        assert_eq!(u.failure_action, FailureAction::Rollback);
        assert_eq!(u.max_failure_ratio, 0.25);
        assert_eq!(u.order, UpdateOrder::StartFirst);
        let r = n.rollback_config.unwrap();
        assert_eq!(r.parallelism, 0);
        assert_eq!(
            r.monitor_ms, 5_000,
            "untouched fields keep docker's defaults"
        );
        // A later update keeps what an earlier one set.
        let g = UpdateFlags {
            update: UpdateConfigFlags {
                delay: Some("5s".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let m = g.apply(&n).unwrap().update_config.unwrap();
        assert_eq!((m.parallelism, m.delay_ms), (2, 5_000));
    }

    #[test]
    fn errors_name_their_flag_and_value() {
        type Change = Box<dyn Fn(&mut UpdateFlags)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|f| f.replicas = Some("x".into())),
                "--replicas",
                "x",
            ),
            (Box::new(|f| f.env_rm = vec!["".into()]), "--env-rm", ""),
            (
                Box::new(|f| f.env_add = vec!["=1".into()]),
                "--env-add",
                "=1",
            ),
            (
                Box::new(|f| f.label_add = vec!["=v".into()]),
                "--label-add",
                "=v",
            ),
            (
                Box::new(|f| f.constraint_add = vec!["zone=a".into()]),
                "--constraint-add",
                "zone=a",
            ),
            (
                Box::new(|f| f.mount_add = vec!["type=nfs,target=/x".into()]),
                "--mount-add",
                "type=nfs,target=/x",
            ),
            (
                Box::new(|f| f.publish_add = vec!["80:".into()]),
                "--publish-add",
                "80:",
            ),
            (
                Box::new(|f| f.publish_rm = vec!["http".into()]),
                "--publish-rm",
                "http",
            ),
            (
                Box::new(|f| f.reserve_cpu = Some("lots".into())),
                "--reserve-cpu",
                "lots",
            ),
            (
                Box::new(|f| f.restart_window = Some("soon".into())),
                "--restart-window",
                "soon",
            ),
            (
                Box::new(|f| f.update.delay = Some("10".into())),
                "--update-delay",
                "10",
            ),
            (
                Box::new(|f| f.update.failure_action = Some("explode".into())),
                "--update-failure-action",
                "explode",
            ),
            (
                Box::new(|f| f.rollback.failure_action = Some("rollback".into())),
                "--rollback-failure-action",
                "rollback",
            ),
            (
                Box::new(|f| f.update.max_failure_ratio = Some("1.5".into())),
                "--update-max-failure-ratio",
                "1.5",
            ),
            (
                Box::new(|f| f.rollback.order = Some("random".into())),
                "--rollback-order",
                "random",
            ),
            (
                Box::new(|f| f.rollback.parallelism = Some("-1".into())),
                "--rollback-parallelism",
                "-1",
            ),
            (Box::new(|f| f.image = Some("".into())), "image", ""),
        ];
        for (change, field, value) in cases {
            let mut f = UpdateFlags::default();
            change(&mut f);
            let e = f.apply(&web()).unwrap_err();
            assert_eq!((e.field.as_str(), e.value.as_str()), (field, value), "{e}");
            assert!(!e.fix.is_empty(), "{e}");
        }
    }

    #[test]
    fn replicas_of_a_global_service_are_refused() {
        let mut g = web();
        g.mode = ServiceMode::Global;
        let f = UpdateFlags {
            replicas: Some("3".into()),
            ..Default::default()
        };
        let e = f.apply(&g).unwrap_err();
        assert_eq!(e.field, "--replicas");
        assert!(e.reason.contains("global service"), "{e}");
    }
}
