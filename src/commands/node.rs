//! `swarm-aws node ...` and `swarm-aws service ...`: the orchestrator's client verbs (the shared
//! `swarm-ctl` crate: the same verbs, flags and rendering as `swarmd node|service`), run against
//! the cluster's leader through [`super::api::connect_api`] (SSH tunnel, admin certificate).
//!
//! `--output json` prints the JSON documents of `swarmd ... --format json`; text output is
//! swarmd's tables.

use std::io::Write;

use swarm_api::client::Client;

use super::api::connect_api;
use crate::cli::{ApiTargetArgs, GlobalArgs, NetworkArgs, NodeArgs, OutputFormat, ServiceArgs};
use crate::cluster_api::{ClusterApi, ClusterApiError};
use crate::Error;

fn format(global: &GlobalArgs) -> swarm_ctl::Format {
    match global.output {
        OutputFormat::Json => swarm_ctl::Format::Json,
        OutputFormat::Text => swarm_ctl::Format::Table,
    }
}

fn verb_err(api: &ClusterApi, e: anyhow::Error) -> Error {
    Error::ClusterApi(ClusterApiError::Verb {
        host: api.manager().id.clone(),
        message: format!("{e:#}"),
    })
}

/// A verb of the shared client crate, run against the API with output to `out`.
type Verb<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;

/// Connects to the cluster's API, runs `verb` with stdout, then closes the tunnel.
async fn with_api(
    global: &GlobalArgs,
    target: &ApiTargetArgs,
    verb: impl for<'a> FnOnce(&'a Client, &'a mut std::io::StdoutLock<'static>) -> Verb<'a>,
) -> Result<(), Error> {
    let api = connect_api(global, target).await?;
    let mut out = std::io::stdout().lock();
    let result = verb(api.client(), &mut out)
        .await
        .map_err(|e| verb_err(&api, e));
    out.flush()?;
    drop(out);
    api.close().await;
    result
}

/// Runs `swarm-aws node ...`.
pub async fn run(global: &GlobalArgs, args: &NodeArgs) -> Result<(), Error> {
    let verb = args.verb.clone();
    with_api(global, &args.target, |client, out| {
        Box::pin(swarm_ctl::run_node(client, verb, format(global), out))
    })
    .await
}

/// Runs `swarm-aws network ...`.
pub async fn run_network(global: &GlobalArgs, args: &NetworkArgs) -> Result<(), Error> {
    let verb = args.verb.clone();
    with_api(global, &args.target, |client, out| {
        Box::pin(swarm_ctl::run_network(client, verb, format(global), out))
    })
    .await
}

/// Runs `swarm-aws service ...`.
pub async fn run_service(global: &GlobalArgs, args: &ServiceArgs) -> Result<(), Error> {
    let verb = args.verb.clone();
    with_api(global, &args.target, |client, out| {
        Box::pin(swarm_ctl::run_service(client, verb, format(global), out))
    })
    .await
}
