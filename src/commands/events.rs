//! `swarm-aws events`: the stack's event history, oldest first; `--follow` keeps watching until
//! the running operation ends (Ctrl-C stops watching, never the stack).

use super::shared::{connect, ctrl_c, print_json, print_text};
use crate::cli::{EventsArgs, GlobalArgs, OutputFormat};
use crate::stack::describe::stack_events;
use crate::stack::render::{transition_line, Human, JsonLines};
use crate::stack::tracker::is_terminal_stack_status;
use crate::stack::{watch, Backoff, Sink, StackError, Tracker, WatchEnd};
use crate::Error;

/// Runs `swarm-aws events`.
pub async fn run(global: &GlobalArgs, args: &EventsArgs) -> Result<(), Error> {
    let clients = connect(global, None).await?;
    let info = super::shared::require_stack(&clients, &args.name).await?;
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
