//! `swarm-aws node ...` and `swarm-aws service ...`: the orchestrator's client verbs (the shared
//! `swarm-ctl` crate: the same verbs, flags and rendering as `swarmd node|service`), run against
//! the cluster's leader through [`super::api::connect_api`] (SSH tunnel, admin certificate).
//!
//! `--output json` prints the JSON documents of `swarmd ... --format json`; text output is
//! swarmd's tables.

use std::io::Write;

use super::api::connect_api;
use crate::cli::{GlobalArgs, NodeArgs, OutputFormat, ServiceArgs};
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

/// Runs `swarm-aws node ...`.
pub async fn run(global: &GlobalArgs, args: &NodeArgs) -> Result<(), Error> {
    let api = connect_api(global, &args.target).await?;
    let mut out = std::io::stdout().lock();
    let result = swarm_ctl::run_node(api.client(), args.verb.clone(), format(global), &mut out)
        .await
        .map_err(|e| verb_err(&api, e));
    out.flush()?;
    drop(out);
    api.close().await;
    result
}

/// Runs `swarm-aws service ...`.
pub async fn run_service(global: &GlobalArgs, args: &ServiceArgs) -> Result<(), Error> {
    let api = connect_api(global, &args.target).await?;
    let mut out = std::io::stdout().lock();
    let result = swarm_ctl::run_service(api.client(), args.verb.clone(), format(global), &mut out)
        .await
        .map_err(|e| verb_err(&api, e));
    out.flush()?;
    drop(out);
    api.close().await;
    result
}
