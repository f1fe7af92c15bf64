//! The sandbox's load balancer: a local TCP proxy standing for the cluster's classic ELB, so a
//! published port answers on this machine as it would on the ELB's DNS name.
//!
//! Design:
//! - One detached process per sandbox (`swarm-aws __sandbox-lb`, started by `up --sandbox`,
//!   stopped by `down --sandbox` with the rest of the sandbox), its pid file, log and status in
//!   `<state dir>/lb/` (so [`super::Sandbox::leftovers`] sees it by its command line).
//! - It listens on the sandbox's own loopback address `127.213.<k>.2` ([`super::plan::Plan::lb_addr`])
//!   on each listener's `LoadBalancerPort`: the ELB's listeners as DescribeLoadBalancers reports
//!   them, re-read every [`ROUND`], so a listener added to (or removed from) the ELB opens (or
//!   closes) here within a round ([`plan::diff`]).
//! - Targets are the sandbox's hosts (every node, as Docker for AWS registered every instance;
//!   moto registers only the last group's instances, see `localstack/README.md`), probed every
//!   round with the ELB's health check target (the template's `HTTP:44554/`: swarmd's health
//!   endpoint, 200 while the node is Ready). A target enters service after the ELB's
//!   `HealthyThreshold` passed checks and leaves at its first failed one; connections are spread
//!   round robin over the targets in service ([`plan::Pool`]) to their `InstancePort`, where each
//!   node's routing mesh takes them to a task. A target that refuses the connection hands it to
//!   the next one; with none in service the connection is closed.
//!
//! Limits: TCP listeners only (the template makes TCP listeners); the sandbox probes every
//! second rather than the ELB's 10 s `Interval`, and takes a target out at once rather than after
//! `UnhealthyThreshold` failures (the drill should measure the website's failover, not the LB's).

mod daemon;
pub mod plan;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use daemon::{http_ok, run, ElbView};

use super::detached::Detached;
use super::{Sandbox, SandboxError};

/// The LB dir inside the sandbox state dir.
pub(crate) const DIR: &str = "lb";
/// The status file the LB rewrites every round.
pub const STATUS_FILE: &str = "status.json";
/// Time between rounds (ELB re-read, health checks, status).
pub const ROUND: Duration = Duration::from_secs(1);
/// The hidden verb that runs the LB in the foreground.
pub const VERB: &str = "__sandbox-lb";
/// How long a starting LB may take to write its first status.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One listener as the LB serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerStatus {
    /// The ELB's `LoadBalancerPort`.
    pub port: u16,
    /// Its `InstancePort` on the targets.
    pub instance_port: u16,
    /// Where it answers here (`127.213.<k>.2:PORT`).
    pub local: String,
    /// Why it could not listen, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetStatus {
    /// The sandbox host (`host-0`).
    pub host: String,
    /// Its address.
    pub addr: Ipv4Addr,
    /// Whether it gets connections.
    pub in_service: bool,
}

/// What the LB last saw, rewritten every round (`status.json`; `status` shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbStatus {
    /// The ELB it stands for.
    pub load_balancer: String,
    /// The LB's address.
    pub addr: Ipv4Addr,
    /// Its health check target (`HTTP:44554/`).
    pub health_check: String,
    /// The listeners.
    pub listeners: Vec<ListenerStatus>,
    /// The targets.
    pub targets: Vec<TargetStatus>,
    /// The last error reading the ELB, if the last read failed (the listeners stay as they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When this was written (seconds since the Unix epoch).
    pub updated: u64,
}

/// The sandbox's LB process: files in `dir`.
#[derive(Debug, Clone)]
pub struct SandboxLb {
    /// Its dir (pid file, log, status).
    pub dir: PathBuf,
}

impl SandboxLb {
    fn process(&self) -> Detached {
        Detached {
            dir: self.dir.clone(),
            name: "lb",
            verb: VERB,
        }
    }

    /// The LB's log.
    pub fn log(&self) -> PathBuf {
        self.process().log()
    }

    /// Its last status, while it runs.
    pub fn status(&self) -> Option<LbStatus> {
        self.process().running_pid()?;
        super::load_json(&self.dir, STATUS_FILE).ok().flatten()
    }

    /// Starts the LB of `cluster` (nothing when it runs already): `exe __sandbox-lb` detached,
    /// with `region`; waits for its first status.
    pub fn start(&self, exe: &Path, cluster: &str, region: &str) -> Result<LbStatus, SandboxError> {
        if let Some(s) = self.status() {
            return Ok(s);
        }
        let _ = std::fs::remove_file(self.dir.join(STATUS_FILE));
        let args = ["--cluster", cluster, "--region", region].map(str::to_string);
        let p = self.process();
        p.spawn(exe, &args)?;
        p.wait_for(START_TIMEOUT, || self.status())
    }

    /// Stops the LB if it runs.
    pub fn stop(&self) {
        self.process().stop()
    }
}

impl Sandbox {
    /// The sandbox's load balancer.
    pub fn lb(&self) -> SandboxLb {
        SandboxLb {
            dir: self.state_dir().join(DIR),
        }
    }
}
