//! `swarm-aws up`: render the cluster template, create the stack or update it through a change set,
//! follow it live, print the outputs and the instance inventory, then bootstrap swarmd onto the
//! provider's hosts of those instances (`--sandbox`: local hosts for the emulator's instances). Before
//! anything is created, the IAM preflight; after the stack, the swarmd builds go to its bucket and,
//! after the bootstrap, the join material to its SSM parameters ([`crate::self_join`]). With
//! `--sandbox --monitoring`, the sandbox's Prometheus starts last ([`crate::sandbox::monitoring`]).

use serde_json::json;

use super::shared::{
    ctrl_c, outputs_json, outputs_text, print_json, print_text, progress_sink, target,
};
use crate::cli::{GlobalArgs, OutputFormat, UpArgs};
use crate::engine::{choose, ClusterEngine, Engine, EngineKind, ENGINE_TAG};
use crate::inventory::inventory;
use crate::provider::{EmulatorUse, HostProvider, Provider};
use crate::spec::load::load;
use crate::stack::deploy::resource_count;
use crate::stack::{deploy, describe_stack, plan, DeployReport, DeployRequest};
use crate::template::outputs::keys::ARTIFACT_BUCKET;
use crate::template::{render_cluster, to_json_string};
use crate::Error;

/// Runs `swarm-aws up`.
pub async fn run(global: &GlobalArgs, args: &UpArgs) -> Result<(), Error> {
    let mut target = target(global, args.sandbox, EmulatorUse::Start);
    let mut input = args.cluster.spec_input(global.region.as_deref());
    target.provider.spec_defaults(&mut input.flags);
    let spec = load(&input)?;
    if args.monitoring {
        if let Provider::Sandbox(p) = &mut target.provider {
            p.monitoring = true;
            p.check_monitoring(&spec.name)?;
        }
    }
    // Before anything is created: the build to install must be there.
    if !(args.no_bootstrap || args.dry_run) {
        Engine::of(args.engine.unwrap_or_default()).builds()?;
    }
    let template = render_cluster(&spec);
    let mut req = DeployRequest {
        stack: spec.name.clone(),
        template: to_json_string(&template),
        parameters: Vec::new(),
        tags: spec
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cluster: spec.name.clone(),
    };
    let clients = target.connect(&spec.name, spec.region.as_deref()).await?;
    // The engine is recorded with the stack; an existing cluster keeps its own.
    let existing = describe_stack(&clients.cfn, &req.stack).await?;
    let kind = choose(
        &spec.name,
        args.engine,
        existing.as_ref().map(|i| i.tag(ENGINE_TAG)),
    )?;
    let engine = Engine::of(kind);
    if args.monitoring && kind != EngineKind::Swarmd {
        return Err(Error::Fields(vec![crate::spec::FieldError::new(
            "--monitoring",
            "true",
            format!(
                "cluster {} runs {kind}: --monitoring scrapes swarmd's metrics",
                spec.name
            ),
        )]));
    }
    req.tags.retain(|(k, _)| k != ENGINE_TAG);
    req.tags.push((ENGINE_TAG.to_string(), kind.to_string()));

    if args.dry_run {
        return dry_run(global, &clients, &req, resource_count(&template)).await;
    }

    let key_call: Vec<&'static str> = crate::preflight::actions::key_pair_call(&spec.ssh_key)
        .into_iter()
        .collect();
    super::shared::preflight(
        &clients,
        crate::preflight::Verb::Up,
        &template,
        &key_call,
        args.skip_preflight,
    )
    .await?;
    let key_name = spec.key_pair_name();
    let key_action =
        crate::keypair::ensure_key_pair(&clients, &spec.name, &key_name, &spec.ssh_key).await?;
    if global.output == OutputFormat::Text {
        eprintln!("key pair {key_name}: {key_action:?}");
    }
    let mut sink = progress_sink(global);
    let report = deploy(&clients, &req, sink.as_mut(), ctrl_c()).await?;
    let info = super::shared::require_stack(&clients, &req.stack).await?;
    let inv = inventory(&clients, &info.id).await?;
    // The builds new instances install on their own (self-join), with their checksums.
    let bucket = info.output(ARTIFACT_BUCKET).map(str::to_string);
    if let (Some(bucket), false, EngineKind::Swarmd) = (&bucket, args.no_bootstrap, kind) {
        let builds = crate::bootstrap::Binaries::load(&engine.builds()?).await?;
        let archs = crate::self_join::upload_builds(&clients, &spec.name, bucket, &builds).await?;
        eprintln!("uploaded swarmd ({}) to s3://{bucket}", archs.join(", "));
        let guides = crate::self_join::upload_guides(&clients, &spec.name, bucket, &builds).await?;
        if guides.is_empty() {
            eprintln!(
                "no swarm-guide beside the swarmd builds: managers will not drain terminating \
                 instances (build it: `cargo build -p swarm-guide`)"
            );
        } else {
            eprintln!(
                "uploaded swarm-guide ({}) to s3://{bucket}",
                guides.join(", ")
            );
        }
    }
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": info.name,
            "region": clients.region,
            "result": report,
            "status": info.status,
            "outputs": outputs_json(&info),
            "inventory": inv,
            "key_pair": { "name": key_name, "action": key_action },
        }))?,
        OutputFormat::Text => {
            let headline = match &report {
                DeployReport::Created { status } => {
                    format!("created stack {} ({status})", info.name)
                }
                DeployReport::Updated { status, change_set } => {
                    format!(
                        "updated stack {} ({status}, change set {change_set})",
                        info.name
                    )
                }
                DeployReport::NoChanges => {
                    format!("stack {} is up to date: no changes", info.name)
                }
            };
            let text = format!(
                "{headline}\n\nOutputs:\n{}\n{}",
                outputs_text(&info),
                inv.table()
            );
            print_text(&text)?
        }
    }
    if args.no_bootstrap {
        return Ok(());
    }
    // The orchestrator, over SSH on the hosts of the instances (`--no-bootstrap` skips it;
    // `swarm-aws bootstrap` resumes it).
    let provider = &target.provider;
    provider.sync(&spec.name, &inv).await?;
    let hosts = provider.hosts(&spec.name, &inv)?;
    eprintln!("bootstrapping {kind} over SSH on {} host(s)", hosts.len());
    let mut opts = provider.options(&spec.name, &engine.builds()?)?;
    if kind == EngineKind::Swarmd {
        opts.guide = crate::provider::guide_setup(provider, &clients, &info, &inv).await?;
    }
    let report = engine.bootstrap(&hosts, &opts).await?;
    // What a new instance needs to join by itself: only the instance role can read it.
    if let (Some(join), Some(_)) = (&report.join, &bucket) {
        crate::self_join::put_join_material(&clients, &spec.name, join).await?;
        eprintln!(
            "wrote the join tokens (SecureString) and manager addresses under {}",
            crate::template::self_join::parameter_path(&spec.name)
        );
    }
    // The sandbox's load balancer, standing for the ELB (its listeners, the nodes' health).
    if let Provider::Sandbox(p) = provider {
        let lb = p.start_lb(&spec.name, &clients.region).await?;
        eprintln!("sandbox LB: {}", crate::provider::sandbox::lb_text(&lb));
    }
    // `--monitoring`: Prometheus, once the nodes (and a manager to sign its certificate) are up.
    let prometheus = match provider {
        Provider::Sandbox(p) if args.monitoring => {
            Some(p.start_monitoring(&spec.name, &inv).await?)
        }
        _ => provider.prometheus(&spec.name),
    };
    super::bootstrap::print_report(
        global,
        &spec.name,
        kind,
        &report,
        provider.registry(&spec.name).as_deref(),
        prometheus.as_deref(),
    )?;
    if let (OutputFormat::Text, Some(next)) = (global.output, provider.next_step(&spec.name)) {
        print_text(&format!("{next}\n"))?;
    }
    Ok(())
}

async fn dry_run(
    global: &GlobalArgs,
    clients: &crate::aws::Clients,
    req: &DeployRequest,
    resources: usize,
) -> Result<(), Error> {
    if describe_stack(&clients.cfn, &req.stack).await?.is_none() {
        return match global.output {
            OutputFormat::Json => print_json(&json!({"stack": req.stack, "action": "create", "resources": resources})),
            OutputFormat::Text => print_text(&format!(
                "would create stack {} with {resources} resources in {} (dry run: nothing changed)\n",
                req.stack, clients.region
            )),
        };
    }
    let p = plan(clients, req).await?;
    super::scale_print::print_plan(global, &req.stack, &p)
}
