//! Settings of a node: Raft timeouts, heartbeat period, the Down threshold and the health check.

use std::time::Duration;

use std::net::SocketAddr;

/// Port of the health check (Docker for AWS's).
pub const HEALTH_PORT: u16 = 44554;

/// Where the health check listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthListen {
    /// No health endpoint.
    #[default]
    Off,
    /// The node's advertise IP, port [`HEALTH_PORT`]; a port already taken is logged, not fatal
    /// (several nodes may share a machine in tests).
    AdvertiseIp,
    /// This address; failing to bind it stops the daemon.
    At(SocketAddr),
}

/// Where the node serves its Prometheus metrics (`--metrics-addr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsListen {
    /// No metrics (nothing recorded).
    #[default]
    Off,
    /// Plain HTTP `GET /metrics` on this loopback address (and `/metrics` on the TLS port).
    At(SocketAddr),
    /// `GET /metrics` on the node's TLS port (admin certificates) and local socket only.
    Tls,
}

/// Tunables; the defaults aim at sub-second failover and Down detection in 5 s.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Raft leader heartbeat.
    pub raft_heartbeat: Duration,
    /// Raft election timeout, lower bound (randomised up to `election_max`).
    pub election_min: Duration,
    /// Raft election timeout, upper bound.
    pub election_max: Duration,
    /// A node without heartbeat for this long is Down.
    pub down_after: Duration,
    /// How long a write may wait for a leader and commit before "no quorum".
    pub write_timeout: Duration,
    /// Take a snapshot (and compact the log) after this many entries.
    pub snapshot_every: u64,
    /// The Docker engine socket of the task executor; `None` runs no tasks on this node.
    pub docker_socket: Option<String>,
    /// Where other nodes reach this node's published container ports (default: the advertise IP).
    pub publish_ip: Option<std::net::IpAddr>,
    /// Where the routing mesh listens (default: the advertise IP).
    pub mesh_ip: Option<std::net::IpAddr>,
    /// The load balancer's health check (off by default; `swarmd` turns it on).
    pub health: HealthListen,
    /// Caps what the node reports to the scheduler (`swarmd --cpus/--memory`); a zero field
    /// reports the engine's own figure.
    pub capacity: swarm_api::resources::Resources,
    /// The Prometheus metrics (off by default).
    pub metrics: MetricsListen,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            raft_heartbeat: Duration::from_millis(100),
            election_min: Duration::from_millis(300),
            election_max: Duration::from_millis(600),
            down_after: Duration::from_secs(5),
            write_timeout: Duration::from_secs(3),
            snapshot_every: 5000,
            docker_socket: Some("/var/run/docker.sock".into()),
            publish_ip: None,
            mesh_ip: None,
            health: HealthListen::Off,
            capacity: Default::default(),
            metrics: MetricsListen::Off,
        }
    }
}

impl Settings {
    /// How often each node sends a heartbeat: a fifth of the Down threshold, at least 100 ms.
    pub fn heartbeat_interval(&self) -> Duration {
        (self.down_after / 5).max(Duration::from_millis(100))
    }

    /// The openraft configuration.
    pub fn raft_config(&self) -> openraft::Config {
        openraft::Config {
            cluster_name: "swarmd".into(),
            heartbeat_interval: self.raft_heartbeat.as_millis() as u64,
            election_timeout_min: self.election_min.as_millis() as u64,
            election_timeout_max: self.election_max.as_millis() as u64,
            install_snapshot_timeout: 5000,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every),
            max_in_snapshot_log_to_keep: self.snapshot_every.min(1000),
            ..Default::default()
        }
    }
}
