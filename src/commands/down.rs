//! `swarm-aws down`: confirm, delete the cluster's stack and follow it to the end; explain a
//! DELETE_FAILED and offer `--retain`. Then the provider removes what it keeps locally
//! (`--sandbox`: the hosts, and the emulator if the sandbox started it); the cluster's local
//! tunnel (docker-env) is stopped.

use serde_json::json;

use super::shared::{confirm, ctrl_c, print_json, print_text, progress_sink, target};
use crate::aws::Clients;
use crate::cli::{DownArgs, GlobalArgs, OutputFormat};
use crate::provider::{EmulatorUse, HostProvider};
use crate::stack::{delete, DeleteOptions, DeleteReport};
use crate::Error;

/// Runs `swarm-aws down`.
pub async fn run(global: &GlobalArgs, args: &DownArgs) -> Result<(), Error> {
    let mut target = target(global, args.sandbox, EmulatorUse::IfRunning);
    let clients = target.connect(&args.name, None).await?;
    // Check existence and ownership before asking.
    match super::shared::require_stack(&clients, &args.name).await {
        Ok(info) => {
            if !info.is_swarm_aws() {
                return Err(crate::stack::StackError::NotOurs { stack: info.name }.into());
            }
            let template = crate::stack::deploy::template_body(&clients, &info.id).await?;
            super::shared::preflight(
                &clients,
                crate::preflight::Verb::Down,
                &serde_json::from_str(&template).unwrap_or_default(),
                &[],
                args.skip_preflight,
            )
            .await?;
            confirm(
                &format!(
                    "Delete cluster {} ({}) in {} and every resource in it?",
                    info.name, info.status, clients.region
                ),
                args.yes,
            )?;
            delete_stack(global, &clients, args).await?;
        }
        Err(e) if target.provider.stack_gone(&e) => {
            eprintln!("stack {} is gone already: {e}", args.name);
        }
        Err(e) => return Err(e),
    }
    // The docker CLI's tunnel (docker-env, context) leads nowhere now.
    if let Ok(dir) = crate::tunnel::config_dir(&args.name) {
        if let Some(r) = crate::tunnel::process::stop(&dir, &args.name)? {
            eprintln!(
                "stopped the tunnel of {} (pid {}, 127.0.0.1:{})",
                args.name,
                r.pid.unwrap_or_default(),
                r.port
            );
        }
    }
    target.provider.teardown(&args.name).await
}

async fn delete_stack(
    global: &GlobalArgs,
    clients: &Clients,
    args: &DownArgs,
) -> Result<(), Error> {
    // The self-join material goes first: CloudFormation deletes only an empty bucket, and the
    // parameters are not the stack's resources.
    let info = super::shared::require_stack(clients, &args.name).await?;
    if let Some(bucket) = info.output(crate::template::outputs::keys::ARTIFACT_BUCKET) {
        let objects = crate::self_join::empty_bucket(clients, bucket).await?;
        eprintln!("emptied bucket {bucket} ({objects} object(s))");
    }
    let params = crate::self_join::delete_parameters(clients, &args.name).await?;
    if params > 0 {
        eprintln!(
            "deleted {params} parameter(s) under {}",
            crate::template::self_join::parameter_path(&args.name)
        );
    }
    let opts = DeleteOptions {
        retain: args.retain.clone(),
        retries: 1,
    };
    let mut sink = progress_sink(global);
    let report = delete(clients, &args.name, &opts, sink.as_mut(), ctrl_c()).await?;
    // The key pair `up` made goes with the stack (pairs given with --key-name stay).
    if let Some(pair) = crate::keypair::delete_created(clients, &args.name).await? {
        eprintln!("deleted EC2 key pair {pair} (created by swarm-aws up)");
    }
    let DeleteReport::Deleted {
        retained, warning, ..
    } = &report;
    match global.output {
        OutputFormat::Json => print_json(&json!({"stack": args.name, "result": report})),
        OutputFormat::Text => {
            let mut text = format!("deleted stack {}\n", args.name);
            if !retained.is_empty() {
                text.push_str(&format!(
                    "retained (delete them yourself): {}\n",
                    retained.join(", ")
                ));
            }
            if let Some(w) = warning {
                text.push_str(&format!("warning: the backend reported an error while deleting, but the stack is gone: {w}\n"));
            }
            print_text(&text)
        }
    }
}
