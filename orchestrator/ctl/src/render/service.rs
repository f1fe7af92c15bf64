//! `service ls` and `service inspect --pretty` as text.

use std::fmt::Write as _;

use swarm_api::publish::{PortConfig, PublishMode};
use swarm_api::resources::{format_cpu, format_memory};
use swarm_api::service::{Service, ServiceMode, ServiceSpec, UpdateConfig};
use swarm_api::service_api::ServiceListEntry;

use crate::table::table;
use crate::time::human_duration;

/// Ids are shown with 12 characters, as Docker does.
pub(crate) fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

/// `replicated` or `global`.
pub fn mode_text(mode: &ServiceMode) -> &'static str {
    match mode {
        ServiceMode::Replicated { .. } => "replicated",
        ServiceMode::Global => "global",
    }
}

/// The REPLICAS column: `running/desired`, plus `(max N per node)` when set.
pub fn replicas_text(e: &ServiceListEntry) -> String {
    let max = e.service.spec.task.placement.max_replicas_per_node;
    if max > 0 {
        format!("{}/{} (max {max} per node)", e.running, e.desired)
    } else {
        format!("{}/{}", e.running, e.desired)
    }
}

/// Ports in Docker's short form (`*:8080->80/tcp`), comma-separated, filtered by mode.
pub fn ports_text(ports: &[PortConfig], mode: PublishMode) -> String {
    ports
        .iter()
        .filter(|p| p.mode == mode)
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `service ls` as a table: ID NAME MODE REPLICAS IMAGE PORTS (sorted by name).
pub fn service_table(entries: &[ServiceListEntry]) -> String {
    let mut sorted: Vec<&ServiceListEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.service.spec.name.cmp(&b.service.spec.name));
    let rows: Vec<Vec<String>> = sorted
        .into_iter()
        .map(|e| {
            let s = &e.service.spec;
            vec![
                short_id(&e.service.id),
                s.name.clone(),
                mode_text(&s.mode).to_string(),
                replicas_text(e),
                s.task.container.image.clone(),
                ports_text(&s.endpoint.ports, PublishMode::Ingress),
            ]
        })
        .collect();
    table(&["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"], &rows)
}

fn ms_text(ms: u64) -> String {
    if ms == 0 {
        "0s".into()
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Docker's `Healthcheck:` block (`Interval = 10s`, ..., one `Test = ` line per word).
fn health_text(out: &mut String, h: &swarm_api::healthcheck::HealthConfig) {
    let _ = writeln!(
        out,
        " Healthcheck:\n  Interval = {}\n  Retries = {}\n  StartPeriod =\t{}\n  Timeout =\t{}",
        ms_text(h.interval_ms),
        h.retries,
        ms_text(h.start_period_ms),
        ms_text(h.timeout_ms)
    );
    if h.start_interval_ms > 0 {
        let _ = writeln!(out, "  StartInterval =\t{}", ms_text(h.start_interval_ms));
    }
    if !h.test.is_empty() {
        let _ = writeln!(out, "  Tests:");
        for t in &h.test {
            let _ = writeln!(out, "\t Test = {t}");
        }
    }
}

fn config_text(out: &mut String, title: &str, c: &UpdateConfig) {
    let _ = writeln!(out, "{title}:");
    let _ = writeln!(out, " Parallelism:\t{}", c.parallelism);
    if c.delay_ms > 0 {
        let _ = writeln!(out, " Delay:\t\t{}", ms_text(c.delay_ms));
    }
    let action = serde_json::to_value(c.failure_action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let order = serde_json::to_value(c.order)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(out, " On failure:\t{action}");
    let _ = writeln!(out, " Monitoring Period: {}", ms_text(c.monitor_ms));
    let _ = writeln!(out, " Max failure ratio: {}", c.max_failure_ratio);
    let _ = writeln!(out, " Update order:      {order}");
}

fn spec_text(out: &mut String, s: &ServiceSpec) {
    let _ = writeln!(out, "Name:\t\t{}", s.name);
    if !s.labels.is_empty() {
        let _ = writeln!(out, "Labels:");
        for (k, v) in &s.labels {
            let _ = writeln!(out, " {k}={v}");
        }
    }
    match s.mode {
        ServiceMode::Replicated { replicas } => {
            let _ = writeln!(out, "Service Mode:\tReplicated\n Replicas:\t{replicas}");
        }
        ServiceMode::Global => {
            let _ = writeln!(out, "Service Mode:\tGlobal");
        }
    }
    let p = &s.task.placement;
    if !p.constraints.is_empty() || !p.preferences.is_empty() || p.max_replicas_per_node > 0 {
        let _ = writeln!(out, "Placement:");
        if !p.constraints.is_empty() {
            let c: Vec<String> = p.constraints.iter().map(|c| c.to_string()).collect();
            let _ = writeln!(out, " Constraints:\t[{}]", c.join(" "));
        }
        if !p.preferences.is_empty() {
            let c: Vec<String> = p.preferences.iter().map(|c| c.to_string()).collect();
            let _ = writeln!(out, " Preferences:\t[{}]", c.join(" "));
        }
        if p.max_replicas_per_node > 0 {
            let _ = writeln!(out, " Max Replicas Per Node:\t{}", p.max_replicas_per_node);
        }
    }
    if let Some(u) = &s.update_config {
        config_text(out, "UpdateConfig", u);
    }
    if let Some(r) = &s.rollback_config {
        config_text(out, "RollbackConfig", r);
    }
    let c = &s.task.container;
    let _ = writeln!(out, "ContainerSpec:\n Image:\t\t{}", c.image);
    if !c.command.is_empty() {
        let _ = writeln!(out, " Command:\t{}", c.command.join(" "));
    }
    if !c.args.is_empty() {
        let _ = writeln!(out, " Args:\t\t{}", c.args.join(" "));
    }
    if !c.env.is_empty() {
        let _ = writeln!(out, " Env:\t\t{}", c.env.join(" "));
    }
    // As Docker's template: Dir, Hostname, User, Groups, Hosts, Read Only, TTY.
    for (name, value) in [
        (" Dir:\t\t", &c.dir),
        (" Hostname:\t", &c.hostname),
        (" User:\t\t", &c.user),
    ] {
        if !value.is_empty() {
            let _ = writeln!(out, "{name}{value}");
        }
    }
    if !c.groups.is_empty() {
        let _ = writeln!(out, " Groups:\t{}", c.groups.join(" "));
    }
    if !c.hosts.is_empty() {
        let _ = writeln!(out, " Hosts:\t\t{}", c.hosts.join(" "));
    }
    if c.read_only {
        let _ = writeln!(out, " Read Only:\ttrue");
    }
    if c.tty {
        let _ = writeln!(out, " TTY:\t\ttrue");
    }
    if let Some(g) = c.stop_grace_period_ms {
        let _ = writeln!(out, " StopGracePeriod: {}", ms_text(g));
    }
    if let Some(i) = c.init {
        let _ = writeln!(out, " Init:		{i}");
    }
    if !c.stop_signal.is_empty() {
        let _ = writeln!(out, " StopSignal:	{}", c.stop_signal);
    }
    if let Some(h) = &c.healthcheck {
        health_text(out, h);
    }
    for (k, v) in &c.labels {
        let _ = writeln!(out, " Label:\t\t{k}={v}");
    }
    if !c.secrets.is_empty() {
        let _ = writeln!(out, "Secrets:");
        for r in &c.secrets {
            let path = swarm_api::file_ref::FileKind::Secret.path(&r.file.name);
            let _ = writeln!(out, " Target:\t{path}\n  Source:\t{}", r.secret_name);
        }
    }
    if !c.configs.is_empty() {
        let _ = writeln!(out, "Configs:");
        for r in &c.configs {
            let path = swarm_api::file_ref::FileKind::Config.path(&r.file.name);
            let _ = writeln!(out, " Target:\t{path}\n  Source:\t{}", r.config_name);
        }
    }
    if !c.mounts.is_empty() {
        let _ = writeln!(out, "Mounts:");
        for m in &c.mounts {
            let _ = writeln!(
                out,
                " Target:\t{}\n  Source:\t{}\n  ReadOnly:\t{}\n  Type:\t\t{}",
                m.target,
                m.source.as_deref().unwrap_or(""),
                m.readonly,
                serde_json::to_value(m.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            );
        }
    }
    let r = &s.task.resources;
    if let Some(d) = &s.task.log_driver {
        let _ = writeln!(out, "Log Driver:\n Name:\t\t{}", d.name);
        if !d.options.is_empty() {
            let _ = writeln!(out, " LogOpts:");
            for (k, v) in &d.options {
                let _ = writeln!(out, "  {k}:\t{v}");
            }
        }
    }
    if !r.reservations.is_zero() || !r.limits.is_zero() {
        let _ = writeln!(out, "Resources:");
        for (title, x) in [("Reservations", r.reservations), ("Limits", r.limits)] {
            if x.is_zero() {
                continue;
            }
            let _ = writeln!(out, " {title}:");
            if x.nano_cpus > 0 {
                let _ = writeln!(out, "  CPU:\t\t{}", format_cpu(x.nano_cpus));
            }
            if x.memory_bytes > 0 {
                let _ = writeln!(out, "  Memory:\t{}", format_memory(x.memory_bytes));
            }
        }
    }
    let rp = &s.task.restart_policy;
    let cond = serde_json::to_value(rp.condition)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "RestartPolicy:\n Condition:\t{cond}\n Delay:\t\t{}\n MaxAttempts:\t{}\n Window:\t{}",
        ms_text(rp.delay_ms),
        rp.max_attempts.unwrap_or(0),
        ms_text(rp.window_ms)
    );
    if !s.endpoint.ports.is_empty() {
        let _ = writeln!(out, "Ports:");
        for p in &s.endpoint.ports {
            let mode = match p.mode {
                PublishMode::Ingress => "ingress",
                PublishMode::Host => "host",
            };
            let published = p.published.map(|x| x.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                " PublishedPort = {published}\n  Protocol = {}\n  TargetPort = {}\n  PublishMode = {mode}",
                p.protocol, p.target
            );
        }
    }
}

/// `service inspect --pretty` (Docker's layout, abridged), with times relative to `now_ms`.
pub fn service_pretty(v: &Service, now_ms: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nID:\t\t{}", v.id);
    spec_text(&mut out, &v.spec);
    if let Some(u) = &v.update_status {
        let _ = writeln!(
            out,
            "UpdateStatus:\n State:\t\t{}\n Started:\t{} ago",
            u.state.as_str(),
            human_duration(now_ms.saturating_sub(u.started_at_ms))
        );
        if let Some(done) = u.completed_at_ms {
            let _ = writeln!(
                out,
                " Completed:\t{} ago",
                human_duration(now_ms.saturating_sub(done))
            );
        }
        if !u.message.is_empty() {
            let _ = writeln!(out, " Message:\t{}", u.message);
        }
    }
    let _ = writeln!(
        out,
        "CreatedAt:\t{} ago\nUpdatedAt:\t{} ago\nVersion:\t{}",
        human_duration(now_ms.saturating_sub(v.created_at_ms)),
        human_duration(now_ms.saturating_sub(v.updated_at_ms)),
        v.version
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_args::test_cli::create_spec;

    /// Service `name` of image swarm-test/web:v1 with the `service create` flags `flags`.
    pub(crate) fn service(name: &str, flags: &[&str]) -> Service {
        let mut args = vec!["--name", name];
        args.extend_from_slice(flags);
        args.push("swarm-test/web:v1");
        let spec = create_spec(&args);
        let mut s = swarm_testkit::service(&format!("{name}0123456789abcdef"), spec);
        s.version = 4;
        (s.created_at_ms, s.updated_at_ms) = (1_000, 61_000);
        s
    }

    #[test]
    fn ls_shows_running_over_desired() {
        let web = ServiceListEntry {
            service: service(
                "web",
                &[
                    "--replicas",
                    "3",
                    "-p",
                    "8080:80",
                    "-p",
                    "published=9090,target=90,mode=host",
                ],
            ),
            running: 2,
            desired: 3,
        };
        let agent = ServiceListEntry {
            service: service("agent", &["--mode", "global"]),
            running: 4,
            desired: 4,
        };
        let capped = ServiceListEntry {
            service: service("db", &["--replicas", "3", "--max-replicas-per-node", "1"]),
            running: 1,
            desired: 3,
        };
        let t = service_table(&[web, agent, capped]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "ID             NAME    MODE         REPLICAS               IMAGE               PORTS"
        );
        assert_eq!(
            lines[1],
            "agent0123456   agent   global       4/4                    swarm-test/web:v1"
        );
        assert_eq!(
            lines[2],
            "db0123456789   db      replicated   1/3 (max 1 per node)   swarm-test/web:v1"
        );
        assert_eq!(
            lines[3],
            "web012345678   web     replicated   2/3                    swarm-test/web:v1   *:8080->80/tcp"
        );
    }

    #[test]
    fn pretty_inspect_names_the_settings() {
        let mut s = service(
            "web",
            &[
                "--replicas",
                "2",
                "--env",
                "A=1",
                "--constraint",
                "node.role==worker",
                "--reserve-memory",
                "64M",
                "--update-delay",
                "10s",
                "--user",
                "1000",
                "--workdir",
                "/srv",
                "--read-only",
                "--log-driver",
                "json-file",
                "--log-opt",
                "max-size=1m",
                "--stop-grace-period",
                "2s",
                "--init",
                "--stop-signal",
                "SIGINT",
                "--health-cmd",
                "nc -z localhost 80",
                "--health-interval",
                "5s",
                "--health-retries",
                "3",
                "--host",
                "db:10.0.0.5",
            ],
        );
        s.update_status = Some(swarm_api::service::UpdateStatus {
            state: swarm_api::service::UpdateState::Paused,
            started_at_ms: 1_000,
            completed_at_ms: None,
            message: "update paused due to failure".into(),
        });
        let t = service_pretty(&s, 121_000);
        for want in [
            "Name:\t\tweb",
            " Replicas:\t2",
            "Constraints:\t[node.role==worker]",
            " Delay:\t\t10s",
            " Image:\t\tswarm-test/web:v1",
            " Env:\t\tA=1",
            "  Memory:\t64MiB",
            " State:\t\tpaused",
            " Message:\tupdate paused due to failure",
            "CreatedAt:\t2 minutes ago",
            "UpdatedAt:\tAbout a minute ago",
            " Dir:\t\t/srv",
            " User:\t\t1000",
            " Hosts:\t\tdb:10.0.0.5",
            " Read Only:\ttrue",
            " StopGracePeriod: 2s",
            " Init:\t\ttrue",
            " StopSignal:\tSIGINT",
            " Healthcheck:\n  Interval = 5s\n  Retries = 3\n  StartPeriod =\t0s\n  Timeout =\t0s\n  Tests:\n\t Test = CMD-SHELL\n\t Test = nc -z localhost 80",
            "Log Driver:\n Name:\t\tjson-file",
            "  max-size:\t1m",
        ] {
            assert!(t.contains(want), "missing {want:?} in\n{t}");
        }
    }
}
