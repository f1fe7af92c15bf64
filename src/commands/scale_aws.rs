//! `scale` on AWS: resize the stack and the cluster's membership together.
//!
//! Shrinking takes the leaving nodes out first, over SSH (drain, demote managers one by one,
//! leave, stop swarmd), then protects the instances that stay from scale-in so the stack update
//! terminates exactly the instances that left, then lifts the protection. Growing updates the
//! stack, waits until every new instance has an address, and joins them with the resumable
//! bootstrap (managers one by one as Raft voters, workers in parallel). `--dry-run` shows the
//! change set and which nodes would join, drain, demote and leave; `--no-bootstrap` resizes the
//! stack only.

use std::time::{Duration, Instant};

use serde_json::json;

use super::scale::{check_sizes, print_plan, request};
use super::scale_sandbox::{membership_text, print_scaled};
use super::shared::{connect, ctrl_c, print_json, print_text, progress_sink, require_stack};
use crate::bootstrap::{
    aws_hosts, aws_options, bootstrap_report, read_members, scale_plan, take_out, BootstrapError,
};
use crate::cli::{GlobalArgs, OutputFormat, ScaleArgs};
use crate::inventory::{inventory, Inventory};
use crate::scale_in::{protection, set_protection};
use crate::stack::deploy::check_updatable;
use crate::stack::{deploy, plan};
use crate::Error;

/// How long new instances get to show up with an address after the stack update.
const INSTANCE_WAIT: Duration = Duration::from_secs(600);

fn boot(e: BootstrapError) -> Error {
    Error::Bootstrap(e.to_string())
}

/// Whether the inventory holds exactly `want` live instances, each with a private address (pure).
pub fn instances_settled(inv: &Inventory, want: usize) -> bool {
    let live: Vec<_> = inv.instances.iter().filter(|i| i.is_live()).collect();
    live.len() == want && live.iter().all(|i| i.private_ip.is_some())
}

async fn wait_for_instances(
    clients: &crate::aws::Clients,
    stack_id: &str,
    want: usize,
) -> Result<Inventory, Error> {
    let deadline = Instant::now() + INSTANCE_WAIT;
    loop {
        let inv = inventory(clients, stack_id).await?;
        if instances_settled(&inv, want) {
            return Ok(inv);
        }
        if Instant::now() >= deadline {
            return Err(Error::Bootstrap(format!(
                "the stack's groups did not settle on {want} running instance(s) with addresses \
                 within {} s (now {}); run `swarm-aws bootstrap` once they have",
                INSTANCE_WAIT.as_secs(),
                inv.instances.len()
            )));
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Runs `swarm-aws scale` on AWS.
pub async fn run(global: &GlobalArgs, args: &ScaleArgs) -> Result<(), Error> {
    check_sizes(args.managers, args.workers)?;
    let clients = connect(global, None).await?;
    let info = require_stack(&clients, &args.name).await?;
    check_updatable(&info)?;
    let req = request(&clients, &info, args).await?;
    let swarmd = super::sandbox::locate_swarmd_builds()?;
    let inv = inventory(&clients, &info.id).await?;
    let hosts = aws_hosts(&inv).map_err(boot)?;
    let opts = aws_options(&req.cluster, &swarmd).map_err(boot)?;
    let position = |id: &str| inv.instances.iter().position(|i| i.id == id).unwrap_or(0);
    let members = read_members(&hosts, &opts, position).await.map_err(|e| {
        Error::Bootstrap(format!(
            "{e}\n  (scale reads the membership over SSH to pick the nodes that leave; if the \
             instances cannot be reached, resize the stack only with --no-bootstrap)"
        ))
    })?;
    let membership = scale_plan(
        &members,
        args.managers.map(|m| m as usize),
        args.workers.map(|w| w as usize),
    )
    .map_err(|e| Error::Bootstrap(e.to_string()))?;

    if args.dry_run {
        let change_set = plan(&clients, &req).await?;
        if global.output == OutputFormat::Json {
            return print_json(&json!({
                "stack": info.name, "dry_run": true, "plan": change_set, "nodes": membership,
            }));
        }
        print_plan(global, &info.name, &change_set)?;
        return print_text(&membership_text(&membership));
    }

    if global.output == OutputFormat::Text {
        eprint!("{}", membership_text(&membership));
    }
    let left = take_out(&hosts, &membership, &members, &opts)
        .await
        .map_err(boot)?;
    let leaving: Vec<String> = membership.leave.iter().map(|d| d.host.clone()).collect();
    let guard = protection(&inv, &leaving);
    set_protection(&clients, &guard, true).await?;
    let mut sink = progress_sink(global);
    let deployed = deploy(&clients, &req, sink.as_mut(), ctrl_c()).await;
    // Lift the protection whatever the update did; instances the update replaced are gone.
    if let Err(e) = set_protection(&clients, &guard, false).await {
        eprintln!("warning: could not lift the scale-in protection of the staying instances: {e}");
    }
    let report = deployed?;
    let want = membership.managers_after + membership.workers_after;
    let inv = wait_for_instances(&clients, &info.id, want).await?;
    let hosts = aws_hosts(&inv).map_err(boot)?;
    let joined = bootstrap_report(&hosts, &opts).await.map_err(boot)?;
    print_scaled(global, &info.name, &report, &membership, &left, &joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Instance, Role};

    fn inst(id: &str, life: &str, ip: Option<&str>) -> Instance {
        Instance {
            id: id.into(),
            role: Role::Worker,
            group: "w".into(),
            az: "us-east-1a".into(),
            lifecycle: life.into(),
            private_ip: ip.map(String::from),
            public_ip: None,
        }
    }

    #[test]
    fn instances_settle_when_the_live_count_matches_and_all_have_addresses() {
        let inv = |instances| Inventory {
            groups: Vec::new(),
            instances,
        };
        let a = inst("i-a", "InService", Some("10.0.0.1"));
        let gone = inst("i-g", "Terminating", Some("10.0.0.9"));
        let fresh = inst("i-b", "Pending", None);
        assert!(instances_settled(&inv(vec![a.clone(), gone.clone()]), 1));
        assert!(!instances_settled(&inv(vec![a.clone(), fresh.clone()]), 2));
        let booted = inst("i-b", "Pending", Some("10.0.0.2"));
        assert!(instances_settled(&inv(vec![a.clone(), booted]), 2));
        assert!(!instances_settled(&inv(vec![a]), 2));
    }
}
