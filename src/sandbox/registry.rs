//! The sandbox's image registry (it stands for ECR): Debian's `docker-registry` (the CNCF
//! distribution registry 2.8), one per sandbox, storing under the sandbox state dir.
//!
//! Addressing, measured on this machine: the registry listens on the bridge's gateway
//! (`10.213.<k>.1:5000`, plain HTTP). This machine's Docker daemon refuses plain HTTP to that
//! address ("server gave HTTP response to HTTPS client") unless its own config lists it, but it
//! trusts every `127.0.0.0/8` address by default. So images are named `127.213.<k>.1:5000/...`
//! ([`super::plan::Plan::registry_addr`]): in the root namespace a DNAT rule (tagged with the
//! sandbox's comment) sends that name to the gateway, and in each host's namespace another
//! ([`super::engine::route_registry`]) does the same, so `docker push` here and the hosts'
//! engines' pulls use one image reference, with no change to the machine's Docker config.

use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cmd::{run, run_quiet};
use super::SandboxError;

/// The registry binary (Debian package `docker-registry`).
pub(crate) const REGISTRY: &str = "/usr/bin/docker-registry";
/// The registry's dir inside the sandbox state dir.
pub(crate) const DIR: &str = "registry";

/// How long the registry may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The registry's config (pure): plain HTTP on `listen`, blobs under `storage`, deletes allowed.
pub(crate) fn config(listen: SocketAddrV4, storage: &Path) -> String {
    format!(
        "# written by swarm-aws for a sandbox; do not edit\n\
         version: 0.1\n\
         log:\n  level: warn\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: {listen}\n",
        storage.display()
    )
}

/// The sandbox's registry: files in `dir`.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    /// Its dir (config, data, log, pid file).
    pub dir: PathBuf,
}

impl Registry {
    fn pid_file(&self) -> PathBuf {
        self.dir.join("registry.pid")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("registry.log")
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("config.yml")
    }

    /// Starts the registry on `listen` (detached) with the root-namespace DNAT rule for `name`,
    /// tagged `comment`, and waits until it answers `GET /v2/` through `name`.
    pub fn start(
        &self,
        listen: SocketAddrV4,
        name: SocketAddrV4,
        comment: &str,
    ) -> Result<(), SandboxError> {
        let data = self.dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| SandboxError::io(&data, e))?;
        let cfg = self.config_file();
        std::fs::write(&cfg, config(listen, &data)).map_err(|e| SandboxError::io(&cfg, e))?;
        let log_path = self.log();
        let log = std::fs::File::create(&log_path).map_err(|e| SandboxError::io(&log_path, e))?;
        let err = log
            .try_clone()
            .map_err(|e| SandboxError::io(&log_path, e))?;
        // `sh` records its pid, then becomes the registry (`exec`).
        let script = format!(
            "echo $$ > '{}'; exec {REGISTRY} serve '{}'",
            self.pid_file().display(),
            cfg.display()
        );
        let status = Command::new("setsid")
            .args(["-f", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .status()
            .map_err(|e| SandboxError::Command {
                command: format!("setsid -f {REGISTRY} serve"),
                status: "not started".into(),
                stderr: e.to_string(),
            })?;
        if !status.success() {
            return Err(SandboxError::Command {
                command: format!("setsid -f {REGISTRY} serve {}", cfg.display()),
                status: status.to_string(),
                stderr: String::new(),
            });
        }
        add_dnat(name, listen, comment)?;
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            if answers(name.into()) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        Err(SandboxError::RegistryStart {
            addr: name.to_string(),
            secs: START_TIMEOUT.as_secs(),
            log: log_path,
            log_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }

    /// Stops the registry if it runs (TERM, then KILL after 5 s). Its rules go by their comment.
    pub fn stop(&self) {
        let Ok(pid) = std::fs::read_to_string(self.pid_file()) else {
            return;
        };
        let pid = pid.trim().to_string();
        let mine = |pid: &str| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c).contains(&*self.config_file().to_string_lossy())
            })
        };
        if !mine(&pid) {
            return;
        }
        run_quiet("kill", &["-TERM", &pid]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) && mine(&pid) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if mine(&pid) {
            run_quiet("kill", &["-KILL", &pid]);
        }
    }
}

/// Root-namespace DNAT: locally made connections to `name` go to `listen`.
fn add_dnat(name: SocketAddrV4, listen: SocketAddrV4, comment: &str) -> Result<(), SandboxError> {
    let dst = format!("{}/32", name.ip());
    let port = name.port().to_string();
    let to = listen.to_string();
    run(
        "iptables",
        &[
            "-w",
            "-t",
            "nat",
            "-I",
            "OUTPUT",
            "-d",
            &dst,
            "-p",
            "tcp",
            "--dport",
            &port,
            "-m",
            "comment",
            "--comment",
            comment,
            "-j",
            "DNAT",
            "--to-destination",
            &to,
        ],
    )?;
    Ok(())
}

/// Whether a registry answers `GET /v2/` with 200 at `addr`.
pub(crate) fn answers(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1) == Some("200")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn config_serves_plain_http_on_the_gateway_from_the_state_dir() {
        let cfg = config(
            SocketAddrV4::new(Ipv4Addr::new(10, 213, 7, 1), 5000),
            Path::new("/s/registry/data"),
        );
        let v: serde_yaml::Value = serde_yaml::from_str(&cfg).unwrap();
        assert_eq!(v["http"]["addr"].as_str(), Some("10.213.7.1:5000"));
        assert!(v["http"].get("tls").is_none());
        assert_eq!(
            v["storage"]["filesystem"]["rootdirectory"].as_str(),
            Some("/s/registry/data")
        );
    }
}
