//! From the typed model to what swarmd creates: one [`NetworkSpec`] per stack network used by
//! a service, the external networks that must exist, and one [`ServiceSpec`] per service,
//! with docker's names (`STACK_NAME`) and labels (`com.docker.stack.namespace` on every
//! object, `com.docker.stack.image` on services). Pure: files (`env_file`, secret files) are
//! read through [`Context::read`].
//!
//! Service specs name their networks by the real network name in
//! `task.networks[].target`; the deploy resolves those to ids.
//!
//! Refused (exit 2, naming the key), because swarmd has no field for them yet:
//! `deploy.resources.*.{pids, devices, generic_resources}`, `ports[].host_ip`,
//! `networks.*.ipv4_address|ipv6_address`, `enable_ipv6`, IPAM options and aux addresses,
//! secret/config drivers (see [`files`]).

mod container;
pub mod files;
pub mod healthcheck;
pub mod mounts;
pub mod network;
pub mod ports;
pub mod service;
mod spec;

use std::path::{Component, Path, PathBuf};

use swarm_api::network::NetworkSpec;
use swarm_api::service::ServiceSpec;

use crate::error::ComposeError;
use crate::interpolate::Lookup;
use crate::model::ComposeFile;

/// The label naming a stack object's stack.
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";
/// The label holding a stack service's image as written in the compose file.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";

/// What the mapping needs from outside.
pub struct Context<'a> {
    /// The stack name (`docker stack deploy ... STACK`).
    pub stack: &'a str,
    /// The directory of the first compose file: relative paths start there.
    pub working_dir: &'a Path,
    /// Variables (for `environment: {KEY: null}` and secrets from the environment).
    pub lookup: Lookup<'a>,
    /// Reads a file (env files, secret and config files).
    pub read: &'a dyn Fn(&Path) -> Result<String, String>,
}

/// Everything a deploy creates or checks.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    /// The stack name.
    pub stack: String,
    /// Networks of the stack (created when missing), in name order.
    pub networks: Vec<NetworkSpec>,
    /// Networks declared `external` that services use: they must exist.
    pub external_networks: Vec<String>,
    /// The services, in name order.
    pub services: Vec<ServiceSpec>,
    /// Secrets of the stack (validated; the deploy creates the ones with data).
    pub secrets: Vec<files::PlannedFile>,
    /// Configs of the stack.
    pub configs: Vec<files::PlannedFile>,
}

/// A path of the compose file (`./site`, `../x`, `~/x`, `/abs`) as an absolute, lexically
/// cleaned path: relative ones start in the first file's directory, `~` is `$HOME`.
pub fn resolve_path(source: &str, ctx: &Context) -> PathBuf {
    let p = if let Some(rest) = source.strip_prefix("~/") {
        PathBuf::from((ctx.lookup)("HOME").unwrap_or_else(|| "/".into())).join(rest)
    } else {
        ctx.working_dir.join(source)
    };
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Checks a stack name as docker does (it prefixes every object's name).
pub fn validate_stack_name(stack: &str) -> Result<(), ComposeError> {
    let ok = !stack.is_empty()
        && stack.len() <= 40
        && stack.starts_with(|c: char| c.is_ascii_alphanumeric())
        && stack
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ComposeError::key(
            "STACK",
            format!("{stack:?} is not a valid stack name"),
            "use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 40)",
        ))
    }
}

/// Maps the compose model onto swarmd's specs.
pub fn plan(file: &ComposeFile, ctx: &Context) -> Result<StackPlan, ComposeError> {
    validate_stack_name(ctx.stack)?;
    if file.services.is_empty() {
        return Err(ComposeError::key(
            "services",
            "the compose file has no services",
            "add a services: mapping with at least one service",
        ));
    }
    let nets = network::Networks::new(file, ctx)?;
    let secrets = files::plan_files("secrets", &file.secrets, ctx)?;
    let configs = files::plan_files("configs", &file.configs, ctx)?;
    let mut services = Vec::new();
    let mut used_networks = std::collections::BTreeSet::new();
    for (name, svc) in &file.services {
        let spec = service::map_service(name, svc, file, &nets, ctx)?;
        for n in &spec.task.networks {
            used_networks.insert(n.target.clone());
        }
        services.push(spec);
    }
    published_once(&services)?;
    let (networks, external_networks) = nets.used(&used_networks);
    Ok(StackPlan {
        stack: ctx.stack.to_string(),
        networks,
        external_networks,
        services,
        secrets,
        configs,
    })
}

/// Two services of one stack cannot publish the same port through the routing mesh; found
/// here, before anything is created, instead of by the manager half-way through a deploy.
fn published_once(services: &[ServiceSpec]) -> Result<(), ComposeError> {
    let mut owner = std::collections::BTreeMap::new();
    for s in services {
        for p in &s.endpoint.ports {
            let Some(port) = p.published else { continue };
            if p.mode != swarm_api::publish::PublishMode::Ingress {
                continue;
            }
            if let Some(other) = owner.insert((port, p.protocol), s.name.clone()) {
                let short = |n: &str| {
                    n.split_once('_')
                        .map(|x| x.1.to_string())
                        .unwrap_or_default()
                };
                return Err(ComposeError::key(
                    format!("services.{}.ports", short(&s.name)),
                    format!(
                        "port {port}/{} is published by service {} too",
                        p.protocol,
                        short(&other)
                    ),
                    "publish each port from one service only",
                ));
            }
        }
    }
    Ok(())
}
