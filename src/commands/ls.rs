//! `swarm-aws ls`: the clusters in the region, found by their `swarm-aws:cluster` tag.

use super::shared::{connect, print_json, print_text};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::stack::list_clusters;
use crate::website::WEBSITE_TAG;
use crate::Error;

/// Runs `swarm-aws ls`.
pub async fn run(global: &GlobalArgs) -> Result<(), Error> {
    let clients = connect(global, None).await?;
    let stacks: Vec<_> = list_clusters(&clients.cfn)
        .await?
        .into_iter()
        .filter(|s| s.tag(WEBSITE_TAG).is_none())
        .collect();
    match global.output {
        OutputFormat::Json => print_json(
            &stacks
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "name": s.name,
                        "status": s.status,
                        "managers": s.parameter("ManagerSize"),
                        "workers": s.parameter("WorkerSize"),
                    })
                })
                .collect::<Vec<_>>(),
        ),
        OutputFormat::Text => {
            let mut text = format!(
                "{:<32} {:<28} {:>8} {:>8}\n",
                "NAME", "STATUS", "MANAGERS", "WORKERS"
            );
            for s in &stacks {
                text.push_str(&format!(
                    "{:<32} {:<28} {:>8} {:>8}\n",
                    s.name,
                    s.status,
                    s.parameter("ManagerSize").unwrap_or("-"),
                    s.parameter("WorkerSize").unwrap_or("-")
                ));
            }
            if stacks.is_empty() {
                text = format!("no swarm-aws clusters in {}\n", clients.region);
            }
            print_text(&text)
        }
    }
}
