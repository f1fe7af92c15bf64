//! Starting and stopping a node from its state directory: storage, Raft, servers, loops.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::Router;
use openraft::Raft;
use swarm_api::tls::client_config;
use swarm_store::{Db, LogStore, StateMachine};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinSet;

use swarm_manager::error::ManagerError;
use swarm_manager::health::{serve_health, HealthListen, HeartbeatAcks, HEALTH_PORT};
use swarm_manager::network::Network;
use swarm_manager::node::Node;
use swarm_manager::server::{serve_tls, serve_unix, server_config};
use swarm_manager::settings::Settings;
use swarm_manager::state_dir::StateDir;
use swarm_manager::{heartbeats, orchestrator};

use crate::{executor_link, session};

/// Where the secret and config files of tasks live (a tmpfs), one directory per node.
pub const DEFAULT_FILES_ROOT: &str = "/dev/shm/swarmd-files";

/// A running node and its background tasks.
pub struct Daemon {
    /// The node.
    pub node: Arc<Node>,
    dir: StateDir,
    tasks: JoinSet<()>,
}

/// All routes of a node.
pub fn router(node: Arc<Node>) -> Router {
    swarm_manager::router::routes().with_state(node)
}

/// Keeps the data-key file in step with the replicated autolock state (another manager may
/// turn autolock on or off).
async fn key_file_loop(node: Arc<Node>) {
    let stopped = node.stopped();
    tokio::pin!(stopped);
    loop {
        let lock = node.state.read().ok().and_then(|a| a.state.lock.clone());
        if let Err(e) = node.keys.sync_file(lock.as_ref()) {
            tracing::warn!(error = %e, "cannot update the data-key file");
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
        }
    }
}

/// Binds a unix socket only root (the owner) may use (mode 0600), replacing a stale one.
fn bind_private(sock: &std::path::Path) -> Result<UnixListener, ManagerError> {
    let _ = std::fs::remove_file(sock);
    let io = |cause| ManagerError::Io {
        path: sock.display().to_string(),
        cause,
    };
    let unix = UnixListener::bind(sock).map_err(io)?;
    std::fs::set_permissions(sock, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(unix)
}

fn raft_err(e: impl std::fmt::Display) -> ManagerError {
    ManagerError::Raft(e.to_string())
}

/// Binds the health check's listener as `health` says (`None`: off, or its default port taken).
async fn bind_health(
    health: HealthListen,
    advertise_ip: Option<std::net::IpAddr>,
) -> Result<Option<TcpListener>, ManagerError> {
    let (addr, required) = match health {
        HealthListen::Off => return Ok(None),
        HealthListen::At(addr) => (addr, true),
        HealthListen::AdvertiseIp => {
            let ip = advertise_ip.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
            (std::net::SocketAddr::new(ip, HEALTH_PORT), false)
        }
    };
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(Some(l)),
        Err(cause) if required => Err(ManagerError::Io {
            path: format!("health check address {addr} (--health-addr)"),
            cause,
        }),
        Err(e) => {
            tracing::warn!(%addr, error = %e, "health check not served: cannot listen");
            Ok(None)
        }
    }
}

/// Builds the registry and starts the metrics listener when `--metrics-addr` asks for them.
async fn start_metrics(node: &Arc<Node>, tasks: &mut JoinSet<()>) -> Result<(), ManagerError> {
    use swarm_manager::metrics;
    use swarm_manager::settings::MetricsListen;
    let listen = node.settings.metrics;
    if listen == MetricsListen::Off {
        return Ok(());
    }
    let mut reg = metrics::registry(node);
    swarm_agent::metrics::register(&mut reg);
    swarm_overlay::metrics::register(&mut reg);
    let reg = Arc::new(reg);
    let _ = node.metrics_registry.set(reg.clone());
    tasks.spawn(metrics::leader_watch(node.clone()));
    if let MetricsListen::At(addr) = listen {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|cause| ManagerError::Io {
                path: format!("metrics address {addr} (--metrics-addr)"),
                cause,
            })?;
        tracing::info!(%addr, "metrics listening (http://{addr}/metrics)");
        tasks.spawn(metrics::serve(listener, reg, node.stopped()));
    }
    Ok(())
}

impl Daemon {
    /// Opens the state directory and starts the node on `tcp` (the node's API listener).
    pub async fn start(
        dir: StateDir,
        settings: Settings,
        tcp: TcpListener,
    ) -> Result<Daemon, ManagerError> {
        let identity = dir.load_identity()?;
        let certs = dir.load_certs()?;
        let db = Db::open(&dir.db_path())?;
        let sm = StateMachine::open(db.clone()).map_err(raft_err)?;
        let state = sm.shared();
        let events = sm.events();
        let client_tls = client_config(&certs.ca_pem, &certs.node.cert_pem, &certs.node.key_pem)?;
        let client_tls = Arc::new(std::sync::RwLock::new(client_tls));
        let config = Arc::new(settings.raft_config().validate().map_err(raft_err)?);
        let health = settings.health;
        let local_ip = swarm_manager::ca::host_of(&identity.advertise_addr)
            .parse::<std::net::IpAddr>()
            .ok()
            .filter(|ip| !ip.is_unspecified());
        let raft = Raft::new(
            identity.node_id,
            config,
            Network::new(client_tls.clone(), local_ip),
            LogStore::new(db),
            sm,
        )
        .await
        .map_err(raft_err)?;
        let executor = settings.docker_socket.clone().map(|docker_socket| {
            let ip = local_ip.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
            executor_link::ExecutorConfig {
                docker_socket,
                publish_ip: settings.publish_ip.unwrap_or(ip),
                mesh_ip: settings.mesh_ip.unwrap_or(ip),
                hostname: identity.hostname.clone(),
                files_root: std::path::PathBuf::from(DEFAULT_FILES_ROOT),
            }
        });
        let node_tasks = Arc::new(executor_link::NodeTasks::new(settings.capacity));
        let lock = state.read().ok().and_then(|a| a.state.lock.clone());
        let mut node = Node::new(
            identity.node_id,
            raft,
            state,
            settings,
            client_tls,
            local_ip,
        );
        node.keys = swarm_manager::keyring::Keyring::load(dir.root(), lock.as_ref())?;
        let _ = node.events.set(events);
        let node = Arc::new(node);
        if let Ok(mut m) = node.managers.lock() {
            m.clone_from(&identity.managers);
        }
        let own = router(node.clone());
        let unix = bind_private(&dir.socket_path())?;
        let docker_sock = dir.docker_socket_path();
        let docker_unix = bind_private(&docker_sock)?;
        let docker_sock = docker_sock.display().to_string();
        let _ = node.docker_socket.set(docker_sock.clone());
        let docker = swarm_dockerapi::router(swarm_dockerapi::Docker {
            backend: swarm_dockerapi::Backend::new(own.clone()),
            socket: Some(docker_sock.clone()),
        });
        // swarmd's routes and docker's on the TLS port and the node socket; docker's alone on
        // the docker socket.
        let app = swarm_dockerapi::mount(own, docker.clone());
        tracing::info!(socket = %docker_sock, "docker API listening (DOCKER_HOST=unix://{docker_sock})");

        let mut tasks = JoinSet::new();
        start_metrics(&node, &mut tasks).await?;
        let acks = HeartbeatAcks::default();
        if let Some(listener) = bind_health(health, local_ip).await? {
            tasks.spawn(serve_health(listener, node.clone(), acks.clone()));
        }
        tasks.spawn(serve_tls(
            tcp,
            server_config(&certs)?,
            app.clone(),
            node.stopped(),
        ));
        tasks.spawn(serve_unix(unix, app, node.stopped()));
        tasks.spawn(serve_unix(
            docker_unix,
            swarm_dockerapi::versioned(docker),
            node.stopped(),
        ));
        if let Some(cfg) = executor {
            tasks.spawn(executor_link::run(node.clone(), cfg, node_tasks.clone()));
        }
        tasks.spawn(session::run(
            node.clone(),
            session::Link {
                dir: dir.clone(),
                own_addr: identity.advertise_addr.clone(),
                acks,
            },
            node_tasks,
        ));
        tasks.spawn(heartbeats::down_monitor(node.clone()));
        tasks.spawn(orchestrator::run(node.clone()));
        tasks.spawn(key_file_loop(node.clone()));
        tasks.spawn(swarm_manager::promotion::role_loop(
            node.clone(),
            dir.clone(),
            identity.advertise_addr.clone(),
        ));
        Ok(Daemon { node, dir, tasks })
    }

    /// Runs until `shutdown` completes or the node stops itself (leave); then stops Raft and,
    /// after a leave, wipes the state directory.
    pub async fn run_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ManagerError> {
        tokio::select! {
            _ = shutdown => {}
            _ = self.node.stopped() => {}
        }
        self.node.stop();
        let _ = self.node.raft.shutdown().await;
        if self.node.left.load(Ordering::SeqCst) {
            // As in Docker: a node that leaves the cluster stops and removes its tasks.
            if let Some(agent) = self.node.agent.get() {
                agent.remove_all().await;
            }
        }
        self.tasks.shutdown().await;
        if self.node.left.load(Ordering::SeqCst) {
            tracing::info!("left the cluster; removing the state directory");
            let root = self.dir.root();
            for name in [
                "raft.redb",
                "node.json",
                "swarmd.sock",
                "data-key",
                "docker.sock",
            ] {
                let _ = std::fs::remove_file(root.join(name));
            }
            let _ = std::fs::remove_dir_all(root.join("certs"));
        } else {
            let _ = std::fs::remove_file(self.dir.socket_path());
            let _ = std::fs::remove_file(self.dir.docker_socket_path());
        }
        Ok(())
    }
}
