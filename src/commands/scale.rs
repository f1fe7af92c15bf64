//! `swarm-aws scale`: change the manager and worker counts of a running cluster through a change
//! set on its deployed template; `--dry-run` prints the change set without executing it.
//!
//! The membership goes with it ([`super::scale_aws`] on AWS, [`super::scale_sandbox`] in the
//! sandbox); `--no-bootstrap` resizes the stack only (here).

use serde_json::json;

use super::shared::{connect, ctrl_c, print_json, print_text, progress_sink};
use crate::cli::{GlobalArgs, OutputFormat, ScaleArgs};
use crate::inventory::{inventory, Role};
use crate::spec::{FieldError, MANAGER_COUNTS, MAX_WORKERS};
use crate::stack::deploy::{check_updatable, template_body};
use crate::stack::{deploy, plan, DeployRequest, Plan, CLUSTER_TAG};
use crate::Error;

/// Stack parameter holding the manager count.
pub const MANAGER_PARAM: &str = "ManagerSize";
/// Stack parameter holding the worker count.
pub const WORKER_PARAM: &str = "WorkerSize";

/// Checks the requested sizes (pure).
pub fn check_sizes(managers: Option<u32>, workers: Option<u32>) -> Result<(), Error> {
    let mut errs = Vec::new();
    if managers.is_none() && workers.is_none() {
        errs.push(FieldError::new(
            "--managers/--workers",
            "(none)",
            "give at least one new size, e.g. --workers 10",
        ));
    }
    if managers == Some(0) {
        errs.push(FieldError::new(
            "--managers",
            0,
            "the cluster would keep 0 managers and lose its Raft quorum; keep at least 1 \
             (an odd count: 1, 3, 5 or 7)",
        ));
    } else if let Some(m) = managers {
        if !MANAGER_COUNTS.contains(&m) {
            errs.push(FieldError::new(
                "--managers",
                m,
                "must be 1, 3, 5 or 7 (an odd count keeps a Raft majority)",
            ));
        }
    }
    if let Some(w) = workers {
        if w > MAX_WORKERS {
            errs.push(FieldError::new(
                "--workers",
                w,
                format!("must be 0 to {MAX_WORKERS}"),
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::Fields(errs))
    }
}

/// Runs `swarm-aws scale`; with `--no-bootstrap`, the stack-only resize done here.
pub async fn run(global: &GlobalArgs, args: &ScaleArgs) -> Result<(), Error> {
    if args.sandbox {
        return super::scale_sandbox::run(global, args).await;
    }
    if !args.no_bootstrap {
        return super::scale_aws::run(global, args).await;
    }
    check_sizes(args.managers, args.workers)?;
    let clients = connect(global, None).await?;
    let info = super::shared::require_stack(&clients, &args.name).await?;
    check_updatable(&info)?;
    let req = request(&clients, &info, args).await?;
    if args.dry_run {
        let p = plan(&clients, &req).await?;
        return print_plan(global, &info.name, &p);
    }
    let mut sink = progress_sink(global);
    let report = deploy(&clients, &req, sink.as_mut(), ctrl_c()).await?;
    let inv = inventory(&clients, &info.id).await?;
    let (m, w) = (
        inv.with_role(Role::Manager).count(),
        inv.with_role(Role::Worker).count(),
    );
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": info.name, "result": report, "managers": m, "workers": w, "inventory": inv,
        })),
        OutputFormat::Text => print_text(&format!(
            "cluster {}: {m} manager(s), {w} worker(s)\n\n{}",
            info.name,
            inv.table()
        )),
    }
}

/// The stack update that sets the new sizes on the deployed template.
pub(super) async fn request(
    clients: &crate::aws::Clients,
    info: &crate::stack::StackInfo,
    args: &ScaleArgs,
) -> Result<DeployRequest, Error> {
    // Only the sizes are passed: every other parameter keeps its template default, which is what
    // `up` deployed (it sets everything through defaults). The size not being changed keeps its
    // current value.
    let mut parameters = Vec::new();
    for (key, value) in [(MANAGER_PARAM, args.managers), (WORKER_PARAM, args.workers)] {
        let current = info.parameter(key).map(str::to_string);
        if let Some(v) = value.map(|v| v.to_string()).or(current) {
            parameters.push((key.to_string(), v));
        }
    }
    let req = DeployRequest {
        stack: info.name.clone(),
        template: template_body(clients, &info.id).await?,
        parameters,
        tags: info
            .tags
            .iter()
            .filter(|(k, _)| k != CLUSTER_TAG)
            .cloned()
            .collect(),
        cluster: info.tag(CLUSTER_TAG).unwrap_or(&info.name).to_string(),
    };
    Ok(req)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_with_field_names() {
        assert!(check_sizes(Some(3), Some(10)).is_ok());
        assert!(check_sizes(None, Some(0)).is_ok());
        let e = check_sizes(Some(4), Some(1001)).unwrap_err().to_string();
        assert!(e.contains("--managers") && e.contains('4'), "{e}");
        assert!(e.contains("--workers") && e.contains("1001"), "{e}");
        assert!(check_sizes(None, None)
            .unwrap_err()
            .to_string()
            .contains("--workers 10"));
    }
}
