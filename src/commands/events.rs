//! `swarm-aws events`: the stack's event history, oldest first; `--follow` keeps watching until
//! the running operation ends (Ctrl-C stops watching, never the stack).
//!
//! `swarm-aws events --cluster NAME`: the cluster's own events instead, through its engine: on
//! swarmd the shared `swarm-ctl` `events` verb (the one `swarmd events` runs) against the
//! leader's SSH-forwarded admin API, streamed as they come; on docker `docker events` on a
//! manager. The cluster is found as for `node` / `service` ([`super::api::api_cluster`]).

use super::api::api_cluster;
use super::shared::{connect, ctrl_c, print_json, print_text};
use crate::cli::{ApiTargetArgs, EventsArgs, GlobalArgs, OutputFormat};
use crate::engine::ClusterEngine;
use crate::stack::describe::stack_events;
use crate::stack::render::{transition_line, Human, JsonLines};
use crate::stack::tracker::is_terminal_stack_status;
use crate::stack::{watch, Backoff, Sink, StackError, Tracker, WatchEnd};
use crate::Error;

/// Runs `swarm-aws events`.
pub async fn run(global: &GlobalArgs, args: &EventsArgs) -> Result<(), Error> {
    if let Some(cluster) = &args.cluster {
        return cluster_events(global, args, cluster).await;
    }
    let name = args.name.as_deref().unwrap_or_default();
    let clients = connect(global, None).await?;
    let info = super::shared::require_stack(&clients, name).await?;
    let history = stack_events(&clients.cfn, &info.id, |_| false).await?;
    let mut tracker = Tracker::new(&info.name, 0);
    let transitions = tracker.ingest(&history);
    let follow = args.follow && !is_terminal_stack_status(&info.status);
    if !args.follow {
        return match global.output {
            OutputFormat::Json => print_json(&transitions),
            OutputFormat::Text => print_text(
                &transitions
                    .iter()
                    .map(|t| transition_line(t) + "\n")
                    .collect::<String>(),
            ),
        };
    }
    // Following: a stream, so JSON goes out as one object per line.
    let mut sink: Box<dyn Sink> = match global.output {
        OutputFormat::Json => Box::new(JsonLines::stdout()),
        OutputFormat::Text => Box::new(Human::new()),
    };
    for t in &transitions {
        sink.transition(t);
    }
    if !follow {
        return Ok(());
    }
    match watch(
        &clients.cfn,
        &info.id,
        &mut tracker,
        sink.as_mut(),
        ctrl_c(),
        Backoff::default(),
    )
    .await?
    {
        WatchEnd::Interrupted => Err(StackError::Interrupted { stack: info.name }.into()),
        _ => Ok(()),
    }
}

/// `events --cluster`: the cluster's events through its engine, until `--until` passes.
async fn cluster_events(
    global: &GlobalArgs,
    args: &EventsArgs,
    cluster: &str,
) -> Result<(), Error> {
    // The flags are checked before anything is connected to (exit 2 with the fix).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    swarm_ctl::events::query(&args.ctl_args(), now).map_err(|e| Error::Input(e.to_string()))?;
    let target = ApiTargetArgs {
        cluster: Some(cluster.to_string()),
        ssh_user: args.ssh_user.clone(),
    };
    let (engine, api) = api_cluster(global, &target).await?;
    engine
        .events(&api, args.ctl_args(), args.json(global))
        .await
}
