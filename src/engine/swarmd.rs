//! The swarmd engine: the bundled orchestrator, installed and bootstrapped over SSH
//! ([`crate::bootstrap`]), its membership and verbs through the SSH-forwarded mutual-TLS control
//! API ([`crate::cluster_api`]) with the shared `swarm-ctl` verbs. This is the path swarm-aws had
//! before engines were a choice, moved here unchanged.

use std::io::Write;
use std::path::PathBuf;

use swarm_api::client::Client;

use super::{ApiCluster, ClusterEngine, EngineKind};
use crate::bootstrap::{
    bootstrap_report, take_out, BootstrapHost, BootstrapOptions, BootstrapReport, LeaveReport,
    Member, NodeTable, ScalePlan, AWS_SSH_USER,
};
use crate::cli::{GlobalArgs, NetworkVerb, NodeVerb, OutputFormat, ServiceVerb, StackVerb};
use crate::cluster_api::{ClusterApi, ClusterApiError};
use crate::inventory::Inventory;
use crate::provider::{swarmd_builds, HostProvider, Provider};
use crate::Error;

/// The bundled `swarmd`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SwarmdEngine;

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
    cluster: &ApiCluster,
    verb: impl for<'a> FnOnce(&'a Client, &'a mut std::io::StdoutLock<'static>) -> Verb<'a>,
) -> Result<(), Error> {
    let api = ClusterApi::connect(&cluster.managers, &cluster.api).await?;
    let mut out = std::io::stdout().lock();
    let result = verb(api.client(), &mut out)
        .await
        .map_err(|e| verb_err(&api, e));
    out.flush()?;
    drop(out);
    api.close().await;
    result
}

impl ClusterEngine for SwarmdEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Swarmd
    }

    fn builds(&self) -> Result<Vec<PathBuf>, Error> {
        Ok(swarmd_builds()?)
    }

    async fn bootstrap(
        &self,
        hosts: &[BootstrapHost],
        opts: &BootstrapOptions,
    ) -> Result<BootstrapReport, Error> {
        Ok(bootstrap_report(hosts, opts).await?)
    }

    async fn node_table(
        &self,
        provider: &Provider,
        cluster: &str,
        inv: &Inventory,
        _opts: &BootstrapOptions,
    ) -> Result<NodeTable, Error> {
        let managers = provider.managers(cluster, inv)?;
        let opts = provider.api_options(cluster, AWS_SSH_USER)?;
        let api = ClusterApi::connect(&managers, &opts).await?;
        let views = api.client().nodes().ls().await;
        let host = api.manager().id.clone();
        api.close().await;
        let views = views.map_err(|source| ClusterApiError::Api {
            host,
            step: "GET /v1/nodes".into(),
            source: Box::new(source),
        })?;
        Ok(NodeTable::from_views(views))
    }

    async fn take_out(
        &self,
        hosts: &[BootstrapHost],
        plan: &ScalePlan,
        members: &[Member],
        opts: &BootstrapOptions,
    ) -> Result<Vec<LeaveReport>, Error> {
        Ok(take_out(hosts, plan, members, opts).await?)
    }

    async fn node(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NodeVerb,
    ) -> Result<(), Error> {
        with_api(cluster, |client, out| {
            Box::pin(swarm_ctl::run_node(client, verb, format(global), out))
        })
        .await
    }

    async fn service(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: ServiceVerb,
    ) -> Result<(), Error> {
        with_api(cluster, |client, out| {
            Box::pin(swarm_ctl::run_service(client, verb, format(global), out))
        })
        .await
    }

    async fn network(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NetworkVerb,
    ) -> Result<(), Error> {
        with_api(cluster, |client, out| {
            Box::pin(swarm_ctl::run_network(client, verb, format(global), out))
        })
        .await
    }

    async fn stack(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: StackVerb,
    ) -> Result<(), Error> {
        let api = ClusterApi::connect(&cluster.managers, &cluster.api).await?;
        let mut out = std::io::stdout().lock();
        let result = swarm_ctl::run_stack(
            api.client(),
            verb,
            format(global),
            &mut out,
            &mut std::io::stderr().lock(),
        )
        .await
        .map_err(|e| {
            // A bad compose file (or a missing external network) is the user's to fix.
            if swarm_ctl::is_input_error(&e) {
                Error::Input(format!("{e:#}"))
            } else {
                verb_err(&api, e)
            }
        });
        out.flush()?;
        drop(out);
        api.close().await;
        result
    }

    async fn events(
        &self,
        cluster: &ApiCluster,
        args: swarm_ctl::EventsArgs,
        json: bool,
    ) -> Result<(), Error> {
        let format = if json {
            swarm_ctl::Format::Json
        } else {
            swarm_ctl::Format::Table
        };
        with_api(cluster, |client, out| {
            Box::pin(swarm_ctl::run_events(client, args, format, out))
        })
        .await
    }
}
