//! `service update`: the parsed flags ([`UpdateArgs`]) applied to the stored [`ServiceSpec`]
//! (pure); the values only `service update` takes are checked in [`crate::update_values`].
//!
//! [`UpdateArgs::apply`] takes the spec the client read and returns the edited, validated
//! spec (or a [`SpecError`] naming the flag, the value and the fix); the client sends it back
//! with the version it read. Removals run before additions, as in Docker, so
//! `--env-rm A --env-add A=2` replaces `A`.

use swarm_api::container_values::host_name;
use swarm_api::scale::scale;
use swarm_api::service::ServiceSpec;
use swarm_api::spec_error::SpecError;

use crate::checked::{value, values};
use crate::service_args::UpdateArgs;

fn env_name(e: &str) -> &str {
    e.split_once('=').map(|(n, _)| n).unwrap_or(e)
}

impl UpdateArgs {
    /// Applies the flags to `spec` (removals before additions) and validates the result.
    /// Networks, secrets and configs are the caller's (they need the manager).
    pub fn apply(&self, spec: &ServiceSpec) -> Result<ServiceSpec, SpecError> {
        let f = &self.edit;
        let mut s = spec.clone();
        if let Some(n) = value(&f.replicas) {
            s = scale(&s, n).map_err(|mut e| {
                e.field = "--replicas".into();
                e.value = n.to_string();
                e
            })?;
        }
        for k in values(&f.label_rm) {
            s.labels.remove(&k);
        }
        s.labels.extend(values(&f.label_add));

        let t = &mut s.task;
        if f.force {
            t.force_update += 1;
        }
        let c = &mut t.container;
        if let Some(i) = &f.image {
            c.image = i.trim().to_string();
        }
        if let Some(a) = &f.args {
            c.args = a.split_whitespace().map(str::to_string).collect();
        }
        if let Some(e) = &f.entrypoint {
            c.command = e.split_whitespace().map(str::to_string).collect();
        }
        for k in values(&f.env_rm) {
            c.env.retain(|e| env_name(e) != k);
        }
        for (k, e) in values(&f.env_add) {
            c.env.retain(|x| env_name(x) != k);
            c.env.push(e);
        }
        for k in values(&f.container_label_rm) {
            c.labels.remove(&k);
        }
        c.labels.extend(values(&f.container_label_add));
        let gone = values(&f.mount_rm);
        c.mounts.retain(|m| !gone.contains(&m.target));
        for m in values(&f.mount_add) {
            c.mounts.retain(|x| x.target != m.target);
            c.mounts.push(m);
        }
        let gone = values(&f.group_rm);
        c.groups.retain(|x| !gone.contains(x));
        for g in values(&f.group_add) {
            if !c.groups.contains(&g) {
                c.groups.push(g);
            }
        }
        let gone = values(&f.host_rm);
        c.hosts.retain(|x| !gone.iter().any(|n| n == host_name(x)));
        for h in values(&f.host_add) {
            c.hosts.retain(|x| host_name(x) != host_name(&h));
            c.hosts.push(h);
        }
        self.dns.apply(&mut t.container.dns);
        self.container.apply(t)?;

        let p = &mut t.placement;
        let gone = values(&f.constraint_rm);
        p.constraints.retain(|x| !gone.contains(x));
        for c in values(&f.constraint_add) {
            if !p.constraints.contains(&c) {
                p.constraints.push(c);
            }
        }
        let gone = values(&f.placement_pref_rm);
        p.preferences.retain(|x| !gone.contains(x));
        p.preferences.extend(values(&f.placement_pref_add));
        if let Some(m) = value(&f.max_replicas_per_node) {
            p.max_replicas_per_node = m;
        }
        self.resources.apply(&mut t.resources);
        self.restart.apply(&mut t.restart_policy);

        let ports = &mut s.endpoint.ports;
        let gone = values(&f.publish_rm);
        ports.retain(|p| !gone.contains(&(p.target, p.protocol)));
        for port in values(&f.publish_add) {
            ports.retain(|p| !(p.target == port.target && p.protocol == port.protocol));
            ports.push(port);
        }

        s.update_config = self.update.apply(s.update_config);
        s.rollback_config = self.rollback_config.apply(s.rollback_config);
        s.validate()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use swarm_api::mount::MountType;
    use swarm_api::restart::RestartCondition;
    use swarm_api::service::{FailureAction, ServiceMode, UpdateOrder};

    use crate::service_args::test_cli::{create_spec, update_args, update_error};

    fn web() -> ServiceSpec {
        create_spec(&[
            "--name",
            "web",
            "--replicas",
            "3",
            "--env",
            "A=1",
            "--env",
            "B=2",
            "--label",
            "tier=front",
            "--container-label",
            "team=edge",
            "--constraint",
            "node.role==worker",
            "--mount",
            "type=tmpfs,target=/run",
            "--publish",
            "8080:80",
            "--publish",
            "5353:53/udp",
            "swarm-test/web:v1",
        ])
    }

    use super::*;

    #[test]
    fn no_flags_change_nothing() {
        let s = web();
        let u = update_args(&["web"]);
        assert!(u.is_empty());
        assert_eq!(u.apply(&s).unwrap(), s);
        assert!(!update_args(&["--force", "web"]).is_empty());
    }

    #[test]
    fn each_flag_edits_its_field() {
        let s = web();
        let n = update_args(&[
            "--image",
            "swarm-test/web:v2",
            "--args",
            "--port 9090",
            "--replicas",
            "5",
            "--env-add",
            "A=9",
            "--env-add",
            "C=3",
            "--env-rm",
            "B",
            "--label-add",
            "owner=ops",
            "--label-rm",
            "tier",
            "--container-label-add",
            "x=y",
            "--container-label-rm",
            "team",
            "--constraint-add",
            "node.labels.zone==a",
            "--constraint-rm",
            "node.role == worker",
            "--mount-add",
            "type=volume,source=data,target=/data",
            "--mount-rm",
            "/run",
            "--publish-add",
            "9090:90",
            "--publish-rm",
            "80",
            "--reserve-memory",
            "64M",
            "--limit-cpu",
            "1.5",
            "--restart-condition",
            "none",
            "--restart-max-attempts",
            "4",
            "--force",
            "web",
        ])
        .apply(&s)
        .unwrap();
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
        let args = [crate::policy_args::tests::EVERY_POLICY_FLAG, &["web"]].concat();
        let n = update_args(&args).apply(&web()).unwrap();
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
        let m = update_args(&["--update-delay", "5s", "web"])
            .apply(&n)
            .unwrap()
            .update_config
            .unwrap();
        assert_eq!((m.parallelism, m.delay_ms), (2, 5_000));
    }

    #[test]
    fn errors_name_their_flag_and_value() {
        let cases: &[(&[&str], &str, &str)] = &[
            (&["--replicas", "x"], "--replicas", "x"),
            (&["--env-rm="], "--env-rm", ""),
            (&["--env-add", "=1"], "--env-add", "=1"),
            (&["--label-add", "=v"], "--label-add", "=v"),
            (
                &["--constraint-add", "zone=a"],
                "--constraint-add",
                "zone=a",
            ),
            (
                &["--mount-add", "type=nfs,target=/x"],
                "--mount-add",
                "type=nfs,target=/x",
            ),
            (&["--publish-add", "80:"], "--publish-add", "80:"),
            (&["--publish-rm", "http"], "--publish-rm", "http"),
            (&["--reserve-cpu", "lots"], "--reserve-cpu", "lots"),
            (&["--restart-window", "soon"], "--restart-window", "soon"),
            (&["--update-delay", "10"], "--update-delay", "10"),
            (
                &["--update-failure-action", "explode"],
                "--update-failure-action",
                "explode",
            ),
            (
                &["--rollback-failure-action", "rollback"],
                "--rollback-failure-action",
                "rollback",
            ),
            (
                &["--update-max-failure-ratio", "1.5"],
                "--update-max-failure-ratio",
                "1.5",
            ),
            (
                &["--rollback-order", "random"],
                "--rollback-order",
                "random",
            ),
            (
                &["--rollback-parallelism=-1"],
                "--rollback-parallelism",
                "-1",
            ),
        ];
        for (args, field, value) in cases {
            let mut all = args.to_vec();
            all.push("web");
            let e = update_error(&all);
            assert!(e.contains(&format!("invalid {field} {value:?}")), "{e}");
            assert!(e.contains("fix:"), "{e}");
        }
        // A value the spec refuses as a whole.
        let e = update_args(&["--image=", "web"]).apply(&web()).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("image", ""), "{e}");
        assert!(!e.fix.is_empty(), "{e}");
    }

    #[test]
    fn limit_pids_is_set_changed_and_checked() {
        let s = create_spec(&["--name", "web", "--limit-pids", "64", "img"]);
        assert_eq!(s.task.resources.pids_limit, 64);
        let n = update_args(&["--limit-pids", "0", "web"])
            .apply(&s)
            .unwrap();
        assert_eq!(n.task.resources.pids_limit, 0, "0 = unlimited again");
        let kept = update_args(&["--limit-cpu", "1", "web"]).apply(&s).unwrap();
        assert_eq!(kept.task.resources.pids_limit, 64);
        let e = update_error(&["--limit-pids", "many", "web"]);
        assert!(e.contains("invalid --limit-pids \"many\""), "{e}");
    }

    #[test]
    fn replicas_of_a_global_service_are_refused() {
        let mut g = web();
        g.mode = ServiceMode::Global;
        let e = update_args(&["--replicas", "3", "web"])
            .apply(&g)
            .unwrap_err();
        assert_eq!(e.field, "--replicas");
        assert!(e.reason.contains("global service"), "{e}");
    }
}
