//! `swarm-aws status`: stack status, sizes, outputs and the instance table.

use serde_json::json;

use super::shared::{outputs_json, outputs_text, print_json, print_text, target};
use crate::cli::{GlobalArgs, OutputFormat, StatusArgs};
use crate::inventory::{inventory, Role};
use crate::provider::{EmulatorUse, HostProvider};
use crate::stack::StackError;
use crate::Error;

/// Runs `swarm-aws status`.
pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<(), Error> {
    let name = &args.cluster.name;
    let mut target = target(global, args.sandbox, EmulatorUse::Existing);
    let clients = target.connect(name, None).await?;
    let info = super::shared::require_stack(&clients, name).await?;
    if !info.is_swarm_aws() {
        return Err(StackError::NotOurs { stack: info.name }.into());
    }
    let inv = inventory(&clients, &info.id).await?;
    let (managers, workers) = (
        inv.with_role(Role::Manager).count(),
        inv.with_role(Role::Worker).count(),
    );
    // A sandbox has its own image registry.
    let registry = target.provider.registry(name);
    let prometheus = target.provider.prometheus(name);
    let lb = match &target.provider {
        crate::provider::Provider::Sandbox(p) => p.lb_status(name),
        _ => None,
    };
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": info.name,
            "registry": registry,
            "prometheus": prometheus,
            "load_balancer": lb,
            "region": clients.region,
            "status": info.status,
            "reason": info.reason,
            "managers": managers,
            "workers": workers,
            "groups": inv.groups,
            "outputs": outputs_json(&info),
            "instances": inv.instances,
        })),
        OutputFormat::Text => {
            let mut text = format!(
                "cluster {} in {}: {}{}\n",
                info.name,
                clients.region,
                info.status,
                info.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            for g in &inv.groups {
                text.push_str(&format!(
                    "  {:<8} {:<40} desired {} (min {}, max {})\n",
                    g.role.to_string(),
                    g.name,
                    g.desired,
                    g.min,
                    g.max
                ));
            }
            if let Some(registry) = &registry {
                text.push_str(&format!("  registry: {registry} (sandbox)\n"));
            }
            if let Some(lb) = &lb {
                text.push_str(&format!(
                    "  load balancer: {} (sandbox)\n",
                    crate::provider::sandbox::lb_text(lb)
                ));
            }
            if let Some(url) = &prometheus {
                text.push_str(&format!("  prometheus: {url} (sandbox, up --monitoring)\n"));
            }
            text.push_str(&format!(
                "  instances: {managers} manager(s), {workers} worker(s)\n\nOutputs:\n{}\n{}",
                outputs_text(&info),
                inv.table()
            ));
            print_text(&text)
        }
    }
}
