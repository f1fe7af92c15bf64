//! `swarmd init|join|run`: prepare the state directory, start the node, run until a signal.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use swarm_api::node::{format_node_id, Availability, Role};
use swarm_api::resources::{parse_cpu, parse_memory, Resources};
use swarm_manager::bootstrap::{self, NodeAddrs};
use swarm_manager::health::HealthListen;
use swarm_manager::settings::Settings;
use swarm_manager::state_dir::StateDir;
use swarm_node::daemon::Daemon;
use tokio::net::TcpListener;

use crate::addr;
use crate::cli::{AddrOpts, DaemonOpts};
use crate::netinfo;

fn settings(d: &DaemonOpts) -> Result<Settings> {
    Ok(Settings {
        down_after: Duration::from_millis(d.down_after_ms.max(200)),
        snapshot_every: d.snapshot_every.max(10),
        docker_socket: (!d.no_executor).then(|| d.docker_socket.clone()),
        publish_ip: d.publish_ip,
        mesh_ip: d.mesh_ip,
        health: health(d.health_addr.as_deref())?,
        capacity: capacity(d)?,
        metrics: crate::metrics_addr::parse(d.metrics_addr.as_deref()).map_err(bad_input)?,
        ..Settings::default()
    })
}

/// `--cpus`/`--memory`: the cap on what the node offers the scheduler (0: the engine's).
fn capacity(d: &DaemonOpts) -> Result<Resources> {
    let mut r = Resources::default();
    if let Some(c) = &d.cpus {
        r.nano_cpus = parse_cpu("--cpus", c)?;
        if r.nano_cpus == 0 {
            return Err(bad_input(format!(
                "invalid --cpus {c:?}: must be above 0; leave it unset to offer every CPU"
            )));
        }
    }
    if let Some(m) = &d.memory {
        r.memory_bytes = parse_memory("--memory", m)?;
        if r.memory_bytes == 0 {
            return Err(bad_input(format!(
                "invalid --memory {m:?}: must be above 0; leave it unset to offer all memory"
            )));
        }
    }
    Ok(r)
}

/// `--health-addr`: unset → the advertise IP on port 44554, `off`, or an IP:PORT.
fn health(arg: Option<&str>) -> Result<HealthListen> {
    match arg {
        None => Ok(HealthListen::AdvertiseIp),
        Some("off") => Ok(HealthListen::Off),
        Some(a) => a.parse().map(HealthListen::At).map_err(|_| {
            anyhow::anyhow!(
                "invalid --health-addr {a:?}: expected IP:PORT (e.g. 0.0.0.0:44554) or `off`"
            )
        }),
    }
}

fn bad_input(e: String) -> anyhow::Error {
    addr::BadInput(e).into()
}

/// The node's addresses from `--listen-addr`/`--advertise-addr` (see [`crate::addr`]);
/// `manager` is the address `join` dials (its route picks the default advertise address).
fn addrs(a: &AddrOpts, manager: Option<&str>) -> Result<NodeAddrs> {
    let ifaces = netinfo::interfaces();
    let listen = addr::resolve_listen(&a.listen_addr, &ifaces).map_err(bad_input)?;
    let advertise = match &a.advertise_addr {
        Some(x) => addr::resolve_advertise(x, listen.port(), &ifaces),
        None => {
            let route = match manager {
                Some(m) if listen.ip().is_unspecified() => {
                    Some(netinfo::route_ip(m).map_err(bad_input)?)
                }
                _ => None,
            };
            addr::default_advertise(listen, route, &ifaces)
        }
    }
    .map_err(bad_input)?;
    let hostname = match &a.hostname {
        Some(h) => h.clone(),
        None => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".into()),
    };
    let availability = a
        .availability
        .parse::<Availability>()
        .map_err(|e| bad_input(format!("--availability: {e}")))?;
    let labels = node_labels(&a.labels).map_err(bad_input)?;
    Ok(NodeAddrs {
        advertise_addr: advertise.to_string(),
        listen_addr: listen.to_string(),
        hostname,
        availability,
        labels,
    })
}

/// `--label KEY=VALUE` values as a map (pure); empty entries (a trailing comma) are skipped.
fn node_labels(
    raw: &[String],
) -> std::result::Result<std::collections::BTreeMap<String, String>, String> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!(
                "invalid --label {s:?}: expected KEY=VALUE (fix: e.g. --label zone=a)"
            )),
        })
        .collect()
}

async fn start(dir: &StateDir, settings: Settings) -> Result<Daemon> {
    let identity = dir.load_identity().with_context(|| {
        format!(
            "no swarmd node in {}; run `swarmd init` or `swarmd join` first",
            dir.root().display()
        )
    })?;
    let listener = TcpListener::bind(&identity.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", identity.listen_addr))?;
    Ok(Daemon::start(dir.clone(), settings, listener).await?)
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

async fn serve(daemon: Daemon) -> Result<()> {
    let id = daemon.node.id;
    tracing::info!(node = %format_node_id(id), "swarmd running");
    daemon.run_until(shutdown_signal()).await?;
    tracing::info!("swarmd stopped");
    Ok(())
}

/// `swarmd init`.
pub async fn init(
    opts: DaemonOpts,
    a: AddrOpts,
    force_new_cluster: bool,
    autolock: bool,
) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    // Every flag is checked before anything is written.
    let settings = settings(&opts)?;
    if force_new_cluster {
        if !dir.exists() {
            bail!(
                "--force-new-cluster needs the state directory of a former manager; {} holds none",
                dir.root().display()
            );
        }
        bootstrap::force_new_cluster(&dir)?;
        eprintln!("Recovered the cluster state into a new single-manager cluster.");
        return serve(start(&dir, settings).await?).await;
    }
    let pending = bootstrap::prepare_init(&dir, &addrs(&a, None)?)?;
    let daemon = start(&dir, settings).await?;
    bootstrap::finish_init(&daemon.node, pending).await?;
    eprintln!(
        "Swarm initialized: current node ({}) is now a manager.\n\nTo add a worker or manager, get \
         the join command with `swarmd join-token worker|manager`.",
        format_node_id(daemon.node.id)
    );
    if autolock {
        let r = swarm_manager::lock_api::set_lock(&daemon.node, true).await?;
        if let Some(k) = r.key {
            eprintln!("\n{}", swarm_ctl::swarm::unlock_key_text(&k));
        }
    }
    serve(daemon).await
}

/// `swarmd join`.
pub async fn join(opts: DaemonOpts, a: AddrOpts, token: String, manager: String) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    let settings = settings(&opts)?;
    let manager = addr::manager_addr(&manager).map_err(bad_input)?;
    let role = bootstrap::prepare_join(&dir, &token, &manager, &addrs(&a, Some(&manager))?).await?;
    let daemon = start(&dir, settings).await?;
    if role == Role::Manager {
        bootstrap::finish_join_manager(&daemon.node).await?;
    }
    eprintln!("This node joined a swarm as a {role}.");
    serve(daemon).await
}

/// `swarmd run`.
pub async fn run(opts: DaemonOpts) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    serve(start(&dir, settings(&opts)?).await?).await
}
