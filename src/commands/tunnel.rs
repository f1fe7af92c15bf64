//! `swarm-aws tunnel`: serves 127.0.0.1:PORT in the foreground, each connection forwarded over
//! SSH to the cluster leader's API port (the Docker Engine API beside swarmd's routes), until
//! SIGTERM or Ctrl-C; SIGHUP is ignored (docker-env starts it detached). Its pid and port go to
//! the cluster's config dir ([`crate::tunnel::record`]).

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use super::api::{api_cluster, cluster_name};
use crate::cli::{ApiTargetArgs, GlobalArgs, TunnelArgs};
use crate::cluster_api::ClusterApi;
use crate::engine::{ClusterEngine, EngineKind};
use crate::tunnel::{self, process, serve, ServeOptions, TunnelError, TunnelRecord};
use crate::Error;

/// Connects to the cluster's API afresh: its managers from the stack's inventory, the leader
/// preferred. A cluster of Docker's own engine has no such API.
pub(crate) async fn connect(
    global: &GlobalArgs,
    target: &ApiTargetArgs,
) -> Result<ClusterApi, Error> {
    let (engine, cluster) = api_cluster(global, target).await?;
    if engine.kind() == EngineKind::Docker {
        return Err(TunnelError::NotSwarmd {
            cluster: cluster.name,
        }
        .into());
    }
    Ok(ClusterApi::connect(&cluster.managers, &cluster.api).await?)
}

/// Listens on 127.0.0.1:`port`; a port only remembered from an earlier tunnel (`asked` false)
/// that is taken now gives way to any free one.
async fn bind(port: u16, asked: bool) -> Result<TcpListener, TunnelError> {
    let at = |p: u16| TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, p)));
    match at(port).await {
        Ok(l) => Ok(l),
        Err(_) if !asked && port != 0 => at(0).await.map_err(|e| TunnelError::Port {
            port: 0,
            reason: e.to_string(),
        }),
        Err(e) => Err(TunnelError::Port {
            port,
            reason: e.to_string(),
        }),
    }
}

/// Resolves on SIGTERM or SIGINT; SIGHUP (a closed terminal) is ignored.
async fn stop_signal() {
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = hup.recv() => {}
        }
    }
}

/// Runs `swarm-aws tunnel`.
pub async fn run(global: &GlobalArgs, args: &TunnelArgs) -> Result<(), Error> {
    let name = cluster_name(&args.target)?;
    let dir = tunnel::config_dir(&name)?;
    let me = std::process::id();
    let before = TunnelRecord::load(&dir).filter(|r| r.cluster == name);
    if let Some(r) = process::running(&dir, &name).filter(|r| r.pid != Some(me)) {
        return Err(TunnelError::AlreadyRunning {
            cluster: name,
            pid: r.pid.unwrap_or_default(),
            port: r.port,
        }
        .into());
    }
    let port = args.port.or(before.map(|r| r.port)).unwrap_or(0);
    let listener = bind(port, args.port.is_some()).await?;
    let port = listener
        .local_addr()
        .map_err(|e| TunnelError::Port {
            port,
            reason: e.to_string(),
        })?
        .port();
    let first = connect(global, &args.target).await?;
    let opts = ServeOptions::new(&name);
    let on_route = |api: &ClusterApi| {
        let m = api.manager();
        eprintln!(
            "tunnel: 127.0.0.1:{port} -> cluster {name}, manager {} ({}:{}, {})",
            m.id,
            m.advertise_ip,
            crate::bootstrap::SWARMD_PORT,
            if api.is_leader() {
                "leader"
            } else {
                "follower"
            }
        );
        let record = TunnelRecord {
            cluster: name.clone(),
            port,
            pid: Some(me),
            manager: Some(m.id.clone()),
        };
        if let Err(e) = record.save(&dir) {
            eprintln!("tunnel: {e}");
        }
    };
    let find = || async {
        connect(global, &args.target)
            .await
            .map_err(|e| e.to_string())
    };
    let served = serve(listener, first, find, on_route, &opts, stop_signal()).await;
    TunnelRecord::clear_pid(&dir, me);
    eprintln!("tunnel: 127.0.0.1:{port} closed");
    Ok(served?)
}
