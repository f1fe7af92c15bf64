//! `website up --sandbox`: the failover website with no account. A local DNS server answers the
//! website's record from the failover record sets in the emulator's hosted zone, and the sandbox
//! evaluates the primary's Route 53 health check itself (moto stores health checks but never
//! runs them).
//!
//! Design:
//! - One detached process per website stack (`swarm-aws __website-dns`, started by `website up
//!   --sandbox`, stopped by `website down --sandbox`), files in
//!   `$XDG_STATE_HOME/swarm-aws/websites/<stack>/` (pid, log, `status.json`).
//! - Each failover record's alias target is a cluster's ELB DNS name; the sandbox answers it with
//!   that cluster's sandbox load balancer address (`127.213.<k>.2`, [`crate::sandbox::lb`]), which
//!   serves the ELB's listener ports, so `http://<answer>:<port>/` reaches the cluster as the ELB
//!   name would.
//! - The health check is read back from the emulator (GetHealthCheck: type, port, path,
//!   `RequestInterval`, `FailureThreshold`) and run against the primary's sandbox LB every
//!   interval: HTTP(S) `GET path` answering 2xx within 4 s (HTTPS probed as a TCP connection: the
//!   sandbox LB passes TLS through), TCP a connection that opens. [`health::Checker`] applies
//!   the threshold both ways, as Route 53 does; the answer is PRIMARY's while healthy, else
//!   SECONDARY's. Records are re-read every round, so a changed record set is followed.
//!
//! Limits: one checker (Route 53 runs ~15 from several regions and calls an endpoint healthy when
//! more than 18% of them say so); UDP only, A records only, TTL [`dns::TTL`].

mod daemon;
pub mod dns;
pub mod health;
pub mod read;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use daemon::{run, Setup};
use health::{Checker, Side};

use crate::sandbox::detached::Detached;
use crate::sandbox::{sandbox_state_root, SandboxError};

/// The hidden verb that runs the DNS server in the foreground.
pub const VERB: &str = "__website-dns";
/// The status file it rewrites every round.
pub const STATUS_FILE: &str = "status.json";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One side of the website: a cluster and where its sandbox LB answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteStatus {
    /// The cluster.
    pub cluster: String,
    /// The record's alias target (the cluster's ELB DNS name).
    pub alias: String,
    /// Its sandbox LB's address (the DNS answer).
    pub addr: Ipv4Addr,
}

/// The primary's health check as read from the emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckStatus {
    /// Its id.
    pub id: String,
    /// `HTTP`, `HTTPS` or `TCP`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// Path (HTTP/HTTPS).
    pub path: String,
    /// Seconds between checks.
    pub interval: u32,
    /// Consecutive results that change its state.
    pub failure_threshold: u32,
}

/// One failover switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    /// The record answering since.
    pub to: Side,
    /// When (milliseconds since the Unix epoch).
    pub at_ms: u64,
}

/// What the website's DNS last saw, rewritten every round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsStatus {
    /// The website stack.
    pub stack: String,
    /// Where the DNS server listens (UDP).
    pub listen: SocketAddr,
    /// The zone it is authoritative for.
    pub zone: String,
    /// The failover record.
    pub record: String,
    /// The primary's health check.
    pub health_check: HealthCheckStatus,
    /// PRIMARY.
    pub primary: SiteStatus,
    /// SECONDARY.
    pub secondary: SiteStatus,
    /// The health check's state.
    pub checker: Checker,
    /// Which record answers.
    pub answering: Side,
    /// The address answered.
    pub answer: Ipv4Addr,
    /// The last check's result, once there is one.
    pub last_check: Option<bool>,
    /// Every switch since start.
    pub switches: Vec<Switch>,
    /// The last error re-reading the records, if the last read failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the sandbox websites keep their files: `$XDG_STATE_HOME/swarm-aws/websites`.
pub fn websites_root() -> PathBuf {
    sandbox_state_root()
        .parent()
        .map(|p| p.join("websites"))
        .unwrap_or_else(|| PathBuf::from("websites"))
}

/// The DNS process of website stack `stack`.
#[derive(Debug, Clone)]
pub struct WebsiteDns {
    /// Its dir.
    pub dir: PathBuf,
}

impl WebsiteDns {
    /// The DNS of website stack `stack`.
    pub fn new(stack: &str) -> Self {
        WebsiteDns {
            dir: websites_root().join(stack),
        }
    }

    fn process(&self) -> Detached {
        Detached {
            dir: self.dir.clone(),
            name: "dns",
            verb: VERB,
        }
    }

    /// Its status, while it runs.
    pub fn status(&self) -> Option<DnsStatus> {
        self.process().running_pid()?;
        crate::sandbox::load_json(&self.dir, STATUS_FILE)
            .ok()
            .flatten()
    }

    /// Starts it (nothing when it runs already) with `args` (the hidden verb's flags); waits for
    /// its first status.
    pub fn start(&self, exe: &Path, args: &[String]) -> Result<DnsStatus, SandboxError> {
        if let Some(s) = self.status() {
            return Ok(s);
        }
        let _ = std::fs::remove_file(self.dir.join(STATUS_FILE));
        let p = self.process();
        p.spawn(exe, args)?;
        p.wait_for(START_TIMEOUT, || self.status())
    }

    /// Stops it and removes its files; whether it ran.
    pub fn stop(&self) -> bool {
        let p = self.process();
        let ran = p.running_pid().is_some();
        p.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
        ran
    }
}
