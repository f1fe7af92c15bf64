//! What the stack verbs share: connecting to AWS from the global flags (or choosing the command's
//! [`Target`]), the progress sink for the chosen output format, Ctrl-C handling, confirmations and
//! printing.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::aws::{AwsOptions, Clients};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::provider::{EmulatorUse, Target};
use crate::stack::render::{Human, JsonLines};
use crate::stack::{Sink, StackInfo};
use crate::Error;

/// Clients for `region` (or the global `--region`, or the profile's).
pub async fn connect(global: &GlobalArgs, region: Option<&str>) -> Result<Clients, Error> {
    let opts = AwsOptions {
        profile: global.profile.clone(),
        region: region.map(str::to_string).or_else(|| global.region.clone()),
        ..AwsOptions::default()
    };
    Ok(Clients::connect(&opts).await?)
}

/// The command's target from the global flags: the local sandbox when `sandbox` (using the
/// emulator as `usage` says), else AWS.
pub fn target(global: &GlobalArgs, sandbox: bool, usage: EmulatorUse) -> Target {
    Target::new(
        global.profile.clone(),
        global.region.clone(),
        sandbox,
        usage,
    )
}

/// The progress sink for the output format: bars and lines, or JSON lines on stderr (stdout then
/// carries the command's one JSON document).
pub fn progress_sink(global: &GlobalArgs) -> Box<dyn Sink> {
    match global.output {
        OutputFormat::Text => Box::new(Human::new()),
        OutputFormat::Json => Box::new(JsonLines::stderr()),
    }
}

/// Resolves when the user presses Ctrl-C: watching stops, the stack operation goes on.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling available: never interrupt.
        std::future::pending::<()>().await;
    }
}

/// Asks `question` on the terminal unless `yes`; refuses when there is no terminal to ask on.
pub fn confirm(question: &str, yes: bool) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::NotConfirmed(format!(
            "{question} Not confirmed: there is no terminal to ask on"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::NotConfirmed(
            "not confirmed; nothing was changed".into(),
        ))
    }
}

/// The stack named `name`, or a `NotFound` error naming it and the region.
pub async fn require_stack(clients: &Clients, name: &str) -> Result<StackInfo, Error> {
    crate::stack::describe_stack(&clients.cfn, name)
        .await?
        .ok_or_else(|| {
            crate::stack::StackError::NotFound {
                stack: name.to_string(),
                region: clients.region.clone(),
            }
            .into()
        })
}

/// Writes one pretty JSON document to stdout.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Writes text to stdout.
pub fn print_text(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The outputs of a stack as aligned `key  value` lines.
pub fn outputs_text(info: &StackInfo) -> String {
    let width = info.outputs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    info.outputs
        .iter()
        .map(|(k, v)| format!("  {k:<width$}  {v}\n"))
        .collect()
}

/// Outputs as a JSON object.
pub fn outputs_json(info: &StackInfo) -> serde_json::Value {
    serde_json::Value::Object(
        info.outputs
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The IAM preflight of a stack verb (unless `skip`): every action `verb` needs on a stack of
/// `template` (plus `extra` calls) must be allowed to the caller, or nothing happens (exit 2).
pub async fn preflight(
    clients: &Clients,
    verb: crate::preflight::Verb,
    template: &serde_json::Value,
    extra: &[&'static str],
    skip: bool,
) -> Result<(), Error> {
    if skip {
        eprintln!("preflight: skipped (--skip-preflight)");
        return Ok(());
    }
    let needed = crate::preflight::actions::required(verb, template, extra);
    let passed = crate::preflight::check(clients, verb, &needed).await?;
    eprintln!("{}", passed.line(verb));
    Ok(())
}
