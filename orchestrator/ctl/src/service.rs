//! `service create|ls|ps|inspect|scale|update|rollback|rm|logs`: the verbs and their calls to
//! the manager (routes in `swarm_api::routes`, bodies in `swarm_api::service_api`).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use swarm_api::client::Client;
use swarm_api::node::format_node_id;
use swarm_api::scale::{parse_scale, scale};
use swarm_api::service::{Service, ServiceMode};
use swarm_api::service_api::{ServiceListEntry, TaskLogLine, UpdateServiceRequest};
use swarm_api::task::Task;

use crate::filter::{service_matches, task_matches, Filters, SERVICE_KEYS, TASK_KEYS};
use crate::format::{write_json, Format};
use crate::progress::{progress, slot_lines, task_errors, Outcome};
use crate::render::{ps_rows, ps_table, service_pretty, service_table};
use crate::service_args::{CreateArgs, UpdateArgs, WaitArgs};
use crate::time::now_ms;

/// How often `--detach=false` polls the manager.
const POLL: Duration = Duration::from_millis(500);

/// `service ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ServiceVerb {
    /// Create a new service.
    Create(Box<CreateArgs>),
    /// List services.
    #[command(visible_alias = "list")]
    Ls {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Filter output (id, label, mode, name), e.g. mode=global; repeatable.
        #[arg(short, long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
    },
    /// List the tasks of one or more services (older tasks of a slot under it).
    Ps {
        /// Service ids, id prefixes or names.
        #[arg(required = true)]
        services: Vec<String>,
        /// Do not truncate ids.
        #[arg(long)]
        no_trunc: bool,
        /// Do not map node IDs to names.
        #[arg(long)]
        no_resolve: bool,
        /// Only display task IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Filter output (desired-state, id, name, node), e.g. desired-state=running;
        /// repeatable.
        #[arg(short, long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
    },
    /// Display detailed information on one or more services.
    Inspect {
        /// Print the information in a human friendly format.
        #[arg(long)]
        pretty: bool,
        /// Service ids, id prefixes or names.
        #[arg(required = true)]
        services: Vec<String>,
    },
    /// Scale one or multiple replicated services (SERVICE=REPLICAS ...).
    Scale {
        /// SERVICE=REPLICAS pairs.
        #[arg(required = true, value_name = "SERVICE=REPLICAS")]
        pairs: Vec<String>,
        /// Waiting.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Update a service (a rolling update when the task template changes).
    Update(Box<UpdateArgs>),
    /// Revert a service to its previous spec.
    Rollback {
        /// Service id, id prefix or name.
        service: String,
        /// Waiting.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Remove one or more services.
    #[command(visible_alias = "remove")]
    Rm {
        /// Service ids, id prefixes or names.
        #[arg(required = true)]
        services: Vec<String>,
    },
    /// Fetch the logs of a service's tasks.
    Logs {
        /// Service id, id prefix or name.
        service: String,
        /// Number of lines to show from the end of each task's log ("all" for everything).
        #[arg(long, short = 'n', value_name = "N")]
        tail: Option<String>,
        /// Follow the output: keep printing new lines from every task until interrupted.
        #[arg(long, short = 'f')]
        follow: bool,
        /// Show each line's time.
        #[arg(long, short = 't')]
        timestamps: bool,
    },
}

/// Runs one service verb against `client` (a manager), writing the result to `out`.
///
/// Verbs that change a service wait until it converged unless `--detach`, printing
/// `overall progress: N out of M tasks` lines (not with `--format json`, where only the final
/// JSON is written), and fail with the tasks' errors when it does not within `--timeout`.
pub async fn run_service(
    client: &Client,
    verb: ServiceVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json = format == Format::Json;
    match verb {
        ServiceVerb::Create(args) => {
            let env_files = args.env_file.clone();
            let files = args.files.clone();
            let wait = args.wait;
            let mut args = args;
            let mut env = read_env_files(&env_files)?;
            env.append(&mut args.env);
            args.env = env;
            let spec = args.into_spec()?;
            let spec = files.apply(client, spec).await?;
            let s = client.services().create(&spec).await?;
            if json {
                wait_converged(client, &s, wait, out, false).await?;
                return write_json(out, &s);
            }
            writeln!(out, "{}", s.id)?;
            wait_converged(client, &s, wait, out, !wait.quiet).await
        }
        ServiceVerb::Ls { quiet, filter } => {
            let f = Filters::parse(&filter, SERVICE_KEYS)?;
            let mut list = client.services().ls().await?;
            list.retain(|e| service_matches(&f, e));
            print_services(out, &list, json, quiet)
        }
        ServiceVerb::Ps {
            services,
            no_trunc,
            no_resolve,
            quiet,
            filter,
        } => {
            let f = Filters::parse(&filter, TASK_KEYS)?;
            let mut tasks: Vec<Task> = Vec::new();
            let mut missing = Vec::new();
            for service in &services {
                match client.services().tasks(service).await {
                    Ok(ts) => {
                        for t in ts {
                            if !tasks.iter().any(|x| x.id == t.id) {
                                tasks.push(t);
                            }
                        }
                    }
                    Err(e) => missing.push(format!("{service}: {e}")),
                }
            }
            // Docker lists nothing when one of the services does not exist.
            if !missing.is_empty() {
                bail!("{}", missing.join("\n"));
            }
            let view = TasksView {
                json,
                quiet,
                no_trunc,
                no_resolve,
            };
            print_tasks(client, out, tasks, &f, view).await
        }
        ServiceVerb::Inspect { pretty, services } => {
            let mut found = Vec::new();
            for key in &services {
                let s = client.services().inspect(key).await?;
                found.push(s);
            }
            if pretty && !json {
                let now = now_ms();
                for s in &found {
                    write!(out, "{}", service_pretty(s, now))?;
                }
                return Ok(());
            }
            write_json(out, &found)
        }
        ServiceVerb::Scale { pairs, wait } => {
            let targets = pairs
                .iter()
                .map(|p| parse_scale(p))
                .collect::<Result<Vec<_>, _>>()?;
            let mut failures = Vec::new();
            let mut scaled = Vec::new();
            for (name, n) in targets {
                match scale_one(client, &name, n).await {
                    Ok(s) => {
                        if !json {
                            writeln!(out, "{name} scaled to {n}")?;
                        }
                        scaled.push(s);
                    }
                    Err(e) => failures.push(format!("{name}: {e:#}")),
                }
            }
            for s in &scaled {
                wait_converged(client, s, wait, out, !json && !wait.quiet).await?;
            }
            if json {
                write_json(out, &scaled)?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
            Ok(())
        }
        ServiceVerb::Update(args) => {
            let rollback = args.rollback;
            let network = args.network.clone();
            let files = args.files.clone();
            let (key, wait) = (args.service.clone(), args.wait);
            if rollback {
                if !args.is_empty() || !files.is_empty() {
                    bail!(
                        "invalid --rollback: other flags may not be combined with --rollback \
                         (fix: run `service update --rollback {key}` alone, then update again)"
                    );
                }
                let s = client.services().rollback(&key).await?;
                return finish(client, &s, &key, wait, json, out).await;
            }
            let cur = client.services().inspect(&key).await?;
            let spec = args.apply(&cur.spec)?;
            let spec = network.apply(client, spec).await?;
            let spec = files.apply(client, spec).await?;
            let req = UpdateServiceRequest {
                version: cur.version,
                spec,
            };
            let s = client.services().update(&cur.id, &req).await?;
            finish(client, &s, &key, wait, json, out).await
        }
        ServiceVerb::Rollback { service, wait } => {
            let s = client.services().rollback(&service).await?;
            finish(client, &s, &service, wait, json, out).await
        }
        ServiceVerb::Rm { services } => {
            let mut failures = Vec::new();
            let mut removed = Vec::new();
            for key in &services {
                match client.services().rm(key).await {
                    Ok(()) => {
                        if !json {
                            writeln!(out, "{key}")?;
                        }
                        removed.push(key.clone());
                    }
                    Err(e) => failures.push(format!("{key}: {e}")),
                }
            }
            if json {
                write_json(out, &serde_json::json!({ "removed": removed }))?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
            Ok(())
        }
        ServiceVerb::Logs {
            service,
            tail,
            follow,
            timestamps,
        } => {
            let tail = match tail.as_deref().map(str::trim) {
                None | Some("all") => None,
                Some(n) => Some(n.parse::<usize>().map_err(|_| {
                    anyhow!(
                        "invalid --tail {n:?}: not a number (fix: give --tail 100 or --tail all)"
                    )
                })?),
            };
            if follow || timestamps {
                // Streamed: lines are printed as the nodes send them.
                let q = swarm_api::service_api::LogStreamQuery {
                    follow,
                    tail,
                    ..Default::default()
                };
                let mut rx = client.services().log_stream(&service, &q).await?;
                while let Some(line) = rx.recv().await {
                    let l = line?;
                    if json {
                        writeln!(out, "{}", serde_json::to_string(&l)?)?;
                    } else if timestamps {
                        let t = l.time.as_deref().unwrap_or("-");
                        writeln!(out, "{t} {}@{} | {}", l.task_name, l.node, l.text)?;
                    } else {
                        writeln!(out, "{}@{} | {}", l.task_name, l.node, l.text)?;
                    }
                    out.flush()?;
                }
                return Ok(());
            }
            let mut lines = client.services().logs(&service, tail).await?;
            if lines.iter().any(|l| l.task_name == l.task_id) {
                // A worker answers with the bare task id (it has no copy of the task):
                // name those lines from the task list.
                let tasks = client.services().tasks(&service).await?;
                name_log_lines(&mut lines, &tasks);
            }
            if json {
                return write_json(out, &lines);
            }
            for l in &lines {
                writeln!(out, "{}@{} | {}", l.task_name, l.node, l.text)?;
            }
            Ok(())
        }
    }
}

/// `service ls` and `stack services`: JSON, the ids (`-q`) or docker's table.
pub(crate) fn print_services(
    out: &mut impl Write,
    list: &[ServiceListEntry],
    json: bool,
    quiet: bool,
) -> Result<()> {
    if json {
        return write_json(out, &list);
    }
    if quiet {
        for e in list {
            writeln!(out, "{}", e.service.id)?;
        }
        return Ok(());
    }
    write!(out, "{}", service_table(list))?;
    Ok(())
}

/// How `service ps` and `stack ps` print (their flags).
pub(crate) struct TasksView {
    /// `--format json`.
    pub json: bool,
    /// `-q`.
    pub quiet: bool,
    /// `--no-trunc`.
    pub no_trunc: bool,
    /// `--no-resolve`.
    pub no_resolve: bool,
}

/// `service ps` and `stack ps`: the tasks `f` keeps, as JSON, ids or docker's table.
pub(crate) async fn print_tasks(
    client: &Client,
    out: &mut impl Write,
    mut tasks: Vec<Task>,
    f: &Filters,
    view: TasksView,
) -> Result<()> {
    let hosts = hostnames(client).await;
    tasks.retain(|t| task_matches(f, t, &hosts));
    if view.json {
        return write_json(out, &tasks);
    }
    let shown = if view.no_resolve {
        HashMap::new()
    } else {
        hosts
    };
    let rows = ps_rows(&tasks, &shown, now_ms(), view.no_trunc);
    if view.quiet {
        for r in rows {
            writeln!(out, "{}", r.id)?;
        }
        return Ok(());
    }
    write!(out, "{}", ps_table(&rows))?;
    Ok(())
}

/// The variables of `--env-file` files, in order (Docker's format, see
/// [`swarm_api::container_values::parse_env_file`]); a bare `KEY` takes this process's value.
pub fn read_env_files(files: &[String]) -> Result<Vec<String>> {
    let mut env = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| {
            anyhow!("invalid --env-file {f:?}: {e} (fix: give the path of a readable file)")
        })?;
        let lookup = |k: &str| std::env::var(k).ok();
        env.extend(swarm_api::container_values::parse_env_file(
            f, &text, &lookup,
        )?);
    }
    Ok(env)
}

/// Gives lines that carry only their task id the task's container name (`web.1.ID`).
pub fn name_log_lines(lines: &mut [TaskLogLine], tasks: &[Task]) {
    let names: HashMap<&str, String> = tasks
        .iter()
        .map(|t| (t.id.as_str(), t.container_name()))
        .collect();
    for l in lines.iter_mut().filter(|l| l.task_name == l.task_id) {
        if let Some(n) = names.get(l.task_id.as_str()) {
            l.task_name.clone_from(n);
        }
    }
}

/// After update/rollback: the name (or JSON) and the wait.
async fn finish(
    client: &Client,
    s: &Service,
    key: &str,
    wait: WaitArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    if json {
        wait_converged(client, s, wait, out, false).await?;
        return write_json(out, s);
    }
    writeln!(out, "{key}")?;
    wait_converged(client, s, wait, out, !wait.quiet).await
}

/// `service scale NAME=N` for one service: read, scale (a global service is refused), write
/// back with the version read.
async fn scale_one(client: &Client, name: &str, n: u64) -> Result<Service> {
    let cur = client.services().inspect(name).await?;
    let spec = scale(&cur.spec, n)?;
    let req = UpdateServiceRequest {
        version: cur.version,
        spec,
    };
    Ok(client.services().update(&cur.id, &req).await?)
}

/// Node id → host name, for `service ps` (empty when the node list cannot be read).
pub(crate) async fn hostnames(client: &Client) -> HashMap<String, String> {
    client
        .nodes()
        .ls()
        .await
        .map(|nodes| {
            nodes
                .into_iter()
                .map(|v| (format_node_id(v.node.id), v.node.hostname))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls the service and its tasks until [`progress`] says converged (Ok), stopped (Err) or
/// the timeout passes (Err with the tasks' errors). Nothing to do with `--detach`.
/// Moves up over the `previous` lines drawn and writes `block` over them; returns how many lines
/// are drawn now.
fn redraw(out: &mut impl Write, previous: usize, block: &[String]) -> Result<usize> {
    if previous > 0 {
        write!(out, "\x1b[{previous}A")?;
    }
    for l in block {
        writeln!(out, "\x1b[2K{l}")?;
    }
    // A shorter block (fewer slots after a scale-down) leaves no stale lines behind.
    for _ in block.len()..previous {
        writeln!(out, "\x1b[2K")?;
    }
    out.flush()?;
    Ok(block.len().max(previous))
}

async fn wait_converged(
    client: &Client,
    created: &Service,
    wait: WaitArgs,
    out: &mut impl Write,
    show: bool,
) -> Result<()> {
    if wait.detach {
        return Ok(());
    }
    let name = &created.spec.name;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait.timeout);
    // On a terminal, Docker's block (overall line and a bar per task) is redrawn in place;
    // otherwise the overall line is printed when it changes.
    let live = show && std::io::stdout().is_terminal();
    let mut drawn: Vec<String> = Vec::new();
    let mut drawn_lines = 0;
    let mut last_line = String::new();
    let mut last_err: Option<String>;
    let mut last_tasks: Vec<Task> = Vec::new();
    let mut last_counts = (0, 0);
    loop {
        match observe(client, &created.id).await {
            Ok((s, tasks, global_desired)) => {
                let p = progress(&s, &tasks, global_desired);
                if live {
                    let mut block = vec![p.line()];
                    block.extend(slot_lines(&s, &tasks));
                    if block != drawn {
                        drawn_lines = redraw(out, drawn_lines, &block)?;
                        drawn = block;
                    }
                } else if show && p.line() != last_line {
                    writeln!(out, "{}", p.line())?;
                    out.flush()?;
                    last_line = p.line();
                }
                last_counts = (p.running, p.desired);
                match p.outcome {
                    Outcome::Converged => {
                        if show {
                            writeln!(out, "verify: Service {name} converged")?;
                        }
                        return Ok(());
                    }
                    Outcome::Stopped(why) => {
                        bail!("{}", failure(name, &why, &tasks));
                    }
                    Outcome::Waiting => {}
                }
                last_tasks = tasks;
                last_err = None;
            }
            Err(e) => last_err = Some(format!("{e:#}")),
        }
        if tokio::time::Instant::now() >= deadline {
            let mut why = format!(
                "did not converge within {}s ({} out of {} tasks running)",
                wait.timeout / 1000,
                last_counts.0,
                last_counts.1
            );
            if let Some(e) = last_err {
                why.push_str(&format!("; last error: {e}"));
            }
            bail!(
                "{} (fix: see `service ps {name}`, or pass --detach to not wait)",
                failure(name, &why, &last_tasks)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

fn failure(name: &str, why: &str, tasks: &[Task]) -> String {
    let mut msg = format!("service {name}: {why}");
    for e in task_errors(tasks) {
        msg.push_str("\n  ");
        msg.push_str(&e);
    }
    msg
}

/// The service, its tasks and (for a global service) the manager's desired count.
async fn observe(client: &Client, id: &str) -> Result<(Service, Vec<Task>, Option<u64>)> {
    let s = client.services().inspect(id).await?;
    let tasks = client.services().tasks(id).await?;
    let global = if s.spec.mode == ServiceMode::Global {
        let list = client.services().ls().await?;
        list.iter()
            .find(|e| e.service.id == s.id)
            .map(|e| e.desired)
    } else {
        None
    };
    Ok((s, tasks, global))
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::task::TaskState;

    #[test]
    fn redraw_moves_up_over_what_it_drew_and_clears_leftover_lines() {
        let mut out = Vec::new();
        let block = |n: usize| -> Vec<String> { (0..n).map(|i| format!("l{i}")).collect() };
        assert_eq!(redraw(&mut out, 0, &block(3)).unwrap(), 3);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "\x1b[2Kl0\n\x1b[2Kl1\n\x1b[2Kl2\n"
        );
        out.clear();
        // Two lines over three: the third is blanked and still counts as drawn.
        assert_eq!(redraw(&mut out, 3, &block(2)).unwrap(), 3);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "\x1b[3A\x1b[2Kl0\n\x1b[2Kl1\n\x1b[2K\n"
        );
    }

    #[test]
    fn log_lines_with_a_bare_task_id_get_the_container_name() {
        let mut t = swarm_testkit::task("abc", "s", "", TaskState::New);
        t.service_name = "web".into();
        t.slot = Some(2);
        t.node_id = Some("n1".into());
        let line = |id: &str, name: &str| TaskLogLine {
            task_id: id.into(),
            task_name: name.into(),
            node: "w1".into(),
            stderr: false,
            text: "hi".into(),
            time: None,
        };
        let mut lines = vec![
            line("abc", "abc"),
            line("zzz", "zzz"),
            line("abc", "web.2.abc"),
        ];
        name_log_lines(&mut lines, &[t]);
        let names: Vec<&str> = lines.iter().map(|l| l.task_name.as_str()).collect();
        assert_eq!(names, ["web.2.abc", "zzz", "web.2.abc"]);
    }
}
