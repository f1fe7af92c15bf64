//! `swarm-aws bootstrap`: (re-)run the SSH bootstrap of swarmd on an existing cluster. Resumable:
//! nodes already in the cluster are skipped and the rest joined; ends with the node table.
//! `--sandbox` does it on the local sandbox hosts; otherwise on the stack's instances.

use serde_json::json;

use super::shared::{connect, print_json, print_text, require_stack};
use crate::bootstrap::{aws_hosts, aws_options, bootstrap_report, BootstrapReport, SandboxCluster};
use crate::cli::{BootstrapArgs, GlobalArgs, OutputFormat};
use crate::inventory::inventory;
use crate::Error;

fn boot(e: crate::bootstrap::BootstrapError) -> Error {
    Error::Sandbox(e.to_string())
}

/// Bootstraps the instances of the stack `stack` (cluster `cluster`) over SSH.
pub(super) async fn aws_bootstrap(
    clients: &crate::aws::Clients,
    stack_id: &str,
    cluster: &str,
) -> Result<BootstrapReport, Error> {
    let swarmd = super::sandbox::locate_swarmd_builds()?;
    let inv = inventory(clients, stack_id).await?;
    let hosts = aws_hosts(&inv).map_err(boot)?;
    let opts = aws_options(cluster, &swarmd).map_err(boot)?;
    bootstrap_report(&hosts, &opts).await.map_err(boot)
}

/// Prints a bootstrap's outcome.
pub(super) fn print_report(
    global: &GlobalArgs,
    cluster: &str,
    report: &BootstrapReport,
) -> Result<(), Error> {
    let p = &report.plan;
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "cluster": cluster,
            "initialised": p.init.is_some(),
            "joined": { "managers": p.managers.len(), "workers": p.workers.len() },
            "skipped": p.skipped.len(),
            "nodes": report.nodes,
        })),
        OutputFormat::Text => print_text(&format!(
            "\ncluster {cluster}: {} initialised, {} manager(s) and {} worker(s) joined, {} already in\n{}",
            usize::from(p.init.is_some()),
            p.managers.len(),
            p.workers.len(),
            p.skipped.len(),
            report.nodes.render()
        )),
    }
}

/// Runs `swarm-aws bootstrap`.
pub async fn run(global: &GlobalArgs, args: &BootstrapArgs) -> Result<(), Error> {
    let report = if args.sandbox {
        let swarmd = super::sandbox::locate_swarmd()?;
        SandboxCluster::open(&args.name, &swarmd)
            .await
            .map_err(boot)?
            .bootstrap()
            .await
            .map_err(boot)?
    } else {
        let clients = connect(global, None).await?;
        let info = require_stack(&clients, &args.name).await?;
        aws_bootstrap(&clients, &info.id, &args.name).await?
    };
    print_report(global, &args.name, &report)
}
