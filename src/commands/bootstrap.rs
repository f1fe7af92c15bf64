//! `swarm-aws bootstrap`: (re-)run the SSH bootstrap of swarmd on an existing cluster. Resumable:
//! nodes already in the cluster are skipped and the rest joined; ends with the node table.
//! `--sandbox` does it on the local sandbox hosts of the stack's instances.

use serde_json::json;

use super::shared::{print_json, print_text, require_stack, target};
use crate::bootstrap::BootstrapReport;
use crate::cli::{BootstrapArgs, GlobalArgs, OutputFormat};
use crate::engine::{choose, ClusterEngine, Engine, EngineKind, ENGINE_TAG};
use crate::inventory::inventory;
use crate::provider::{EmulatorUse, HostProvider};
use crate::Error;

/// Prints a bootstrap's outcome.
pub(super) fn print_report(
    global: &GlobalArgs,
    cluster: &str,
    engine: EngineKind,
    report: &BootstrapReport,
    registry: Option<&str>,
    prometheus: Option<&str>,
) -> Result<(), Error> {
    let p = &report.plan;
    match global.output {
        OutputFormat::Json => {
            let mut doc = json!({
                "cluster": cluster,
                "engine": engine,
                "initialised": p.init.is_some(),
                "joined": { "managers": p.managers.len(), "workers": p.workers.len() },
                "skipped": p.skipped.len(),
                "nodes": report.nodes,
            });
            if let Some(registry) = registry {
                doc["registry"] = json!(registry);
            }
            if let Some(url) = prometheus {
                doc["prometheus"] = json!(url);
            }
            print_json(&doc)
        }
        OutputFormat::Text => {
            let mut text = format!(
                "\ncluster {cluster} ({engine}): {} initialised, {} manager(s) and {} worker(s) joined, {} already in\n{}",
                usize::from(p.init.is_some()),
                p.managers.len(),
                p.workers.len(),
                p.skipped.len(),
                report.nodes.render()
            );
            if let Some(r) = registry {
                text.push_str(&format!(
                    "Image registry: {r} (docker tag IMAGE {r}/IMAGE && docker push {r}/IMAGE)\n"
                ));
            }
            if let Some(url) = prometheus {
                text.push_str(&format!(
                    "Prometheus: {url} (scraping every node's /metrics; targets at {url}/targets)\n"
                ));
            }
            print_text(&text)
        }
    }
}

/// Runs `swarm-aws bootstrap`.
pub async fn run(global: &GlobalArgs, args: &BootstrapArgs) -> Result<(), Error> {
    let mut target = target(global, args.sandbox, EmulatorUse::Existing);
    let clients = target.connect(&args.name, None).await?;
    let info = require_stack(&clients, &args.name).await?;
    let kind = choose(&args.name, args.engine, Some(info.tag(ENGINE_TAG)))?;
    let engine = Engine::of(kind);
    let swarmd = engine.builds()?;
    let inv = inventory(&clients, &info.id).await?;
    let provider = &target.provider;
    provider.sync(&args.name, &inv).await?;
    let hosts = provider.hosts(&args.name, &inv)?;
    let mut opts = provider.options(&args.name, &swarmd)?;
    if kind == EngineKind::Swarmd {
        opts.guide = crate::provider::guide_setup(provider, &clients, &info, &inv).await?;
    }
    let report = engine.bootstrap(&hosts, &opts).await?;
    print_report(
        global,
        &args.name,
        kind,
        &report,
        provider.registry(&args.name).as_deref(),
        provider.prometheus(&args.name).as_deref(),
    )
}
