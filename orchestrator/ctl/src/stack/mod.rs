//! `stack deploy|ls|services|ps|rm`: stacks from compose files, with docker's flags and
//! output. Parsing and mapping are the pure `swarm-compose` crate; [`read`] does the file
//! I/O, [`diff`] decides what a deploy changes (pure), [`deploy`] and [`remove`] talk to the
//! manager.
//!
//! A stack is the set of services, networks, secrets and configs that carry the
//! label `com.docker.stack.namespace=STACK`; nothing else records it.

pub mod deploy;
pub mod diff;
pub mod files;
pub mod image_ref;
pub mod read;
pub mod registry;
pub mod remove;

use std::io::Write;

use anyhow::{bail, Result};
use clap::Subcommand;
use swarm_api::client::Client;
use swarm_api::service_api::ServiceListEntry;
use swarm_api::task::Task;
use swarm_compose::NAMESPACE_LABEL;

use crate::filter::{service_matches, Filters, SERVICE_KEYS, TASK_KEYS};
use crate::format::{write_json, Format};
use crate::service::{print_services, print_tasks, TasksView};
use crate::table::table;

/// `stack ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum StackVerb {
    /// Deploy a new stack or update an existing stack.
    #[command(visible_alias = "up")]
    Deploy {
        /// Path to a Compose file; repeatable (later files override earlier ones).
        #[arg(
            short = 'c',
            long = "compose-file",
            required = true,
            value_name = "FILE"
        )]
        compose_file: Vec<String>,
        /// Prune services that are no longer referenced.
        #[arg(long)]
        prune: bool,
        /// Query the registry to resolve image digest and supported platforms
        /// ("always", "changed", "never"): the service runs `name:tag@sha256:...` as the
        /// registry serves it now; `changed` looks up only new services and changed images.
        #[arg(long, default_value = "always", value_parser = ["always", "changed", "never"])]
        resolve_image: String,
        /// Suppress progress output.
        #[arg(short, long)]
        quiet: bool,
        /// The stack name.
        stack: String,
    },
    /// List stacks.
    #[command(visible_alias = "list")]
    Ls,
    /// List the services in the stack.
    Services {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Filter output (id, label, mode, name); repeatable.
        #[arg(short, long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
        /// The stack name.
        stack: String,
    },
    /// List the tasks in the stack.
    Ps {
        /// Filter output (desired-state, id, name, node); repeatable.
        #[arg(short, long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
        /// Do not truncate output.
        #[arg(long)]
        no_trunc: bool,
        /// Do not map IDs to names.
        #[arg(long)]
        no_resolve: bool,
        /// Only display task IDs.
        #[arg(short, long)]
        quiet: bool,
        /// The stack name.
        stack: String,
    },
    /// Remove one or more stacks.
    #[command(visible_aliases = ["remove", "down"])]
    Rm {
        /// The stack names.
        #[arg(required = true)]
        stacks: Vec<String>,
    },
}

/// The stack a labelled object belongs to.
pub fn namespace(labels: &std::collections::BTreeMap<String, String>) -> Option<&str> {
    labels.get(NAMESPACE_LABEL).map(String::as_str)
}

/// The services of `stack`, in name order.
pub async fn stack_services(client: &Client, stack: &str) -> Result<Vec<ServiceListEntry>> {
    let mut list = client.services().ls().await?;
    list.retain(|e| namespace(&e.service.spec.labels) == Some(stack));
    list.sort_by(|a, b| a.service.spec.name.cmp(&b.service.spec.name));
    Ok(list)
}

/// The `stack ls` table: one row per stack with its number of services.
pub fn ls_table(services: &[ServiceListEntry]) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for e in services {
        if let Some(ns) = namespace(&e.service.spec.labels) {
            *counts.entry(ns).or_default() += 1;
        }
    }
    let rows: Vec<Vec<String>> = counts
        .into_iter()
        .map(|(n, c)| vec![n.to_string(), c.to_string()])
        .collect();
    table(&["NAME", "SERVICES"], &rows)
}

/// Runs one stack verb against `client` (a manager): results to `out`, docker's warnings
/// (ignored compose keys, "Nothing found in stack") to `err`.
pub async fn run_stack(
    client: &Client,
    verb: StackVerb,
    format: Format,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    let json = format == Format::Json;
    match verb {
        StackVerb::Deploy {
            compose_file,
            prune,
            resolve_image,
            quiet,
            stack,
        } => {
            let opts = deploy::Options {
                prune,
                quiet,
                resolve: image_ref::Mode::parse(&resolve_image).unwrap_or_default(),
            };
            deploy::deploy(client, &compose_file, &stack, opts, out, err).await
        }
        StackVerb::Ls => {
            let list = client.services().ls().await?;
            if json {
                let mut counts = std::collections::BTreeMap::<String, usize>::new();
                for e in &list {
                    if let Some(ns) = namespace(&e.service.spec.labels) {
                        *counts.entry(ns.to_string()).or_default() += 1;
                    }
                }
                let v: Vec<_> = counts
                    .into_iter()
                    .map(|(n, c)| serde_json::json!({"Name": n, "Services": c}))
                    .collect();
                return write_json(out, &v);
            }
            write!(out, "{}", ls_table(&list))?;
            Ok(())
        }
        StackVerb::Services {
            quiet,
            filter,
            stack,
        } => {
            let f = Filters::parse(&filter, SERVICE_KEYS)?;
            let mut list = stack_services(client, &stack).await?;
            if list.is_empty() {
                writeln!(err, "Nothing found in stack: {stack}")?;
                return Ok(());
            }
            list.retain(|e| service_matches(&f, e));
            print_services(out, &list, json, quiet)
        }
        StackVerb::Ps {
            filter,
            no_trunc,
            no_resolve,
            quiet,
            stack,
        } => {
            let f = Filters::parse(&filter, TASK_KEYS)?;
            let services = stack_services(client, &stack).await?;
            if services.is_empty() {
                bail!("nothing found in stack: {stack}");
            }
            let mut tasks: Vec<Task> = Vec::new();
            for e in &services {
                tasks.extend(client.services().tasks(&e.service.id).await?);
            }
            let view = TasksView {
                json,
                quiet,
                no_trunc,
                no_resolve,
            };
            print_tasks(client, out, tasks, &f, view).await
        }
        StackVerb::Rm { stacks } => {
            let mut failures = Vec::new();
            for s in &stacks {
                if let Err(e) = remove::remove(client, s, out, err).await {
                    failures.push(format!("{s}: {e:#}"));
                }
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
            Ok(())
        }
    }
}
