//! The cluster engine: which Swarm-mode implementation runs on the hosts, behind one seam.
//!
//! Background: swarm-aws provisions the hosts (stack, inventory, provider) the same way whatever
//! runs on them; what runs is the bundled `swarmd` (the default) or Docker's own Swarm mode in the
//! hosts' Docker engines. Both are driven over the same SSH connections with the same planner.
//!
//! Design:
//! - [`ClusterEngine`] is what the verbs use: bootstrap the hosts, read the membership, take
//!   leaving nodes out before the stack shrinks, and the `node` / `service` verbs. [`Engine`]
//!   dispatches to [`SwarmdEngine`] (the existing path, unchanged) or [`DockerEngine`]; the verbs
//!   hold an `Engine` and never branch on its kind.
//! - The choice is recorded with the cluster as the stack tag [`ENGINE_TAG`] (readable on AWS and
//!   in the sandbox's emulator alike); [`choose`] (pure) checks a requested `--engine` against it.
//!
//! Limits: one engine per cluster (no mixed nodes); switching engines means a new cluster.

pub mod docker;
pub mod swarmd;

use std::fmt;
use std::path::PathBuf;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

pub use docker::DockerEngine;
pub use swarmd::SwarmdEngine;

use crate::bootstrap::{
    BootstrapHost, BootstrapOptions, BootstrapReport, LeaveReport, Member, NodeTable, ScalePlan,
};
use crate::cli::{GlobalArgs, NetworkVerb, NodeVerb, ServiceVerb, StackVerb};
use crate::cluster_api::ApiOptions;
use crate::inventory::Inventory;
use crate::provider::Provider;
use crate::spec::FieldError;
use crate::Error;

/// The stack tag that records a cluster's engine.
pub const ENGINE_TAG: &str = "swarm-aws:engine";

/// Which Swarm-mode implementation runs the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// The bundled orchestrator, `swarmd`.
    #[default]
    Swarmd,
    /// Docker's own Swarm mode, in each host's Docker engine.
    Docker,
}

impl EngineKind {
    /// The name used on the command line and in the stack tag.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Swarmd => "swarmd",
            EngineKind::Docker => "docker",
        }
    }

    /// The engine a stack's tag records (`None`: not a known engine name).
    pub fn from_tag(value: &str) -> Option<Self> {
        match value {
            "swarmd" => Some(EngineKind::Swarmd),
            "docker" => Some(EngineKind::Docker),
            _ => None,
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The engine of `cluster`: the one recorded (a stack without the tag runs swarmd, as every
/// cluster made before the tag did), checked against the one asked for with `--engine` (pure).
/// `recorded` is `None` for a cluster that does not exist yet (then the asked one, or swarmd).
pub fn choose(
    cluster: &str,
    asked: Option<EngineKind>,
    recorded: Option<Option<&str>>,
) -> Result<EngineKind, Error> {
    let Some(tag) = recorded else {
        return Ok(asked.unwrap_or_default());
    };
    let have = match tag {
        None => EngineKind::Swarmd,
        Some(v) => EngineKind::from_tag(v).ok_or_else(|| {
            Error::Fields(vec![FieldError::new(
                "--engine",
                v,
                format!(
                    "cluster {cluster} records an unknown engine in its stack tag {ENGINE_TAG}; \
                     it must be swarmd or docker"
                ),
            )])
        })?,
    };
    match asked {
        Some(a) if a != have => Err(Error::Fields(vec![FieldError::new(
            "--engine",
            a,
            format!(
                "cluster {cluster} runs {have} (stack tag {ENGINE_TAG}); drop --engine or give \
                 --engine {have} (an engine cannot be changed in place: make a new cluster)"
            ),
        )])),
        _ => Ok(have),
    }
}

/// A cluster whose API the `node` / `service` verbs talk to.
#[derive(Debug, Clone)]
pub struct ApiCluster {
    /// The cluster's name.
    pub name: String,
    /// Its manager hosts, oldest first.
    pub managers: Vec<BootstrapHost>,
    /// How to reach them (key, known_hosts, SSH user, admin credentials).
    pub api: ApiOptions,
}

/// What the verbs need from a cluster engine.
#[allow(async_fn_in_trait)] // used through the `Engine` enum, never as a trait object
pub trait ClusterEngine {
    /// Which engine this is.
    fn kind(&self) -> EngineKind;
    /// The local builds the bootstrap installs on the hosts (none when the hosts bring the
    /// engine themselves).
    fn builds(&self) -> Result<Vec<PathBuf>, Error>;
    /// Bootstraps (or resumes bootstrapping) the cluster on `hosts`: init, join managers one at a
    /// time, workers in parallel, verify every node Ready with one Leader.
    async fn bootstrap(
        &self,
        hosts: &[BootstrapHost],
        opts: &BootstrapOptions,
    ) -> Result<BootstrapReport, Error>;
    /// The cluster's node table, read from its managers.
    async fn node_table(
        &self,
        provider: &Provider,
        cluster: &str,
        inv: &Inventory,
        opts: &BootstrapOptions,
    ) -> Result<NodeTable, Error>;
    /// Takes the plan's leaving nodes out (drain, demote, leave, remove) before the stack shrinks.
    async fn take_out(
        &self,
        hosts: &[BootstrapHost],
        plan: &ScalePlan,
        members: &[Member],
        opts: &BootstrapOptions,
    ) -> Result<Vec<LeaveReport>, Error>;
    /// Runs a `node` verb against the cluster.
    async fn node(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NodeVerb,
    ) -> Result<(), Error>;
    /// Runs a `service` verb against the cluster.
    async fn service(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: ServiceVerb,
    ) -> Result<(), Error>;
    /// Runs a `network` verb against the cluster.
    async fn network(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NetworkVerb,
    ) -> Result<(), Error>;
    /// Runs a `stack` verb against the cluster.
    async fn stack(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: StackVerb,
    ) -> Result<(), Error>;
    /// Streams the cluster's events (`json`: one JSON object a line) until `--until` passes.
    async fn events(
        &self,
        cluster: &ApiCluster,
        args: swarm_ctl::EventsArgs,
        json: bool,
    ) -> Result<(), Error>;
}

/// The engine of one command.
#[derive(Debug, Clone, Copy)]
pub enum Engine {
    /// swarmd.
    Swarmd(SwarmdEngine),
    /// Docker Swarm mode.
    Docker(DockerEngine),
}

impl Engine {
    /// The engine of `kind`.
    pub fn of(kind: EngineKind) -> Self {
        match kind {
            EngineKind::Swarmd => Engine::Swarmd(SwarmdEngine),
            EngineKind::Docker => Engine::Docker(DockerEngine),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $e:ident => $x:expr) => {
        match $self {
            Engine::Swarmd($e) => $x,
            Engine::Docker($e) => $x,
        }
    };
}

impl ClusterEngine for Engine {
    fn kind(&self) -> EngineKind {
        delegate!(self, e => e.kind())
    }
    fn builds(&self) -> Result<Vec<PathBuf>, Error> {
        delegate!(self, e => e.builds())
    }
    async fn bootstrap(
        &self,
        hosts: &[BootstrapHost],
        opts: &BootstrapOptions,
    ) -> Result<BootstrapReport, Error> {
        delegate!(self, e => e.bootstrap(hosts, opts).await)
    }
    async fn node_table(
        &self,
        provider: &Provider,
        cluster: &str,
        inv: &Inventory,
        opts: &BootstrapOptions,
    ) -> Result<NodeTable, Error> {
        delegate!(self, e => e.node_table(provider, cluster, inv, opts).await)
    }
    async fn take_out(
        &self,
        hosts: &[BootstrapHost],
        plan: &ScalePlan,
        members: &[Member],
        opts: &BootstrapOptions,
    ) -> Result<Vec<LeaveReport>, Error> {
        delegate!(self, e => e.take_out(hosts, plan, members, opts).await)
    }
    async fn node(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NodeVerb,
    ) -> Result<(), Error> {
        delegate!(self, e => e.node(global, cluster, verb).await)
    }
    async fn service(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: ServiceVerb,
    ) -> Result<(), Error> {
        delegate!(self, e => e.service(global, cluster, verb).await)
    }
    async fn network(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NetworkVerb,
    ) -> Result<(), Error> {
        delegate!(self, e => e.network(global, cluster, verb).await)
    }
    async fn stack(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: StackVerb,
    ) -> Result<(), Error> {
        delegate!(self, e => e.stack(global, cluster, verb).await)
    }
    async fn events(
        &self,
        cluster: &ApiCluster,
        args: swarm_ctl::EventsArgs,
        json: bool,
    ) -> Result<(), Error> {
        delegate!(self, e => e.events(cluster, args, json).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_cluster_gets_the_asked_engine_or_swarmd() {
        assert_eq!(choose("c", None, None).unwrap(), EngineKind::Swarmd);
        assert_eq!(
            choose("c", Some(EngineKind::Docker), None).unwrap(),
            EngineKind::Docker
        );
    }

    #[test]
    fn an_existing_cluster_keeps_its_recorded_engine() {
        assert_eq!(
            choose("c", None, Some(Some("docker"))).unwrap(),
            EngineKind::Docker
        );
        assert_eq!(
            choose("c", None, Some(None)).unwrap(),
            EngineKind::Swarmd,
            "untagged"
        );
        assert_eq!(
            choose("c", Some(EngineKind::Docker), Some(Some("docker"))).unwrap(),
            EngineKind::Docker
        );
    }

    #[test]
    fn a_mismatch_is_an_input_error_naming_both_engines() {
        let e = choose("prod", Some(EngineKind::Docker), Some(None)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains("--engine") && msg.contains("docker"), "{msg}");
        assert!(
            msg.contains("prod runs swarmd") && msg.contains(ENGINE_TAG),
            "{msg}"
        );
        let e = choose("prod", None, Some(Some("nomad"))).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("nomad"), "{e}");
    }
}
