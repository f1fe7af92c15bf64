//! `stack deploy`: read and check everything first (an input error creates nothing), then
//! create the missing networks, secrets and configs, create or update the services whose spec differs, and with
//! `--prune` remove the stack's services the file no longer has. A failure half-way says what
//! exists already; running the same deploy again completes it (every step is skipped when its
//! result is there).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{anyhow, Result};
use swarm_api::client::Client;
use swarm_api::file_ref::FileKind;
use swarm_api::service::Service;
use swarm_api::service_api::UpdateServiceRequest;
use swarm_compose::{ComposeError, Context, StackPlan};

use super::diff::{network_changes, prunable, resolve_networks, service_change, ServiceChange};
use super::files;
use super::read::{read_file, read_inputs};

/// Flags of `stack deploy` beyond the files and the name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--prune`.
    pub prune: bool,
    /// `--quiet`: no "Creating ..." lines.
    pub quiet: bool,
}

/// Reads, interpolates, merges and maps the compose files (all input errors happen here).
pub fn plan_from_files(
    files: &[String],
    stack: &str,
    err: &mut impl Write,
) -> Result<StackPlan, ComposeError> {
    swarm_compose::map::validate_stack_name(stack)?;
    let inputs = read_inputs(files)?;
    let lookup = |k: &str| {
        std::env::var(k)
            .ok()
            .or_else(|| inputs.dotenv.get(k).cloned())
    };
    let loaded = swarm_compose::load(&inputs.sources, &lookup)?;
    for w in &loaded.warnings {
        let _ = writeln!(err, "{w}\n");
    }
    let ctx = Context {
        stack,
        working_dir: &inputs.working_dir,
        lookup: &lookup,
        read: &read_file,
    };
    swarm_compose::plan(&loaded.file, &ctx)
}

/// What a deploy did before it stopped, for the error message.
#[derive(Default)]
struct Done {
    networks: Vec<String>,
    files: Vec<String>,
    services: Vec<String>,
}

impl Done {
    fn stopped(&self, at: &str, e: anyhow::Error) -> anyhow::Error {
        let mut s = format!("stack deploy stopped at {at}: {e:#}");
        if self.networks.is_empty() && self.files.is_empty() && self.services.is_empty() {
            s.push_str("\nnothing was created or changed by this run");
        } else {
            s.push_str("\ndone by this run before it stopped:");
            if !self.networks.is_empty() {
                s.push_str(&format!(" networks {};", self.networks.join(", ")));
            }
            if !self.files.is_empty() {
                s.push_str(&format!(" secrets/configs {};", self.files.join(", ")));
            }
            if !self.services.is_empty() {
                s.push_str(&format!(" services {};", self.services.join(", ")));
            }
        }
        s.push_str("\nfix the cause and run the same stack deploy again to complete it");
        anyhow!(s)
    }
}

/// Runs `stack deploy -c FILES STACK`.
pub async fn deploy(
    client: &Client,
    files: &[String],
    stack: &str,
    opts: Options,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    let plan = plan_from_files(files, stack, err)?;
    let networks = client.networks().ls().await?;
    let changes = network_changes(&plan, &networks);
    if let Some(n) = changes.missing_external.first() {
        return Err(ComposeError::key(
            "networks",
            format!("network {n:?} is declared as external, but could not be found"),
            format!("create a swarm-scoped network first: `network create -d overlay {n}`"),
        )
        .into());
    }
    let existing_files = files::existing(client).await?;
    let (secret_steps, config_steps) = files::changes(&plan, &existing_files)?;
    let mut done = Done::default();
    for n in &changes.create_networks {
        if !opts.quiet {
            writeln!(out, "Creating network {}", n.name)?;
        }
        client
            .networks()
            .create(n)
            .await
            .map_err(|e| done.stopped(&format!("network {}", n.name), e.into()))?;
        done.networks.push(n.name.clone());
    }
    for (kind, steps) in [
        (FileKind::Secret, &secret_steps),
        (FileKind::Config, &config_steps),
    ] {
        let created = files::apply(client, kind, steps, opts.quiet, out)
            .await
            .map_err(|e| done.stopped(&format!("{}s", kind.noun()), e))?;
        done.files.extend(created);
    }
    let existing_files = if secret_steps.is_empty() && config_steps.is_empty() {
        existing_files
    } else {
        files::existing(client).await?
    };
    let networks = if changes.create_networks.is_empty() {
        networks
    } else {
        client.networks().ls().await?
    };
    let list = client.services().ls().await?;
    let by_name: BTreeMap<String, &Service> = list
        .iter()
        .map(|e| (e.service.spec.name.clone(), &e.service))
        .collect();
    for desired in &plan.services {
        let mut spec = desired.clone();
        files::resolve_ids(&mut spec, &existing_files);
        resolve_networks(&mut spec, &networks)
            .map_err(|e| done.stopped(&format!("service {}", spec.name), e))?;
        let name = spec.name.clone();
        match service_change(spec, &by_name) {
            // As docker prints it for every service already there; nothing is sent (docker
            // sends the same spec again, which changes no task either).
            ServiceChange::Unchanged(id) => {
                if !opts.quiet {
                    writeln!(out, "Updating service {name} (id: {id})")?;
                }
            }
            ServiceChange::Create(spec) => {
                if !opts.quiet {
                    writeln!(out, "Creating service {name}")?;
                }
                client
                    .services()
                    .create(&spec)
                    .await
                    .map_err(|e| done.stopped(&format!("service {name}"), e.into()))?;
                done.services.push(name);
            }
            ServiceChange::Update(id, version, spec) => {
                if !opts.quiet {
                    writeln!(out, "Updating service {name} (id: {id})")?;
                }
                let req = UpdateServiceRequest {
                    version,
                    spec: *spec,
                };
                client
                    .services()
                    .update(&id, &req)
                    .await
                    .map_err(|e| done.stopped(&format!("service {name}"), e.into()))?;
                done.services.push(name);
            }
        }
    }
    if opts.prune {
        for s in prunable(stack, &plan, &list) {
            if !opts.quiet {
                writeln!(out, "Removing service {}", s.spec.name)?;
            }
            client
                .services()
                .rm(&s.id)
                .await
                .map_err(|e| done.stopped(&format!("service {}", s.spec.name), e.into()))?;
        }
    }
    Ok(())
}
