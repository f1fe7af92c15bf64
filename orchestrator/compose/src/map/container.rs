//! A compose service's container settings (`hostname`, `user`, `working_dir`, `read_only`,
//! `tty`, `stop_grace_period`, `stop_signal`, `init`, `cap_add`, `cap_drop`, `logging`) and its
//! rollout policies (`deploy.update_config`, `deploy.rollback_config`) onto a spec, through
//! swarm-api's checks of one value each. A refusal names the docker flag of the setting
//! (`--stop-signal`); the caller turns it into the compose key (`services.web.stop_signal`).

use swarm_api::container_values::{
    log_opts_without_driver, parse_capability, parse_log_driver, parse_workdir,
};
use swarm_api::label::parse_label;
use swarm_api::restart::parse_duration_ms;
use swarm_api::service::{LogDriver, TaskSpec, UpdateConfig};
use swarm_api::signal::parse_signal;
use swarm_api::spec_error::SpecError;
use swarm_api::update_policy::{
    default_update_config, parse_failure_action, parse_failure_ratio, parse_update_order,
};

use crate::model::{Service, Text, UpdateConfig as ComposePolicy};

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.0.as_str())
}

/// Sets the container settings of `svc` on `task`.
pub fn map_container(svc: &Service, task: &mut TaskSpec) -> Result<(), SpecError> {
    let c = &mut task.container;
    if let Some(h) = text(&svc.hostname) {
        c.hostname = h.trim().to_string();
    }
    if let Some(u) = text(&svc.user) {
        c.user = u.trim().to_string();
    }
    if let Some(w) = text(&svc.working_dir) {
        c.dir = parse_workdir("--workdir", w)?;
    }
    if let Some(r) = svc.read_only {
        c.read_only = r;
    }
    if let Some(t) = svc.tty {
        c.tty = t;
    }
    if let Some(g) = text(&svc.stop_grace_period) {
        c.stop_grace_period_ms = Some(parse_duration_ms("--stop-grace-period", g)?);
    }
    if let Some(i) = svc.init {
        c.init = Some(i);
    }
    if let Some(s) = text(&svc.stop_signal) {
        c.stop_signal = parse_signal("--stop-signal", s)?;
    }
    for v in &svc.cap_add {
        let cap = parse_capability("--cap-add", &v.0)?;
        if !c.cap_add.contains(&cap) {
            c.cap_add.push(cap);
        }
    }
    for v in &svc.cap_drop {
        let cap = parse_capability("--cap-drop", &v.0)?;
        c.cap_add.retain(|a| *a != cap);
        if !c.cap_drop.contains(&cap) {
            c.cap_drop.push(cap);
        }
    }
    let Some(l) = &svc.logging else {
        return Ok(());
    };
    let opts: Vec<String> = l
        .options
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_ref().map(|t| t.0.as_str()).unwrap_or("")))
        .collect();
    match text(&l.driver) {
        None if !opts.is_empty() => Err(log_opts_without_driver(&opts)),
        None => Ok(()),
        Some(name) => {
            let mut d = LogDriver {
                name: parse_log_driver("--log-driver", name)?,
                ..Default::default()
            };
            for o in &opts {
                let (k, v) = parse_label("--log-opt", o)?;
                d.options.insert(k, v);
            }
            task.log_driver = Some(d);
            Ok(())
        }
    }
}

/// The policy `deploy.update_config` (`prefix` `--update`) or `deploy.rollback_config`
/// (`--rollback`) asks for: Docker's defaults with the given values; none given: None.
pub fn map_policy(
    prefix: &str,
    p: &Option<ComposePolicy>,
) -> Result<Option<UpdateConfig>, SpecError> {
    let Some(p) = p else {
        return Ok(None);
    };
    let given = [
        &p.delay,
        &p.monitor,
        &p.failure_action,
        &p.max_failure_ratio,
        &p.order,
    ];
    if p.parallelism.is_none() && given.iter().all(|t| t.is_none()) {
        return Ok(None);
    }
    let mut c = default_update_config();
    if let Some(n) = p.parallelism {
        c.parallelism = n;
    }
    if let Some(v) = text(&p.delay) {
        c.delay_ms = parse_duration_ms(&format!("{prefix}-delay"), v)?;
    }
    if let Some(v) = text(&p.monitor) {
        c.monitor_ms = parse_duration_ms(&format!("{prefix}-monitor"), v)?;
    }
    if let Some(v) = text(&p.failure_action) {
        c.failure_action = parse_failure_action(&format!("{prefix}-failure-action"), v)?;
    }
    if let Some(v) = text(&p.max_failure_ratio) {
        c.max_failure_ratio = parse_failure_ratio(&format!("{prefix}-max-failure-ratio"), v)?;
    }
    if let Some(v) = text(&p.order) {
        c.order = parse_update_order(&format!("{prefix}-order"), v)?;
    }
    Ok(Some(c))
}
