//! One compose service → a [`ServiceSpec`]. The values go through swarm-api's checks of one
//! value each (the ones `service create`'s flags use), so a bad value is refused with the same
//! rules as `service create`, and the error names the compose key path instead of the flag.

use std::collections::BTreeMap;

use swarm_api::config::ConfigReference;
use swarm_api::file_ref::FileKind;
use swarm_api::network::{EndpointMode, NetworkAttachmentConfig};
use swarm_api::secret::SecretReference;
use swarm_api::service::ServiceSpec;
use swarm_api::spec_error::SpecError;

use super::network::Networks;
use super::spec::base_spec;
use super::{files, mounts, ports, Context, IMAGE_LABEL, NAMESPACE_LABEL};
use crate::error::ComposeError;
use crate::model::{Command, ComposeFile, EnvFile, EnvFiles, Service, ServiceNetworks, Text};

fn text(t: &Option<Text>) -> Option<String> {
    t.as_ref().map(|t| t.0.clone())
}

fn words(path: &str, c: &Command) -> Result<Vec<String>, ComposeError> {
    match c {
        Command::Exec(v) => Ok(v.iter().map(|t| t.0.clone()).collect()),
        Command::Shell(s) => crate::shell::split(&s.0)
            .map_err(|e| ComposeError::key(path, format!("{:?}: {e}", s.0), "close the quote")),
    }
}

fn refuse(path: String, what: &str, fix: &str) -> ComposeError {
    ComposeError::key(path, format!("{what} is not supported by swarmd yet"), fix)
}

/// The compose key (under `services.NAME`) a `service create` flag came from.
fn key_of_flag(flag: &str) -> String {
    let k = match flag {
        "--publish" => "ports",
        "--mount" => "volumes",
        "--constraint" => "deploy.placement.constraints",
        "--placement-pref" => "deploy.placement.preferences",
        "--max-replicas-per-node" => "deploy.placement.max_replicas_per_node",
        "--reserve-cpu" => "deploy.resources.reservations.cpus",
        "--reserve-memory" => "deploy.resources.reservations.memory",
        "--limit-cpu" => "deploy.resources.limits.cpus",
        "--limit-memory" => "deploy.resources.limits.memory",
        "--restart-condition" => "deploy.restart_policy.condition",
        "--restart-delay" => "deploy.restart_policy.delay",
        "--restart-max-attempts" => "deploy.restart_policy.max_attempts",
        "--restart-window" => "deploy.restart_policy.window",
        "--workdir" => "working_dir",
        "--log-driver" => "logging.driver",
        "--log-opt" => "logging.options",
        "--group" => "group_add",
        "--host" => "extra_hosts",
        "--dns-option" => "dns_opt",
        "--endpoint-mode" => "deploy.endpoint_mode",
        "--mode" => "deploy.mode",
        "--replicas" => "deploy.replicas",
        "--env" => "environment",
        "--name" => "(name)",
        "image" => "image",
        f => {
            for (prefix, key) in [
                ("--update-", "update_config"),
                ("--rollback-", "rollback_config"),
            ] {
                if let Some(rest) = f.strip_prefix(prefix) {
                    return format!("deploy.{key}.{}", rest.replace('-', "_"));
                }
            }
            return f.trim_start_matches("--").replace('-', "_");
        }
    };
    k.to_string()
}

/// The environment: `env_file`s in order, then `environment` over them, sorted by name (as
/// docker sends it); `KEY` without a value takes the variable from the environment.
fn environment(path: &str, svc: &Service, ctx: &Context) -> Result<Vec<String>, ComposeError> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let files: Vec<(String, bool)> = match &svc.env_file {
        None => vec![],
        Some(EnvFiles::One(t)) => vec![(t.0.clone(), true)],
        Some(EnvFiles::Many(v)) => v
            .iter()
            .map(|f| match f {
                EnvFile::Path(t) => (t.0.clone(), true),
                EnvFile::Long { path, required } => (path.0.clone(), required.unwrap_or(true)),
            })
            .collect(),
    };
    for (f, required) in files {
        let p = super::resolve_path(&f, ctx);
        let text = match (ctx.read)(&p) {
            Ok(t) => t,
            Err(_) if !required => continue,
            Err(e) => {
                return Err(ComposeError::File {
                    path: p.display().to_string(),
                    message: format!("{path}.env_file: {e}"),
                    fix: "give the path of a readable file (relative to the compose file), or required: false".into(),
                })
            }
        };
        let vars = swarm_api::container_values::parse_env_file(&f, &text, ctx.lookup)
            .map_err(|e| ComposeError::spec(format!("{path}.env_file"), e))?;
        for kv in vars {
            let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
            env.insert(k.to_string(), v.to_string());
        }
    }
    if let Some(e) = &svc.environment {
        for (k, v) in e.entries(&['=']) {
            match v.or_else(|| (ctx.lookup)(&k)) {
                Some(v) => {
                    env.insert(k, v);
                }
                None => {
                    env.remove(&k);
                }
            }
        }
    }
    Ok(env.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// Maps service `name` of `file`.
pub fn map_service(
    name: &str,
    svc: &Service,
    file: &ComposeFile,
    nets: &Networks,
    ctx: &Context,
) -> Result<ServiceSpec, ComposeError> {
    let path = format!("services.{name}");
    let image = svc.image.as_ref().map(|t| t.0.clone()).unwrap_or_default();
    if image.is_empty() {
        return Err(ComposeError::key(
            format!("{path}.image"),
            "is required (a swarm stack runs images; it builds none)",
            "give image: NAME[:TAG]",
        ));
    }
    let secrets = files::map_refs(
        &format!("{path}.secrets"),
        FileKind::Secret,
        &svc.secrets,
        &file.secrets,
        ctx.stack,
    )?;
    let configs = files::map_refs(
        &format!("{path}.configs"),
        FileKind::Config,
        &svc.configs,
        &file.configs,
        ctx.stack,
    )?;
    let deploy = svc.deploy.clone().unwrap_or_default();
    let res = deploy.resources.clone().unwrap_or_default();
    for (which, set) in [("limits", &res.limits), ("reservations", &res.reservations)] {
        if let Some(s) = set {
            let p = format!("{path}.deploy.resources.{which}");
            if s.pids.is_some() {
                return Err(refuse(
                    format!("{p}.pids"),
                    "a process limit",
                    "remove pids",
                ));
            }
            if s.devices.is_some() || s.generic_resources.is_some() {
                return Err(refuse(
                    p,
                    "devices and generic resources",
                    "remove devices / generic_resources",
                ));
            }
        }
    }
    let env = environment(&path, svc, ctx)?;
    if matches!(
        text(&deploy.mode).as_deref(),
        Some("replicated-job" | "global-job")
    ) {
        return Err(refuse(
            format!("{path}.deploy.mode"),
            "a job mode",
            "use replicated or global",
        ));
    }
    let at = |e: SpecError| ComposeError::spec(format!("{path}.{}", key_of_flag(&e.field)), e);
    let full_name = format!("{}_{name}", ctx.stack);
    let mut spec = base_spec(full_name, &image, env, svc, &deploy).map_err(at)?;
    let c = &mut spec.task.container;
    c.secrets = secrets
        .into_iter()
        .map(|(secret_name, file)| SecretReference {
            secret_id: String::new(),
            secret_name,
            file,
        })
        .collect();
    c.configs = configs
        .into_iter()
        .map(|(config_name, file)| ConfigReference {
            config_id: String::new(),
            config_name,
            file,
        })
        .collect();
    if let Some(h) = &svc.healthcheck {
        c.healthcheck = Some(super::healthcheck::map_healthcheck(
            &format!("{path}.healthcheck"),
            h,
        )?);
    }
    if let Some(cmd) = &svc.entrypoint {
        c.command = words(&format!("{path}.entrypoint"), cmd)?;
    }
    if let Some(cmd) = &svc.command {
        c.args = words(&format!("{path}.command"), cmd)?;
    }
    if let Some(l) = &svc.labels {
        for (k, v) in l.entries(&['=']) {
            c.labels.insert(k, v.unwrap_or_default());
        }
    }
    c.labels.insert(NAMESPACE_LABEL.into(), ctx.stack.into());
    for (i, v) in svc.volumes.iter().enumerate() {
        c.mounts.push(mounts::map_volume(
            &format!("{path}.volumes[{i}]"),
            v,
            file,
            ctx,
        )?);
    }
    if let Some(t) = &svc.tmpfs {
        for v in t.values() {
            c.mounts
                .push(mounts::map_tmpfs(&format!("{path}.tmpfs"), &v)?);
        }
    }
    if let Some(l) = &deploy.labels {
        for (k, v) in l.entries(&['=']) {
            spec.labels.insert(k, v.unwrap_or_default());
        }
    }
    spec.labels.insert(NAMESPACE_LABEL.into(), ctx.stack.into());
    spec.labels.insert(IMAGE_LABEL.into(), image);
    for (i, p) in svc.ports.iter().enumerate() {
        spec.endpoint
            .ports
            .extend(ports::map_port(&format!("{path}.ports[{i}]"), p)?);
    }
    spec.task.networks = networks(&path, name, svc, nets)?;
    if spec.endpoint.mode == EndpointMode::Dnsrr
        && spec
            .endpoint
            .ports
            .iter()
            .any(|p| p.mode == swarm_api::publish::PublishMode::Ingress)
    {
        return Err(ComposeError::key(
            format!("{path}.deploy.endpoint_mode"),
            "dnsrr cannot be used with ports published through the routing mesh",
            "publish with mode: host, or use endpoint_mode: vip",
        ));
    }
    spec.validate().map_err(at)?;
    Ok(spec)
}

/// The service's networks (`default` when it names none), each with the service's short name
/// as an alias so the stack's other services reach it by that name.
fn networks(
    path: &str,
    name: &str,
    svc: &Service,
    nets: &Networks,
) -> Result<Vec<NetworkAttachmentConfig>, ComposeError> {
    let wanted: Vec<(String, Vec<String>)> = match &svc.networks {
        None => vec![("default".to_string(), vec![])],
        Some(ServiceNetworks::List(l)) => l.iter().map(|n| (n.clone(), vec![])).collect(),
        Some(ServiceNetworks::Map(m)) => {
            let mut v = Vec::new();
            for (k, n) in m {
                let n = n.clone().unwrap_or_default();
                if n.ipv4_address.is_some() || n.ipv6_address.is_some() {
                    return Err(ComposeError::key(
                        format!("{path}.networks.{k}"),
                        "fixed addresses (ipv4_address, ipv6_address) are not supported by swarm",
                        "remove the address; tasks get theirs from the network",
                    ));
                }
                v.push((k.clone(), n.aliases.iter().map(|t| t.0.clone()).collect()));
            }
            v
        }
    };
    let mut out = Vec::new();
    for (key, extra) in wanted {
        let Some(real) = nets.real_name(&key) else {
            return Err(ComposeError::key(
                format!("{path}.networks.{key}"),
                format!("network {key:?} is not declared under the top-level networks key"),
                format!("add `networks: {{{key}: {{}}}}` at the top level"),
            ));
        };
        let mut aliases = vec![name.to_string()];
        for a in extra {
            if !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        out.push(NetworkAttachmentConfig {
            target: real.to_string(),
            aliases,
            internal: false,
        });
    }
    Ok(out)
}
