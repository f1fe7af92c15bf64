//! `swarm-aws node ...`, `swarm-aws service ...`, `swarm-aws network ...` and `swarm-aws stack ...`: the orchestrator's client verbs, run against
//! the cluster through its engine ([`crate::engine`]): on swarmd, the shared `swarm-ctl` verbs
//! (the same verbs, flags and rendering as `swarmd node|service`) through the leader's
//! SSH-forwarded admin API; on docker, docker's verbs of the same names on a manager.
//!
//! `--output json` prints the JSON documents of `swarmd ... --format json` (docker: `--format
//! '{{json .}}'` of its list verbs); text output is the engine's tables.

use super::api::api_cluster;
use crate::cli::{GlobalArgs, NetworkArgs, NodeArgs, ServiceArgs, StackArgs};
use crate::engine::ClusterEngine;
use crate::Error;

/// Runs `swarm-aws node ...`.
pub async fn run(global: &GlobalArgs, args: &NodeArgs) -> Result<(), Error> {
    let (engine, cluster) = api_cluster(global, &args.target).await?;
    engine.node(global, &cluster, args.verb.clone()).await
}

/// Runs `swarm-aws network ...`.
pub async fn run_network(global: &GlobalArgs, args: &NetworkArgs) -> Result<(), Error> {
    let (engine, cluster) = api_cluster(global, &args.target).await?;
    engine.network(global, &cluster, args.verb.clone()).await
}

/// Runs `swarm-aws stack ...`.
pub async fn run_stack(global: &GlobalArgs, args: &StackArgs) -> Result<(), Error> {
    let (engine, cluster) = api_cluster(global, &args.target).await?;
    engine.stack(global, &cluster, args.verb.clone()).await
}

/// Runs `swarm-aws service ...`.
pub async fn run_service(global: &GlobalArgs, args: &ServiceArgs) -> Result<(), Error> {
    let (engine, cluster) = api_cluster(global, &args.target).await?;
    engine.service(global, &cluster, args.verb.clone()).await
}
