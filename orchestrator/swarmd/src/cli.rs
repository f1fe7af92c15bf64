//! Command-line definitions (clap only, no I/O).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// swarmd: the bundled Swarm-mode orchestrator (daemon and client).
#[derive(Debug, Parser)]
#[command(name = "swarmd", version, about)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Where client verbs connect and how they print.
#[derive(Debug, Clone, Args)]
pub struct ClientOpts {
    /// The node's state directory (its local socket is used unless --host is given).
    #[arg(
        long,
        env = "SWARMD_STATE_DIR",
        default_value = "/var/lib/swarmd",
        global = true
    )]
    pub state_dir: PathBuf,
    /// A manager's address (HOST:PORT), reached over mutual TLS.
    #[arg(long, env = "SWARMD_HOST", global = true)]
    pub host: Option<String>,
    /// Directory with ca.pem, node.pem, node-key.pem for --host (default: STATE_DIR/certs).
    #[arg(long, env = "SWARMD_CERT_DIR", global = true)]
    pub cert_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
}

/// [`ClientOpts`] of `swarmd service`: the same options, but `-H/--host` only before the
/// verb (`swarmd service -H MANAGER create ...`, as `docker -H`), because `service create
/// --host HOST:IP` is Docker's extra-hosts flag.
#[derive(Debug, Clone, Args)]
pub struct ServiceClientOpts {
    /// The node's state directory (its local socket is used unless --host is given).
    #[arg(
        long,
        env = "SWARMD_STATE_DIR",
        default_value = "/var/lib/swarmd",
        global = true
    )]
    pub state_dir: PathBuf,
    /// A manager's address (HOST:PORT), reached over mutual TLS (before the verb).
    #[arg(short = 'H', long = "host", env = "SWARMD_HOST")]
    pub manager: Option<String>,
    /// Directory with ca.pem, node.pem, node-key.pem for --host (default: STATE_DIR/certs).
    #[arg(long, env = "SWARMD_CERT_DIR", global = true)]
    pub cert_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
}

impl From<ServiceClientOpts> for ClientOpts {
    fn from(o: ServiceClientOpts) -> Self {
        ClientOpts {
            state_dir: o.state_dir,
            host: o.manager,
            cert_dir: o.cert_dir,
            format: o.format,
        }
    }
}

pub use swarm_ctl::{Format, NodeVerb, ServiceVerb};

/// Daemon options shared by init, join and run.
#[derive(Debug, Clone, Args)]
pub struct DaemonOpts {
    /// State directory.
    #[arg(long, env = "SWARMD_STATE_DIR", default_value = "/var/lib/swarmd")]
    pub state_dir: PathBuf,
    /// Mark a node Down after this many milliseconds without heartbeat.
    #[arg(long, default_value_t = 5000)]
    pub down_after_ms: u64,
    /// Snapshot the state and compact the Raft log every this many entries.
    #[arg(long, default_value_t = 5000, hide = true)]
    pub snapshot_every: u64,
    /// Docker engine socket the node runs its tasks on.
    #[arg(
        long,
        env = "SWARMD_DOCKER_SOCKET",
        default_value = "/var/run/docker.sock"
    )]
    pub docker_socket: String,
    /// Run no tasks on this node (no Docker engine).
    #[arg(long, env = "SWARMD_NO_EXECUTOR")]
    pub no_executor: bool,
    /// IP other nodes reach this node's published container ports at (default: advertise IP).
    #[arg(long, env = "SWARMD_PUBLISH_IP")]
    pub publish_ip: Option<std::net::IpAddr>,
    /// IP the routing mesh listens on for published ports (default: advertise IP).
    #[arg(long, env = "SWARMD_MESH_IP")]
    pub mesh_ip: Option<std::net::IpAddr>,
    /// Load-balancer health check (plain HTTP GET /: 200 when Ready): IP:PORT, or `off`
    /// [default: the advertise IP, port 44554]
    #[arg(long, env = "SWARMD_HEALTH_ADDR", value_name = "ADDR|off")]
    pub health_addr: Option<String>,
    /// Serve Prometheus metrics: a loopback IP:PORT for plain HTTP (e.g. 127.0.0.1:9323), or
    /// `tls` for `/metrics` on the node's TLS port to admin certificates only [default: off]
    #[arg(long, env = "SWARMD_METRICS_ADDR", value_name = "ADDR|tls")]
    pub metrics_addr: Option<String>,
    /// CPUs this node offers the scheduler for reservations, e.g. 0.5 or 2 (at most the
    /// engine's; default: the engine's NCPU).
    #[arg(long, env = "SWARMD_CPUS", value_name = "CPUS")]
    pub cpus: Option<String>,
    /// Memory this node offers the scheduler for reservations, e.g. 512M or 4G (at most the
    /// engine's; default: the engine's MemTotal).
    #[arg(long, env = "SWARMD_MEMORY", value_name = "SIZE")]
    pub memory: Option<String>,
}

/// Addresses and availability of a new node.
#[derive(Debug, Clone, Args)]
pub struct AddrOpts {
    /// Address other nodes reach this node at: IP, IP:PORT, interface or INTERFACE:PORT (port:
    /// the listen port) [default: the listen address; on a wildcard, `join` takes the local
    /// address of the route to the manager, `init` the system's only address]
    #[arg(long, value_name = "ADDR")]
    pub advertise_addr: Option<String>,
    /// Address to listen on: IP, IP:PORT, interface, INTERFACE:PORT or :PORT (port 2377).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:2377")]
    pub listen_addr: String,
    /// Availability of the node (active, pause or drain), as `docker swarm init|join`.
    #[arg(long, value_name = "AVAILABILITY", default_value = "active")]
    pub availability: String,
    /// Host name to show in `node ls` (default: the system's).
    #[arg(long)]
    pub hostname: Option<String>,
    /// A label the node starts with (KEY=VALUE; repeatable, comma-separated in the env): on
    /// `join` only `swarm-aws.*` keys (swarm-aws records the EC2 instance id so)
    #[arg(
        long = "label",
        value_name = "KEY=VALUE",
        env = "SWARMD_NODE_LABELS",
        value_delimiter = ','
    )]
    pub labels: Vec<String>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new cluster with this node as its first manager, then run.
    Init {
        /// Daemon options.
        #[command(flatten)]
        daemon: DaemonOpts,
        /// Addresses.
        #[command(flatten)]
        addrs: AddrOpts,
        /// Turn this stopped manager's state into a new one-manager cluster (disaster recovery).
        #[arg(long)]
        force_new_cluster: bool,
        /// Enable manager autolocking (requiring an unlock key to start a stopped manager).
        #[arg(long)]
        autolock: bool,
    },
    /// Join a cluster with a token from `swarmd join-token`, then run.
    Join {
        /// Daemon options.
        #[command(flatten)]
        daemon: DaemonOpts,
        /// Addresses.
        #[command(flatten)]
        addrs: AddrOpts,
        /// Join token (SWMTKN-1-...).
        #[arg(long, env = "SWARMD_JOIN_TOKEN", hide_env_values = true)]
        token: String,
        /// A manager's address: HOST or HOST:PORT (port 2377).
        manager_addr: String,
    },
    /// Run a node from its state directory (after a restart).
    Run {
        /// Daemon options.
        #[command(flatten)]
        daemon: DaemonOpts,
    },
    /// Leave the cluster (this node) and wipe its state; a manager needs --force.
    Leave {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// Force this node to leave the swarm, ignoring warnings (a manager's leave needs it).
        #[arg(short, long)]
        force: bool,
    },
    /// Manage nodes.
    Node {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The node verb.
        #[command(subcommand)]
        verb: NodeVerb,
    },
    /// Manage services.
    Service {
        /// Client options.
        #[command(flatten)]
        client: ServiceClientOpts,
        /// The service verb.
        #[command(subcommand)]
        verb: ServiceVerb,
    },
    /// Manage overlay networks.
    Network {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The network verb.
        #[command(subcommand)]
        verb: swarm_ctl::NetworkVerb,
    },
    /// Manage secrets.
    Secret {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The secret verb.
        #[command(subcommand)]
        verb: swarm_ctl::FileObjectVerb,
    },
    /// Manage configs.
    Config {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The config verb.
        #[command(subcommand)]
        verb: swarm_ctl::FileObjectVerb,
    },
    /// Manage the swarm (autolock and its unlock key).
    Swarm {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The swarm verb.
        #[command(subcommand)]
        verb: swarm_ctl::SwarmVerb,
    },
    /// Unlock a locked manager (reads the unlock key from STDIN).
    Unlock {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
    },
    /// Manage stacks (services and networks from compose files).
    Stack {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The stack verb.
        #[command(subcommand)]
        verb: swarm_ctl::StackVerb,
    },
    /// Stream the cluster's events (node, service, task, network, secret, config changes).
    Events {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// The events flags.
        #[command(flatten)]
        args: swarm_ctl::EventsArgs,
    },
    /// Show or rotate a join token.
    JoinToken {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
        /// Replace the token with a new one (the old one stops working).
        #[arg(long)]
        rotate: bool,
        /// Print only the token.
        #[arg(short, long)]
        quiet: bool,
        /// worker or manager.
        role: RoleArg,
    },
    /// Show this node's view of the cluster (Raft leader, term, quorum).
    Info {
        /// Client options.
        #[command(flatten)]
        client: ClientOpts,
    },
    /// Sign a client CSR as an admin certificate (on a manager; prints the certificate and the
    /// CA), or list (`ls`) and revoke (`revoke`) the admin certificates signed so far.
    AdminCert {
        /// Client options (signing: the local socket only).
        #[command(flatten)]
        client: ClientOpts,
        /// List or revoke instead of signing.
        #[command(subcommand)]
        action: Option<AdminCertAction>,
        /// The PEM certificate signing request to sign (`-`: stdin).
        #[arg(long, value_name = "FILE")]
        csr_file: Option<PathBuf>,
        /// Who the certificate is for (its CN).
        #[arg(long, default_value = "admin")]
        name: String,
        /// Validity in days (1 to 365).
        #[arg(long, default_value_t = swarm_api::admin::DEFAULT_ADMIN_DAYS)]
        days: u32,
    },
}

/// `admin-cert ls | revoke`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCertAction {
    /// List the admin certificates the managers signed (serial, name, expiry, revoked).
    Ls,
    /// Revoke admin certificates: every manager refuses them from their next request.
    Revoke {
        /// A serial number (or its first 8+ hex digits), or a name: all of that name's
        /// certificates.
        key: String,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Worker.
    Worker,
    /// Manager.
    Manager,
}
