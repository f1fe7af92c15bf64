//! `swarmd init|join|run`: prepare the state directory, start the node, run until a signal.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use swarm_api::node::{format_node_id, Role};
use swarm_manager::bootstrap::{self, NodeAddrs};
use swarm_manager::daemon::Daemon;
use swarm_manager::health::HealthListen;
use swarm_manager::settings::Settings;
use swarm_manager::state_dir::StateDir;
use tokio::net::TcpListener;

use crate::cli::{AddrOpts, DaemonOpts};

fn settings(d: &DaemonOpts) -> Result<Settings> {
    Ok(Settings {
        down_after: Duration::from_millis(d.down_after_ms.max(200)),
        snapshot_every: d.snapshot_every.max(10),
        docker_socket: (!d.no_executor).then(|| d.docker_socket.clone()),
        publish_ip: d.publish_ip,
        mesh_ip: d.mesh_ip,
        health: health(d.health_addr.as_deref())?,
        ..Settings::default()
    })
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

fn addrs(a: &AddrOpts) -> Result<NodeAddrs> {
    let advertise = match &a.advertise_addr {
        Some(x) => x.clone(),
        None if a.listen_addr.starts_with("0.0.0.0") || a.listen_addr.starts_with("[::]") => bail!(
            "--advertise-addr is required when --listen-addr is {} (a wildcard); give the IP:PORT \
             other nodes reach this node at",
            a.listen_addr
        ),
        None => a.listen_addr.clone(),
    };
    if !advertise.contains(':') {
        bail!("invalid --advertise-addr {advertise:?}: expected IP:PORT, e.g. 10.0.0.5:2377");
    }
    let hostname = match &a.hostname {
        Some(h) => h.clone(),
        None => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".into()),
    };
    Ok(NodeAddrs {
        advertise_addr: advertise,
        listen_addr: a.listen_addr.clone(),
        hostname,
    })
}

async fn start(dir: &StateDir, opts: &DaemonOpts) -> Result<Daemon> {
    let identity = dir.load_identity().with_context(|| {
        format!(
            "no swarmd node in {}; run `swarmd init` or `swarmd join` first",
            dir.root().display()
        )
    })?;
    let listener = TcpListener::bind(&identity.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", identity.listen_addr))?;
    Ok(Daemon::start(dir.clone(), settings(opts)?, listener).await?)
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
pub async fn init(opts: DaemonOpts, a: AddrOpts, force_new_cluster: bool) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    if force_new_cluster {
        if !dir.exists() {
            bail!(
                "--force-new-cluster needs the state directory of a former manager; {} holds none",
                dir.root().display()
            );
        }
        bootstrap::force_new_cluster(&dir)?;
        eprintln!("Recovered the cluster state into a new single-manager cluster.");
        return serve(start(&dir, &opts).await?).await;
    }
    let pending = bootstrap::prepare_init(&dir, &addrs(&a)?)?;
    let daemon = start(&dir, &opts).await?;
    bootstrap::finish_init(&daemon.node, pending).await?;
    eprintln!(
        "Swarm initialized: current node ({}) is now a manager.\n\nTo add a worker or manager, get \
         the join command with `swarmd join-token worker|manager`.",
        format_node_id(daemon.node.id)
    );
    serve(daemon).await
}

/// `swarmd join`.
pub async fn join(opts: DaemonOpts, a: AddrOpts, token: String, manager: String) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    let role = bootstrap::prepare_join(&dir, &token, &manager, &addrs(&a)?).await?;
    let daemon = start(&dir, &opts).await?;
    if role == Role::Manager {
        bootstrap::finish_join_manager(&daemon.node).await?;
    }
    eprintln!("This node joined a swarm as a {role}.");
    serve(daemon).await
}

/// `swarmd run`.
pub async fn run(opts: DaemonOpts) -> Result<()> {
    let dir = StateDir::new(&opts.state_dir);
    serve(start(&dir, &opts).await?).await
}
