//! `node ps [NODE...]` (issue 21): the tasks on one or more nodes (`self`, the node answering,
//! by default) with docker's columns, the same rows as `service ps`.

use std::io::Write;

use anyhow::{bail, Result};
use clap::Args;
use swarm_api::client::Client;
use swarm_api::node::format_node_id;
use swarm_api::task::Task;

use crate::filter::{Filters, TASK_KEYS};
use crate::format::Format;
use crate::service::{print_tasks, TasksView};

/// The flags of `node ps`.
#[derive(Debug, Clone, Args)]
pub struct NodePsArgs {
    /// Node ids, id prefixes, host names, or `self` (the node answering) [default: self]
    pub nodes: Vec<String>,
    /// Do not truncate ids.
    #[arg(long)]
    pub no_trunc: bool,
    /// Do not map node IDs to names.
    #[arg(long)]
    pub no_resolve: bool,
    /// Only display task IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter output (desired-state, id, name, node), e.g. desired-state=running; repeatable.
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

/// The tasks of `tasks` on the nodes `ids` (pure), in the order of `ids`.
pub fn tasks_on(tasks: Vec<Task>, ids: &[String]) -> Vec<Task> {
    let mut out: Vec<Task> = Vec::new();
    for id in ids {
        out.extend(
            tasks
                .iter()
                .filter(|t| t.node_id.as_deref() == Some(id.as_str()))
                .cloned(),
        );
    }
    out
}

/// `node ps`.
pub async fn run_node_ps(
    client: &Client,
    args: NodePsArgs,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let f = Filters::parse(&args.filter, TASK_KEYS)?;
    let keys = if args.nodes.is_empty() {
        vec!["self".to_string()]
    } else {
        args.nodes.clone()
    };
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for key in &keys {
        let key = if key == "self" {
            format_node_id(client.info().await?.node_id)
        } else {
            key.clone()
        };
        match client.nodes().inspect(&key).await {
            Ok(v) => ids.push(format_node_id(v.node.id)),
            Err(e) => missing.push(format!("{key}: {e}")),
        }
    }
    // As docker: nothing listed when one of the nodes does not exist.
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    let mut all = Vec::new();
    for s in client.services().ls().await? {
        all.extend(client.services().tasks(&s.service.id).await?);
    }
    let view = TasksView {
        json: format == Format::Json,
        quiet: args.quiet,
        no_trunc: args.no_trunc,
        no_resolve: args.no_resolve,
    };
    print_tasks(client, out, tasks_on(all, &ids), &f, view).await
}
