//! The tunnel as a process: whether the recorded one is alive (and really a tunnel of this
//! cluster), starting one detached, stopping it.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{io_err, TunnelError};
use super::record::{TunnelRecord, LOG_FILE};

/// How long a detached tunnel may take to connect to the cluster (SSH to each manager in turn,
/// maybe an admin certificate signed).
const START_BUDGET: Duration = Duration::from_secs(120);
/// How long a tunnel may take to stop after SIGTERM before it is killed.
const STOP_BUDGET: Duration = Duration::from_secs(10);

/// Whether `cmdline` (NUL-separated, as in `/proc/PID/cmdline`) is `... tunnel ... --cluster
/// CLUSTER ...` (pure).
pub fn is_tunnel_cmdline(cmdline: &[u8], cluster: &str) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let verb = args.iter().skip(1).any(|a| *a == b"tunnel");
    let named = args
        .windows(2)
        .any(|w| w[0] == b"--cluster" && w[1] == cluster.as_bytes())
        || args
            .iter()
            .any(|a| *a == format!("--cluster={cluster}").as_bytes());
    verb && named
}

/// Whether process `pid` runs and is a tunnel of `cluster` (a reused pid is not).
pub fn is_alive(pid: u32, cluster: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| is_tunnel_cmdline(&c, cluster))
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn port_answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// The record of the tunnel of `cluster` in `config_dir`, when its process is alive.
pub fn running(config_dir: &Path, cluster: &str) -> Option<TunnelRecord> {
    let r = TunnelRecord::load(config_dir)?;
    (r.cluster == cluster && r.pid.is_some_and(|p| is_alive(p, cluster))).then_some(r)
}

/// The last `n` lines of `path` (for an error message).
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("    {l}\n"))
        .collect()
}

/// Starts `exe ARGS` (a `swarm-aws ... tunnel --cluster CLUSTER` command line) detached: its own
/// process group, stdin closed, stdout and stderr to [`LOG_FILE`] in `config_dir`. Returns its
/// record once it is connected and its port answers; fails with the log's tail if it exits or
/// does not come up within two minutes.
pub fn start_detached(
    exe: &Path,
    args: &[OsString],
    config_dir: &Path,
    cluster: &str,
) -> Result<TunnelRecord, TunnelError> {
    use std::os::unix::process::CommandExt;
    let log_path = config_dir.join(LOG_FILE);
    let log = std::fs::File::create(&log_path).map_err(|e| io_err(&log_path, e))?;
    let log2 = log.try_clone().map_err(|e| io_err(&log_path, e))?;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0)
        .spawn()
        .map_err(|e| io_err(exe, format!("cannot start the tunnel: {e}")))?;
    let pid = child.id();
    let failed = |reason: String| TunnelError::Start {
        cluster: cluster.to_string(),
        reason,
        log: log_path.clone(),
        log_tail: tail(&log_path, 12),
    };
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failed(format!("it exited ({status})")));
        }
        if let Some(r) = TunnelRecord::load(config_dir).filter(|r| r.pid == Some(pid)) {
            if port_answers(r.port) {
                return Ok(r);
            }
        }
        if start.elapsed() > START_BUDGET {
            let _ = child.kill();
            let _ = child.wait();
            TunnelRecord::clear_pid(config_dir, pid);
            return Err(failed(format!(
                "not connected after {} s",
                START_BUDGET.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops the tunnel of `cluster` recorded in `config_dir` (SIGTERM, then SIGKILL after ten
/// seconds) and returns its record; `None` when none runs.
pub fn stop(config_dir: &Path, cluster: &str) -> Result<Option<TunnelRecord>, TunnelError> {
    let Some(r) = running(config_dir, cluster) else {
        return Ok(None);
    };
    let pid = r.pid.unwrap_or_default();
    let signal = |sig: &str| {
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .stderr(Stdio::null())
            .status()
    };
    signal("-TERM").map_err(|e| io_err(format!("/proc/{pid}"), format!("kill: {e}")))?;
    let start = Instant::now();
    while is_alive(pid, cluster) {
        if start.elapsed() > STOP_BUDGET {
            let _ = signal("-KILL");
        }
        if start.elapsed() > 2 * STOP_BUDGET {
            return Err(io_err(
                format!("/proc/{pid}"),
                "the tunnel process does not stop, even after SIGKILL",
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    TunnelRecord::clear_pid(config_dir, pid);
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_tunnel_of_this_cluster_matches() {
        let line = |args: &[&str]| args.join("\0").into_bytes();
        let ours = line(&[
            "/usr/bin/swarm-aws",
            "tunnel",
            "--cluster",
            "prod",
            "--port",
            "1",
        ]);
        assert!(is_tunnel_cmdline(&ours, "prod"));
        assert!(!is_tunnel_cmdline(&ours, "pro"));
        assert!(is_tunnel_cmdline(
            &line(&["swarm-aws", "--region", "x", "tunnel", "--cluster=prod"]),
            "prod"
        ));
        assert!(!is_tunnel_cmdline(
            &line(&["swarm-aws", "node", "--cluster", "prod", "ls"]),
            "prod"
        ));
        assert!(!is_tunnel_cmdline(
            &line(&["tunnel", "--cluster", "prod"]),
            "prod"
        ));
        assert!(!is_tunnel_cmdline(b"", "prod"));
    }

    #[test]
    fn a_dead_or_foreign_pid_is_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let r = TunnelRecord {
            cluster: "c".into(),
            port: 1,
            pid: Some(std::process::id()),
            manager: None,
        };
        r.save(dir.path()).unwrap();
        assert_eq!(
            running(dir.path(), "c"),
            None,
            "the test process is no tunnel"
        );
        assert_eq!(stop(dir.path(), "c").unwrap(), None);
    }
}
