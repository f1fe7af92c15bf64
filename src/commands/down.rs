//! `swarm-aws down`: confirm, delete the cluster's stack and follow it to the end; explain a
//! DELETE_FAILED and offer `--retain`.

use serde_json::json;

use super::shared::{confirm, connect, ctrl_c, print_json, print_text, progress_sink};
use crate::cli::{DownArgs, GlobalArgs, OutputFormat};
use crate::stack::{delete, DeleteOptions, DeleteReport};
use crate::Error;

/// Runs `swarm-aws down`.
pub async fn run(global: &GlobalArgs, args: &DownArgs) -> Result<(), Error> {
    let clients = connect(global, None).await?;
    // Check existence and ownership before asking.
    let info = super::shared::require_stack(&clients, &args.name).await?;
    if !info.is_swarm_aws() {
        return Err(crate::stack::StackError::NotOurs { stack: info.name }.into());
    }
    confirm(
        &format!(
            "Delete cluster {} ({}) in {} and every resource in it?",
            info.name, info.status, clients.region
        ),
        args.yes,
    )?;
    let opts = DeleteOptions {
        retain: args.retain.clone(),
        retries: 1,
    };
    let mut sink = progress_sink(global);
    let report = delete(&clients, &args.name, &opts, sink.as_mut(), ctrl_c()).await?;
    // The key pair `up` made goes with the stack (pairs given with --key-name stay).
    if let Some(pair) = crate::keypair::delete_created(&clients, &args.name).await? {
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
