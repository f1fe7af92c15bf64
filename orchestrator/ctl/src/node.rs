//! `node ls|inspect|promote|demote|update|rm`: the verbs and their calls to the manager.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use swarm_api::client::Client;
use swarm_api::control::UpdateNodeRequest;
use swarm_api::node::{format_node_id, Availability, NodeView};
use swarm_api::routes::{self, Route};

use crate::filter::{node_matches, Filters, NODE_KEYS};
use crate::format::{write_json, Format};
use crate::render::{node_table, node_text};

/// `node ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum NodeVerb {
    /// List nodes.
    Ls {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Filter output (id, label, node.label, membership, name, role), e.g. role=manager;
        /// repeatable.
        #[arg(short, long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
    },
    /// Display detailed information on one or more nodes (JSON; --pretty: text).
    Inspect {
        /// Print the information in a human friendly format.
        #[arg(long)]
        pretty: bool,
        /// Node ids, id prefixes, host names, or `self` (the node answering).
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// List tasks running on one or more nodes, defaults to the current node (`self`).
    Ps(crate::node_ps::NodePsArgs),
    /// Promote one or more nodes to manager in the swarm.
    Promote {
        /// Node ids, id prefixes or host names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Demote one or more nodes from manager in the swarm.
    Demote {
        /// Node ids, id prefixes or host names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Change availability and labels.
    Update {
        /// Node id, id prefix or host name.
        node: String,
        /// active, pause or drain.
        #[arg(long)]
        availability: Option<String>,
        /// Add or replace a label (key=value); repeatable.
        #[arg(long)]
        label_add: Vec<String>,
        /// Remove a label by key; repeatable.
        #[arg(long)]
        label_rm: Vec<String>,
    },
    /// Remove one or more nodes from the swarm.
    #[command(visible_alias = "remove")]
    Rm {
        /// Node ids, id prefixes or host names.
        #[arg(required = true)]
        nodes: Vec<String>,
        /// Remove it even if it is not Down.
        #[arg(long)]
        force: bool,
    },
}

fn parse_labels(adds: &[String]) -> Result<BTreeMap<String, String>> {
    adds.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!(
                "invalid --label-add {s:?}: expected key=value (fix: write --label-add key=value)"
            ),
        })
        .collect()
}

/// Runs one node verb against `client`, writing the result to `out`.
///
/// `node ls` marks the node that answers (`GET /v1/info`) with a `*`, as Docker marks the
/// engine it talks to.
pub async fn run_node(
    client: &Client,
    verb: NodeVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json = format == Format::Json;
    match verb {
        NodeVerb::Ls { quiet, filter } => {
            let f = Filters::parse(&filter, NODE_KEYS)?;
            let mut nodes = client.nodes().ls().await?;
            nodes.retain(|n| node_matches(&f, n));
            if json {
                return write_json(out, &nodes);
            }
            if quiet {
                for n in &nodes {
                    writeln!(out, "{}", format_node_id(n.node.id))?;
                }
                return Ok(());
            }
            let me = client.info().await.ok().map(|i| i.node_id);
            write!(out, "{}", node_table(&nodes, me))?;
        }
        NodeVerb::Inspect { pretty, nodes } => {
            let mut found = Vec::new();
            for key in &nodes {
                let key = if key == "self" {
                    let me = client.info().await?;
                    format_node_id(me.node_id)
                } else {
                    key.clone()
                };
                let v = client.nodes().inspect(&key).await?;
                found.push(v);
            }
            // As docker: JSON (an array) unless --pretty; --format json wins over --pretty.
            if !pretty || json {
                return write_json(out, &found);
            }
            for v in &found {
                write!(out, "{}", node_text(v))?;
            }
        }
        NodeVerb::Ps(args) => crate::node_ps::run_node_ps(client, args, format, out).await?,
        NodeVerb::Promote { nodes } => {
            each_node(client, &nodes, &routes::NODE_PROMOTE, json, out, |typed| {
                format!("Node {typed} promoted to a manager in the swarm.")
            })
            .await?;
        }
        NodeVerb::Demote { nodes } => {
            each_node(client, &nodes, &routes::NODE_DEMOTE, json, out, |typed| {
                format!("Manager {typed} demoted in the swarm.")
            })
            .await?;
        }
        NodeVerb::Update {
            node,
            availability,
            label_add,
            label_rm,
        } => {
            let availability = availability
                .map(|a| a.parse::<Availability>())
                .transpose()
                .map_err(|e| anyhow!("--availability: {e}"))?;
            let req = UpdateNodeRequest {
                availability,
                label_add: parse_labels(&label_add)?,
                label_rm,
            };
            let v = client.nodes().update(&node, &req).await?;
            // Docker echoes the node as typed.
            done(out, json, &v, &node)?;
        }
        NodeVerb::Rm { nodes, force } => {
            let mut failures = Vec::new();
            let mut removed = Vec::new();
            for node in &nodes {
                match client.nodes().rm(node, force).await {
                    Ok(()) => {
                        if !json {
                            writeln!(out, "{node}")?;
                        }
                        removed.push(node.clone());
                    }
                    Err(e) => failures.push(format!("{node}: {e}")),
                }
            }
            if json {
                let removed = match removed.as_slice() {
                    [one] => serde_json::json!(one),
                    _ => serde_json::json!(removed),
                };
                write_json(out, &serde_json::json!({ "removed": removed }))?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
        }
    }
    Ok(())
}

/// `node promote|demote A B ...` as Docker runs them: each node in turn, a line per success
/// naming the node as typed, the failures together at the end (exit non-zero if any).
async fn each_node(
    client: &Client,
    nodes: &[String],
    action: &Route<(), NodeView>,
    json: bool,
    out: &mut impl Write,
    text: impl Fn(&str) -> String,
) -> Result<()> {
    let mut failures = Vec::new();
    let mut views = Vec::new();
    for typed in nodes {
        match client.send(action, &[typed], &()).await {
            Ok(v) => {
                if !json {
                    writeln!(out, "{}", text(typed))?;
                }
                views.push(v);
            }
            Err(e) => failures.push(format!("{typed}: {e}")),
        }
    }
    if json {
        match views.as_slice() {
            [one] => write_json(out, one)?,
            _ => write_json(out, &views)?,
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

fn done(out: &mut impl Write, json: bool, v: &NodeView, text: &str) -> Result<()> {
    if json {
        write_json(out, v)
    } else {
        writeln!(out, "{text}")?;
        Ok(())
    }
}
