//! One sandbox host's own container engine: a `dockerd` inside the host's network namespace, with
//! its own data root (under the host's state dir), exec root, pid file and unix socket (under
//! [`super::plan::ENGINE_RUN_ROOT`], short enough for socket paths), config file and cgroup parent.
//!
//! Measured on this machine (Docker 20.10, containerd 1.6, cgroup v1, kernel 6.18):
//! - `nsenter --net=/run/netns/NAME dockerd ...` works; `ip netns exec` does not (it remounts
//!   `/sys`, hiding the cgroup mounts: "Devices cgroup isn't mounted").
//! - The machine's `/etc/docker/daemon.json` sets `data-root`, which conflicts with the flag, so
//!   each engine gets its own `--config-file` (the machine's storage driver, `fuse-overlayfs`
//!   here; mtu 1400; json-file logs).
//! - With `--containerd` unset, dockerd starts its own containerd under its exec root; the
//!   containerd shims and fuse-overlayfs processes run in the host's namespace, the containers
//!   in namespaces of their own. The engine's `docker0` and iptables rules live in the host's
//!   namespace, so every engine keeps Docker's default `172.17.0.0/16` without clashing.
//! - An engine answers `/_ping` about 0.5 s after start; 8 started at once all answer within a
//!   few seconds on 2 cores.
//! - dockerd bind-mounts its data root onto itself and mounts each container's rootfs
//!   (fuse-overlayfs) and network namespace (nsfs, under the exec root) in the root mount
//!   namespace. On SIGTERM it unmounts them; after SIGKILL they stay, so teardown unmounts
//!   whatever is left below its dirs.
//! - Containers get the cgroup parent `/<netns>`, so teardown finds (and kills) them even when
//!   dockerd is dead, and removes the cgroups afterwards.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::cmd::run;
use super::sweep;
use super::SandboxError;

/// The engine's data root, inside the host's state dir.
pub(crate) const DATA_DIR: &str = "docker";
/// The engine's config file, inside the host's state dir.
pub(crate) const CONFIG: &str = "dockerd.json";
/// The engine's log, inside the host's state dir.
pub(crate) const LOG: &str = "dockerd.log";
/// The machine's daemon config, whose storage driver the engines reuse.
const MACHINE_DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// One host's engine: where its files are and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Engine {
    /// The host's network namespace (also the engine's cgroup parent).
    pub netns: String,
    /// The host's state dir (data root, config, log).
    pub host_dir: PathBuf,
    /// The engine's run dir (socket, pid file, exec root).
    pub run_dir: PathBuf,
}

impl Engine {
    /// The Docker API socket.
    pub fn socket(&self) -> PathBuf {
        socket_in(&self.run_dir)
    }

    fn pid_file(&self) -> PathBuf {
        self.run_dir.join("docker.pid")
    }

    fn exec_root(&self) -> PathBuf {
        self.run_dir.join("exec")
    }

    fn data_root(&self) -> PathBuf {
        self.host_dir.join(DATA_DIR)
    }

    fn log(&self) -> PathBuf {
        self.host_dir.join(LOG)
    }

    /// The dirs whose mounts teardown removes.
    fn mount_roots(&self) -> Vec<PathBuf> {
        vec![self.data_root(), self.run_dir.clone()]
    }

    /// Starts dockerd in the host's namespace (detached: `setsid -f`), trusting `registries`
    /// over plain HTTP. Does not wait; see [`Engine::wait_ready`].
    pub fn start(&self, registries: &[String]) -> Result<(), SandboxError> {
        for dir in [&self.run_dir, &self.host_dir] {
            std::fs::create_dir_all(dir).map_err(|e| SandboxError::io(dir, e))?;
        }
        let cfg_path = self.host_dir.join(CONFIG);
        let machine = std::fs::read_to_string(MACHINE_DAEMON_JSON).unwrap_or_default();
        let cfg = config(&self.netns, registries, storage_driver(&machine).as_deref());
        std::fs::write(&cfg_path, cfg).map_err(|e| SandboxError::io(&cfg_path, e))?;
        let log_path = self.log();
        // A new log per start, so that wait_ready reads only this run's failure.
        let log = std::fs::File::create(&log_path).map_err(|e| SandboxError::io(&log_path, e))?;
        let err = log
            .try_clone()
            .map_err(|e| SandboxError::io(&log_path, e))?;
        let host = format!("unix://{}", self.socket().display());
        let status = Command::new("setsid")
            .arg("-f")
            .arg("nsenter")
            .arg(format!("--net=/run/netns/{}", self.netns))
            .arg("dockerd")
            .arg("--config-file")
            .arg(&cfg_path)
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.exec_root())
            .arg("--pidfile")
            .arg(self.pid_file())
            .args(["-H", &host])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .status()
            .map_err(|e| SandboxError::Command {
                command: "setsid -f nsenter ... dockerd".into(),
                status: "not started".into(),
                stderr: e.to_string(),
            })?;
        if !status.success() {
            return Err(SandboxError::Command {
                command: format!("setsid -f nsenter --net=/run/netns/{} dockerd", self.netns),
                status: status.to_string(),
                stderr: String::new(),
            });
        }
        Ok(())
    }

    /// Waits until the engine answers `GET /_ping` on its socket.
    pub fn wait_ready(&self, host: &str, timeout: Duration) -> Result<(), SandboxError> {
        let start = Instant::now();
        let mut waited = timeout.as_secs();
        while start.elapsed() < timeout {
            if ping(&self.socket()) {
                return Ok(());
            }
            // dockerd says so when it gives up (bad config, storage driver, ...): stop waiting.
            let log = std::fs::read_to_string(self.log()).unwrap_or_default();
            if log.contains("failed to start daemon") {
                waited = start.elapsed().as_secs();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        Err(SandboxError::EngineStart {
            host: host.to_string(),
            socket: self.socket(),
            secs: waited,
            log: self.log(),
            log_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }

    /// The pid of a running dockerd of this engine, from its pid file.
    fn pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.pid_file()).ok()?;
        let pid = pid.trim().to_string();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let mine = String::from_utf8_lossy(&cmdline).contains(&*self.run_dir.to_string_lossy());
        mine.then_some(pid)
    }

    /// Stops the engine: kills its containers (SIGKILL, through its cgroup: an instance being
    /// terminated does not stop them gracefully either), then lets dockerd shut down (SIGTERM,
    /// up to 15 s), which unmounts what it mounted and stops its containerd. What is still
    /// running in the namespace afterwards is the caller's to kill; then [`Engine::sweep`].
    pub fn stop(&self) {
        sweep::kill_cgroup(&self.netns);
        let Some(pid) = self.pid() else {
            return;
        };
        super::cmd::run_quiet("kill", &["-TERM", &pid]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) && sweep::alive(&pid) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Removes what a stopped (or killed) engine left: its containers' processes, mounts below
    /// its dirs, its cgroups and its run dir. The data root goes with the host's state dir.
    pub fn sweep(&self) {
        sweep::kill_cgroup(&self.netns);
        sweep::unmount_under(&self.mount_roots());
        sweep::remove_cgroup(&self.netns);
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// The Docker API socket of an engine whose run dir is `run_dir`.
pub(crate) fn socket_in(run_dir: &Path) -> PathBuf {
    run_dir.join("docker.sock")
}

/// The `storage-driver` of the machine's daemon config, if it sets one (pure).
pub(crate) fn storage_driver(machine_daemon_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(machine_daemon_json).ok()?;
    v["storage-driver"].as_str().map(str::to_string)
}

/// The engine's config file (pure): the given storage driver (else dockerd's choice), mtu 1400,
/// json-file logs, plain-HTTP trust for `registries`, containers under the cgroup
/// `/<cgroup_parent>`.
pub(crate) fn config(
    cgroup_parent: &str,
    registries: &[String],
    storage_driver: Option<&str>,
) -> String {
    let mut cfg = json!({
        "mtu": 1400,
        "log-driver": "json-file",
        "log-opts": { "max-size": "10m", "max-file": "3" },
        "insecure-registries": registries,
        "cgroup-parent": format!("/{cgroup_parent}"),
    });
    if let Some(driver) = storage_driver {
        cfg["storage-driver"] = json!(driver);
    }
    serde_json::to_string_pretty(&cfg).unwrap_or_default()
}

/// Whether the engine at `socket` answers `GET /_ping` with 200.
fn ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.starts_with("HTTP/1.") && head.split_whitespace().nth(1) == Some("200")
}

/// Sends the registry's loopback name to its listening address from inside `netns`: a DNAT rule
/// for `registry` (`127.213.<k>.1:5000`) to `listen` (the gateway), `route_localnet` on `eth0`
/// (a loopback source may leave the host) and a masquerade rule for it. Everything is in the
/// host's namespace and goes with it.
pub(crate) fn route_registry(
    netns: &str,
    registry: std::net::SocketAddrV4,
    listen: std::net::SocketAddrV4,
) -> Result<(), SandboxError> {
    let net = format!("--net=/run/netns/{netns}");
    run(
        "nsenter",
        &[
            &net,
            "sh",
            "-c",
            "echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet",
        ],
    )?;
    let dst = format!("{}/32", registry.ip());
    let port = registry.port().to_string();
    let to = listen.to_string();
    run(
        "nsenter",
        &[
            &net,
            "iptables",
            "-w",
            "-t",
            "nat",
            "-A",
            "OUTPUT",
            "-d",
            &dst,
            "-p",
            "tcp",
            "--dport",
            &port,
            "-j",
            "DNAT",
            "--to-destination",
            &to,
        ],
    )?;
    run(
        "nsenter",
        &[
            &net,
            "iptables",
            "-w",
            "-t",
            "nat",
            "-A",
            "POSTROUTING",
            "-s",
            "127.0.0.0/8",
            "-o",
            "eth0",
            "-j",
            "MASQUERADE",
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_trusts_the_registry_and_keeps_containers_in_the_host_cgroup() {
        let cfg = config(
            "swaws-abc-0",
            &["127.213.7.1:5000".into(), "10.213.7.1:5000".into()],
            storage_driver(r#"{"data-root":"/var/lib/docker","storage-driver":"fuse-overlayfs"}"#)
                .as_deref(),
        );
        let v: serde_json::Value = serde_json::from_str(&cfg).unwrap();
        assert_eq!(v["storage-driver"], "fuse-overlayfs");
        assert_eq!(v["cgroup-parent"], "/swaws-abc-0");
        assert_eq!(v["insecure-registries"][0], "127.213.7.1:5000");
        assert_eq!(v["mtu"], 1400);
        assert_eq!(v["log-driver"], "json-file");
        assert!(v.get("data-root").is_none(), "conflicts with --data-root");
        let plain = config("n", &[], storage_driver("").as_deref());
        assert!(!plain.contains("storage-driver"), "{plain}");
    }
}
