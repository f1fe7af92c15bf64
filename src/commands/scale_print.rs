//! What `scale` prints: a dry run's change set, the membership part of a plan, and the outcome of
//! a scale that moved the membership (pure text, plus writing it).

use serde_json::json;

use super::shared::{print_json, print_text};
use crate::bootstrap::{BootstrapReport, LeaveReport, ScalePlan};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::stack::{DeployReport, Plan};
use crate::Error;

/// Prints a dry run's plan.
pub fn print_plan(global: &GlobalArgs, stack: &str, p: &Plan) -> Result<(), Error> {
    if global.output == OutputFormat::Json {
        return print_json(&json!({"stack": stack, "dry_run": true, "plan": p}));
    }
    let mut text = format!("change set for stack {stack} (dry run: nothing changed)\n");
    if p.is_empty() {
        text.push_str("  no changes\n");
    }
    for (k, old, new) in &p.parameter_changes {
        text.push_str(&format!("  parameter {k}: {old} -> {new}\n"));
    }
    if p.template_changed {
        text.push_str("  template: changed\n");
    }
    for c in &p.changes {
        let action = match (c.action.as_str(), c.replacement.as_deref()) {
            ("Modify", Some("True")) => "replace".to_string(),
            ("Modify", Some("Conditional")) => "modify (may replace)".to_string(),
            (a, _) => a.to_ascii_lowercase(),
        };
        text.push_str(&format!(
            "  {action:<20} {:<32} {}\n",
            c.logical_id, c.resource_type
        ));
    }
    if p.changes.is_empty() && !p.is_empty() {
        text.push_str("  (the backend listed no resource-level changes)\n");
    }
    print_text(&text)
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

/// Prints the outcome of a scale that moved the membership.
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
