//! `up --sandbox --monitoring`: a Prometheus (Debian's `prometheus`, the one the e2e tests use)
//! on this machine's loopback, scraping every host of the sandbox.
//!
//! Design:
//! - The hosts live in network namespaces, so a node's loopback metrics address is out of
//!   reach from here. With monitoring, every host's swarmd runs with `--metrics-addr tls`
//!   (`SWARMD_METRICS_ADDR=tls` in its `host.env`, recorded in the sandbox state so hosts
//!   added later get it too), which serves `GET /metrics` on the node's mutual-TLS port to admin
//!   certificates only. Prometheus gets an admin certificate of its own (CN
//!   `prometheus@<cluster>`, key made here, signed by a manager over SSH like the user's, files
//!   in [`Monitoring::tls_dir`]), so revoking the user's certificate does not blind it.
//! - Targets are the hosts' addresses on swarmd's port (`10.213.<k>.<n>:2377`, reached over the
//!   sandbox bridge), one group per host labelled `host`. No `server_name`: every node's
//!   certificate names its own advertise IP, which is what Prometheus dials, so each target is
//!   verified against its own address (and the cluster CA only).
//! - Config, TSDB, log and pid file live under the sandbox state dir (`monitoring/`); the
//!   listening address is recorded there. When hosts come and go the config is rewritten and
//!   Prometheus gets SIGHUP; teardown stops it with the registry, and a Prometheus left running
//!   shows up in [`super::Sandbox::leftovers`] (its command line names the state dir).
//!
//! Limits: plain HTTP on 127.0.0.1 with no authentication (as `prometheus` serves by default);
//! the port is picked free at start, so a race with another process binding it is possible.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cmd::run_quiet;
use super::{Sandbox, SandboxError};

/// The Prometheus binary (Debian package `prometheus`), found on `PATH`.
pub(crate) const PROMETHEUS: &str = "prometheus";
/// The monitoring dir inside the sandbox state dir.
pub(crate) const DIR: &str = "monitoring";
/// Seconds between scrapes.
pub const SCRAPE_INTERVAL_SECS: u64 = 5;

/// How long Prometheus may take to answer `/-/ready`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The files Prometheus presents and trusts (PEM): the cluster CA, its admin certificate, key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeTls {
    /// The cluster CA (verifies the nodes).
    pub ca: PathBuf,
    /// Prometheus's admin certificate.
    pub cert: PathBuf,
    /// Its private key (mode 0600).
    pub key: PathBuf,
}

/// One scrape target: a host's name and its swarmd TLS address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host (`host-0`), as the `host` label.
    pub host: String,
    /// `ip:port` of its swarmd.
    pub addr: SocketAddrV4,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The Prometheus config (pure): one `swarmd` job over HTTPS with `tls`, a group per target.
pub fn config(targets: &[Target], tls: &ScrapeTls) -> String {
    let mut groups = String::new();
    for t in targets {
        groups.push_str(&format!(
            "      - targets: [{}]\n        labels:\n          host: {}\n",
            quote(&t.addr.to_string()),
            quote(&t.host)
        ));
    }
    if targets.is_empty() {
        groups.push_str("      - targets: []\n");
    }
    format!(
        "# written by swarm-aws for a sandbox (up --monitoring); do not edit\n\
         global:\n  scrape_interval: {i}s\n  scrape_timeout: {t}s\n  evaluation_interval: {i}s\n\
         scrape_configs:\n  - job_name: swarmd\n    scheme: https\n    tls_config:\n\
         \x20     ca_file: {ca}\n      cert_file: {cert}\n      key_file: {key}\n\
         \x20   static_configs:\n{groups}",
        i = SCRAPE_INTERVAL_SECS,
        t = SCRAPE_INTERVAL_SECS - 1,
        ca = quote(&tls.ca.display().to_string()),
        cert = quote(&tls.cert.display().to_string()),
        key = quote(&tls.key.display().to_string()),
    )
}

/// The sandbox's Prometheus: files in `dir`.
#[derive(Debug, Clone)]
pub(crate) struct Monitoring {
    /// Its dir (config, TSDB, log, pid file, address, TLS files).
    pub dir: PathBuf,
}

impl Monitoring {
    fn pid_file(&self) -> PathBuf {
        self.dir.join("prometheus.pid")
    }

    fn addr_file(&self) -> PathBuf {
        self.dir.join("prometheus.addr")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("prometheus.log")
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("prometheus.yml")
    }

    /// Where Prometheus's admin credentials live (the layout of the user's:
    /// `admin-key.pem`, `admin.pem`, `admin-ca.pem`).
    pub fn tls_dir(&self) -> PathBuf {
        self.dir.join("tls")
    }

    fn tls(&self) -> ScrapeTls {
        use crate::cluster_api::{ADMIN_CA_FILE, ADMIN_CERT_FILE, ADMIN_KEY_FILE};
        let d = self.tls_dir();
        ScrapeTls {
            ca: d.join(ADMIN_CA_FILE),
            cert: d.join(ADMIN_CERT_FILE),
            key: d.join(ADMIN_KEY_FILE),
        }
    }

    /// The pid of our Prometheus, if it runs (its command line names our config file).
    fn running_pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.pid_file()).ok()?;
        let pid = pid.trim().to_string();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        String::from_utf8_lossy(&cmdline)
            .contains(&*self.config_file().to_string_lossy())
            .then_some(pid)
    }

    /// Where it listens, while it runs.
    pub fn addr(&self) -> Option<SocketAddrV4> {
        self.running_pid()?;
        std::fs::read_to_string(self.addr_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn write_config(&self, targets: &[Target]) -> Result<(), SandboxError> {
        let cfg = self.config_file();
        let tmp = self.dir.join("prometheus.yml.tmp");
        std::fs::write(&tmp, config(targets, &self.tls()))
            .map_err(|e| SandboxError::io(&tmp, e))?;
        std::fs::rename(&tmp, &cfg).map_err(|e| SandboxError::io(&cfg, e))
    }

    /// Starts Prometheus on a free port of 127.0.0.1 scraping `targets` (or, when it runs
    /// already, reloads it with them) and waits until it is ready; returns where it listens.
    pub fn start(&self, targets: &[Target]) -> Result<SocketAddrV4, SandboxError> {
        if let Some(addr) = self.addr() {
            self.reload(targets)?;
            return Ok(addr);
        }
        let data = self.dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| SandboxError::io(&data, e))?;
        self.write_config(targets)?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| SandboxError::io(Path::new("127.0.0.1:0"), e))?;
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        // `sh` records its pid, then becomes Prometheus (`exec`), in a session of its own.
        let script = format!(
            "echo $$ > '{}'; exec {PROMETHEUS} --config.file='{}' --storage.tsdb.path='{}' \
             --web.listen-address={addr}",
            self.pid_file().display(),
            self.config_file().display(),
            data.display()
        );
        let command = format!(
            "setsid -f {PROMETHEUS} --config.file={}",
            self.config_file().display()
        );
        let log_path = self.log();
        super::detached::setsid_sh(&script, &log_path, command)?;
        let addr_file = self.addr_file();
        std::fs::write(&addr_file, addr.to_string())
            .map_err(|e| SandboxError::io(&addr_file, e))?;
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            if ready(addr.into()) {
                return Ok(addr);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        self.stop();
        Err(SandboxError::MonitoringStart {
            addr: addr.to_string(),
            secs: START_TIMEOUT.as_secs(),
            log: log_path,
            log_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }

    /// Rewrites the targets and has a running Prometheus reload its config (SIGHUP); nothing
    /// when it does not run.
    pub fn reload(&self, targets: &[Target]) -> Result<(), SandboxError> {
        let Some(pid) = self.running_pid() else {
            return Ok(());
        };
        self.write_config(targets)?;
        run_quiet("kill", &["-HUP", &pid]);
        Ok(())
    }

    /// Stops Prometheus if it runs (TERM, then KILL after 10 s).
    pub fn stop(&self) {
        let Some(pid) = self.running_pid() else {
            return;
        };
        run_quiet("kill", &["-TERM", &pid]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) && self.running_pid().is_some() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.running_pid().is_some() {
            run_quiet("kill", &["-KILL", &pid]);
        }
    }
}

/// Whether a Prometheus answers `GET /-/ready` with 200 at `addr`.
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /-/ready HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1) == Some("200")
}

impl Sandbox {
    /// The sandbox's Prometheus.
    pub(crate) fn monitoring(&self) -> Monitoring {
        Monitoring {
            dir: self.state_dir().join(DIR),
        }
    }

    /// Where Prometheus's admin credentials go (signed by a manager, as the user's are).
    pub fn monitoring_tls_dir(&self) -> PathBuf {
        self.monitoring().tls_dir()
    }

    /// The scrape targets: every host's swarmd TLS port.
    fn monitoring_targets(&self) -> Result<Vec<Target>, SandboxError> {
        Ok(self
            .hosts()?
            .into_iter()
            .map(|h| Target {
                host: h.name,
                addr: SocketAddrV4::new(h.addr, crate::bootstrap::SWARMD_PORT),
            })
            .collect())
    }

    /// Starts (or reloads) the sandbox's Prometheus scraping every host; its address. Needs
    /// Prometheus's credentials in [`Sandbox::monitoring_tls_dir`] first.
    pub fn start_monitoring(&self) -> Result<SocketAddrV4, SandboxError> {
        let m = self.monitoring();
        let tls = m.tls();
        for f in [&tls.ca, &tls.cert, &tls.key] {
            if !f.exists() {
                return Err(SandboxError::io(
                    f,
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "Prometheus's admin certificate is not there yet",
                    ),
                ));
            }
        }
        m.start(&self.monitoring_targets()?)
    }

    /// Where the sandbox's Prometheus listens, while it runs.
    pub fn prometheus_addr(&self) -> Option<SocketAddrV4> {
        self.monitoring().addr()
    }

    /// Follows the hosts in a running Prometheus's targets (after hosts came or went).
    pub(crate) fn reload_monitoring(&self) -> Result<(), SandboxError> {
        self.monitoring().reload(&self.monitoring_targets()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_scrapes_each_host_over_tls_with_the_admin_certificate() {
        let tls = ScrapeTls {
            ca: "/s/monitoring/tls/admin-ca.pem".into(),
            cert: "/s/monitoring/tls/admin.pem".into(),
            key: "/s/monitoring/tls/admin-key.pem".into(),
        };
        let targets = vec![
            Target {
                host: "host-0".into(),
                addr: "10.213.7.10:2377".parse().unwrap(),
            },
            Target {
                host: "host-1".into(),
                addr: "10.213.7.11:2377".parse().unwrap(),
            },
        ];
        let v: serde_yaml::Value = serde_yaml::from_str(&config(&targets, &tls)).unwrap();
        let job = &v["scrape_configs"][0];
        assert_eq!(job["job_name"].as_str(), Some("swarmd"));
        assert_eq!(job["scheme"].as_str(), Some("https"));
        let t = &job["tls_config"];
        assert_eq!(
            t["ca_file"].as_str(),
            Some("/s/monitoring/tls/admin-ca.pem")
        );
        assert_eq!(t["cert_file"].as_str(), Some("/s/monitoring/tls/admin.pem"));
        assert_eq!(
            t["key_file"].as_str(),
            Some("/s/monitoring/tls/admin-key.pem")
        );
        // Each node is verified against its own address: no shared server name.
        assert!(t.get("server_name").is_none());
        let groups = job["static_configs"].as_sequence().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[1]["targets"][0].as_str(), Some("10.213.7.11:2377"));
        assert_eq!(groups[1]["labels"]["host"].as_str(), Some("host-1"));
        assert_eq!(v["global"]["scrape_timeout"].as_str(), Some("4s"));
        // No host (yet): still a valid config.
        let v: serde_yaml::Value = serde_yaml::from_str(&config(&[], &tls)).unwrap();
        assert!(v["scrape_configs"][0]["static_configs"][0]["targets"]
            .as_sequence()
            .unwrap()
            .is_empty());
    }
}
