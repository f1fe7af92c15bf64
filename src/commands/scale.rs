//! `swarm-aws scale`: change the manager and worker counts of a running cluster, its stack and
//! its membership together, on AWS and in the sandbox alike (the provider's hosts).
//!
//! The membership is read through the cluster's API. Shrinking takes the leaving nodes out first
//! over SSH (drain, demote managers one by one, leave, stop swarmd) and removes their hosts, then
//! protects the instances that stay from scale-in so the stack update terminates exactly the
//! instances that left, then lifts the protection. Growing updates the stack, waits until every
//! new instance has an address, lets the provider's hosts follow the instances and joins them with
//! the resumable bootstrap (managers one by one as Raft voters, workers in parallel). `--dry-run`
//! shows the change set and which nodes would join, drain, demote and leave; `--no-bootstrap`
//! resizes the stack only.

use std::time::{Duration, Instant};

use serde_json::json;

use super::scale_print::{membership_text, print_plan, print_scaled};
use super::shared::{ctrl_c, print_json, print_text, progress_sink, require_stack, target};
use crate::aws::Clients;
use crate::bootstrap::{members_of, scale_plan, BootstrapHost, BootstrapOptions, Member};
use crate::cli::{GlobalArgs, OutputFormat, ScaleArgs};
use crate::engine::{choose, ClusterEngine, Engine, EngineKind, ENGINE_TAG};
use crate::inventory::{inventory, Inventory, Role};
use crate::provider::{EmulatorUse, HostProvider, Provider};
use crate::scale_in::{protection, set_protection};
use crate::spec::{FieldError, MANAGER_COUNTS, MAX_WORKERS};
use crate::stack::deploy::{check_updatable, template_body};
use crate::stack::{deploy, plan, DeployRequest, StackError, StackInfo, CLUSTER_TAG};
use crate::Error;

/// How long new instances get to show up with an address after the stack update.
const INSTANCE_WAIT: Duration = Duration::from_secs(600);

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

/// Runs `swarm-aws scale`.
pub async fn run(global: &GlobalArgs, args: &ScaleArgs) -> Result<(), Error> {
    check_sizes(args.managers, args.workers)?;
    let mut target = target(global, args.sandbox, EmulatorUse::Existing);
    let clients = target.connect(&args.name, None).await?;
    let info = require_stack(&clients, &args.name).await?;
    check_updatable(&info)?;
    let kind = choose(&args.name, args.engine, Some(info.tag(ENGINE_TAG)))?;
    let engine = Engine::of(kind);
    let req = request(&clients, &info, args).await?;
    if !args.dry_run {
        let template = serde_json::from_str(&req.template).unwrap_or_default();
        super::shared::preflight(
            &clients,
            crate::preflight::Verb::Scale,
            &template,
            &[],
            args.skip_preflight,
        )
        .await?;
    }
    if args.no_bootstrap {
        return resize_stack(global, &clients, &info, &req, args.dry_run).await;
    }
    let provider = &target.provider;
    let cluster = req.cluster.as_str();
    let swarmd = engine.builds()?;
    let inv = inventory(&clients, &info.id).await?;
    provider.sync(cluster, &inv).await?;
    let hosts = provider.hosts(cluster, &inv)?;
    let mut opts = provider.options(cluster, &swarmd)?;
    if kind == EngineKind::Swarmd {
        opts.guide = crate::provider::guide_setup(provider, &clients, &info, &inv).await?;
    }
    let members = read_members(&engine, provider, cluster, &inv, &hosts, &opts).await?;
    let membership = scale_plan(
        &members,
        args.managers.map(|m| m as usize),
        args.workers.map(|w| w as usize),
    )?;

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
    // The leaving nodes go first (drain, demote, leave, stop), then their hosts.
    let left = engine
        .take_out(&hosts, &membership, &members, &opts)
        .await?;
    let leaving: Vec<String> = membership.leave.iter().map(|d| d.host.clone()).collect();
    provider.remove(cluster, &leaving).await?;
    // The groups may only terminate the instances whose nodes left.
    let leaving_instances: Vec<String> = hosts
        .iter()
        .filter(|h| leaving.contains(&h.id))
        .map(|h| h.instance.clone())
        .collect();
    let guard = protection(&inv, &leaving_instances);
    set_protection(&clients, &guard, true).await?;
    let mut sink = progress_sink(global);
    let deployed = deploy(&clients, &req, sink.as_mut(), ctrl_c()).await;
    // Lift the protection whatever the update did; instances the update replaced are gone.
    if let Err(e) = set_protection(&clients, &guard, false).await {
        eprintln!("warning: could not lift the scale-in protection of the staying instances: {e}");
    }
    let report = deployed?;
    // New instances join once they have addresses; their hosts follow them.
    let want = membership.managers_after + membership.workers_after;
    let inv = wait_for_instances(&clients, &info.id, want).await?;
    provider.sync(cluster, &inv).await?;
    let hosts = provider.hosts(cluster, &inv)?;
    let joined = engine.bootstrap(&hosts, &opts).await?;
    print_scaled(global, &info.name, &report, &membership, &left, &joined)
}

/// The membership of the cluster on `hosts`, read through its engine (the node table of a
/// manager), each host matched to its node; a host's age is its position in `hosts`.
async fn read_members(
    engine: &Engine,
    provider: &Provider,
    cluster: &str,
    inv: &Inventory,
    hosts: &[BootstrapHost],
    opts: &BootstrapOptions,
) -> Result<Vec<Member>, Error> {
    let table = engine.node_table(provider, cluster, inv, opts).await?;
    let position = |id: &str| hosts.iter().position(|h| h.id == id).unwrap_or(0);
    Ok(members_of(hosts, &table, position))
}

/// `--no-bootstrap`: the stack-only resize (the groups pick which instances go).
async fn resize_stack(
    global: &GlobalArgs,
    clients: &Clients,
    info: &StackInfo,
    req: &DeployRequest,
    dry_run: bool,
) -> Result<(), Error> {
    if dry_run {
        let p = plan(clients, req).await?;
        return print_plan(global, &info.name, &p);
    }
    let mut sink = progress_sink(global);
    let report = deploy(clients, req, sink.as_mut(), ctrl_c()).await?;
    let inv = inventory(clients, &info.id).await?;
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

/// Whether the inventory holds exactly `want` live instances, each with a private address (pure).
pub fn instances_settled(inv: &Inventory, want: usize) -> bool {
    let live: Vec<_> = inv.instances.iter().filter(|i| i.is_live()).collect();
    live.len() == want && live.iter().all(|i| i.private_ip.is_some())
}

async fn wait_for_instances(
    clients: &Clients,
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
            return Err(StackError::InstancesNotSettled {
                stack: stack_id.to_string(),
                want,
                have: inv.instances.iter().filter(|i| i.is_live()).count(),
                waited: INSTANCE_WAIT,
            }
            .into());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// The stack update that sets the new sizes on the deployed template.
pub(super) async fn request(
    clients: &Clients,
    info: &StackInfo,
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

    fn inst(id: &str, life: &str, ip: Option<&str>) -> crate::inventory::Instance {
        crate::inventory::Instance {
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
