//! `scale --sandbox`: resize a sandbox cluster and its membership together.
//!
//! Shrinking takes the leaving nodes out first (drain, demote managers, leave, stop swarmd),
//! then updates the stack, then removes their hosts. Growing updates the stack, then adds one
//! host per new instance and joins it (managers one by one as Raft voters, workers in parallel).
//! `--dry-run` shows the change set and which nodes would join, drain, demote and leave.

use serde_json::json;

use super::scale::{check_sizes, print_plan, request};
use super::shared::{ctrl_c, print_json, print_text, progress_sink, require_stack};
use crate::bootstrap::{scale_plan, BootstrapReport, LeaveReport, SandboxCluster, ScalePlan};
use crate::cli::{GlobalArgs, OutputFormat, ScaleArgs};
use crate::stack::deploy::check_updatable;
use crate::stack::{deploy, plan, DeployReport};
use crate::Error;

fn boot(e: crate::bootstrap::BootstrapError) -> Error {
    Error::Sandbox(e.to_string())
}

/// The membership part of a plan as text (pure).
pub fn membership_text(p: &ScalePlan) -> String {
    let mut text = String::from("nodes:\n");
    if p.is_noop() {
        text.push_str("  no membership changes\n");
    }
    for d in &p.leave {
        let steps = match (&d.node_id, d.demote) {
            (None, _) => "not in the cluster: remove its host only",
            (Some(_), true) => "drain, demote, leave, stop swarmd, remove host",
            (Some(_), false) => "drain, leave, stop swarmd, remove host",
        };
        text.push_str(&format!(
            "  leave  {} {} ({}): {steps}\n",
            d.role, d.host, d.addr
        ));
    }
    if p.join_managers > 0 {
        text.push_str(&format!(
            "  join   {} new manager(s), one by one as Raft voters\n",
            p.join_managers
        ));
    }
    if p.join_workers > 0 {
        text.push_str(&format!(
            "  join   {} new worker(s), in parallel\n",
            p.join_workers
        ));
    }
    text.push_str(&format!(
        "  after: {} manager(s), {} worker(s)\n",
        p.managers_after, p.workers_after
    ));
    text
}

/// Prints the outcome of a scale that moved the membership (AWS and sandbox alike).
pub fn print_scaled(
    global: &GlobalArgs,
    stack: &str,
    report: &DeployReport,
    membership: &ScalePlan,
    left: &[LeaveReport],
    joined: &BootstrapReport,
) -> Result<(), Error> {
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": stack,
            "result": report,
            "plan": membership,
            "left": left,
            "joined": {
                "managers": joined.plan.managers.len(),
                "workers": joined.plan.workers.len(),
                "skipped": joined.plan.skipped.len(),
            },
            "managers": membership.managers_after,
            "workers": membership.workers_after,
            "nodes": joined.nodes,
        })),
        OutputFormat::Text => print_text(&format!(
            "\ncluster {stack}: {} manager(s), {} worker(s)\n{}",
            membership.managers_after,
            membership.workers_after,
            joined.nodes.render()
        )),
    }
}

/// Runs `swarm-aws scale --sandbox`.
pub async fn run(global: &GlobalArgs, args: &ScaleArgs) -> Result<(), Error> {
    check_sizes(args.managers, args.workers)?;
    let global = super::sandbox::use_sandbox_emulator(global)?;
    let swarmd = super::sandbox::locate_swarmd()?;
    let clients = super::shared::connect(&global, None).await?;
    let info = require_stack(&clients, &args.name).await?;
    check_updatable(&info)?;
    let mut cluster = SandboxCluster::open(&args.name, &swarmd)
        .await
        .map_err(boot)?;
    let members = cluster.members().await.map_err(boot)?;
    let membership = scale_plan(
        &members,
        args.managers.map(|m| m as usize),
        args.workers.map(|w| w as usize),
    )
    .map_err(|e| Error::Sandbox(e.to_string()))?;
    let req = request(&clients, &info, args).await?;

    if args.dry_run {
        let change_set = plan(&clients, &req).await?;
        if global.output == OutputFormat::Json {
            return print_json(&json!({
                "stack": info.name, "dry_run": true, "plan": change_set, "nodes": membership,
            }));
        }
        print_plan(&global, &info.name, &change_set)?;
        return print_text(&membership_text(&membership));
    }

    if global.output == OutputFormat::Text {
        eprint!("{}", membership_text(&membership));
    }
    let left: Vec<LeaveReport> = cluster.shrink(&membership, &members).await.map_err(boot)?;
    let mut sink = progress_sink(&global);
    let report = deploy(&clients, &req, sink.as_mut(), ctrl_c()).await?;
    cluster.remove_hosts(&membership).await.map_err(boot)?;
    let joined = cluster.grow(&membership).await.map_err(boot)?;
    print_scaled(&global, &info.name, &report, &membership, &left, &joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::{Departure, NodeRole};

    #[test]
    fn membership_text_names_every_node_and_step() {
        let p = ScalePlan {
            join_managers: 0,
            join_workers: 2,
            leave: vec![Departure {
                host: "host-4".into(),
                role: NodeRole::Manager,
                addr: "10.213.1.14:2377".into(),
                node_id: Some("00000000000000a4".into()),
                demote: true,
            }],
            managers_after: 1,
            workers_after: 3,
        };
        let t = membership_text(&p);
        assert!(
            t.contains("leave  manager host-4 (10.213.1.14:2377): drain, demote, leave"),
            "{t}"
        );
        assert!(t.contains("join   2 new worker(s)"), "{t}");
        assert!(t.contains("after: 1 manager(s), 3 worker(s)"), "{t}");
        assert!(membership_text(&ScalePlan::default()).contains("no membership changes"));
    }
}
