//! One sandbox host's OpenSSH server: config, host key, start, stop.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use super::cmd::{run, run_quiet};
use super::SandboxError;

/// The sshd binary.
pub(crate) const SSHD: &str = "/usr/sbin/sshd";
/// Host key file name inside the host dir.
pub(crate) const HOST_KEY: &str = "ssh_host_ed25519_key";
/// Config file name inside the host dir.
pub(crate) const CONFIG: &str = "sshd_config";
/// Log file name inside the host dir.
pub(crate) const LOG: &str = "sshd.log";
/// Pid file name inside the host dir.
pub(crate) const PID: &str = "sshd.pid";

/// The sshd config of a host listening on `addr:22`, with its files in `dir`, accepting the keys
/// in `authorized_keys` for root only (pure).
pub(crate) fn config(addr: Ipv4Addr, dir: &Path, authorized_keys: &Path) -> String {
    format!(
        "# written by swarm-aws for a sandbox host; do not edit\n\
         ListenAddress {addr}:22\n\
         HostKey {dir}/{HOST_KEY}\n\
         PidFile {dir}/{PID}\n\
         AuthorizedKeysFile {keys}\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         StrictModes no\n\
         UseDNS no\n\
         X11Forwarding no\n\
         AllowTcpForwarding yes\n\
         PrintMotd no\n\
         MaxStartups 100:30:200\n\
         LogLevel VERBOSE\n\
         Subsystem sftp internal-sftp\n",
        dir = dir.display(),
        keys = authorized_keys.display(),
    )
}

/// Generates a fresh ed25519 host key in `dir` (replacing any old one).
pub(crate) fn generate_host_key(dir: &Path, comment: &str) -> Result<(), SandboxError> {
    let key = dir.join(HOST_KEY);
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(dir.join(format!("{HOST_KEY}.pub")));
    let key = key.to_string_lossy().into_owned();
    run(
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", &key],
    )?;
    Ok(())
}

/// Starts sshd inside `netns` (it daemonizes; its pid goes to the pid file).
pub(crate) fn start(netns: &str, dir: &Path) -> Result<(), SandboxError> {
    std::fs::create_dir_all("/run/sshd").map_err(|e| SandboxError::io("/run/sshd", e))?;
    let cfg = dir.join(CONFIG).to_string_lossy().into_owned();
    let log = dir.join(LOG).to_string_lossy().into_owned();
    run(
        "ip",
        &["netns", "exec", netns, SSHD, "-f", &cfg, "-E", &log],
    )?;
    Ok(())
}

/// Waits until `addr:22` accepts TCP connections from the root namespace.
pub(crate) fn wait_listening(
    host: &str,
    addr: Ipv4Addr,
    dir: &Path,
    timeout: Duration,
) -> Result<(), SandboxError> {
    let target = SocketAddr::from((addr, 22));
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&target, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = dir.join(LOG);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    Err(SandboxError::SshdStart {
        host: host.to_string(),
        addr: target.to_string(),
        secs: timeout.as_secs(),
        log,
        log_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

/// Kills every process in `netns` (sshd, its sessions, anything started there): TERM, then KILL
/// for those still alive after a grace period.
pub(crate) fn kill_all_in(netns: &str) {
    let pids = |ns: &str| -> Vec<String> {
        run("ip", &["netns", "pids", ns])
            .map(|out| out.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let alive = |pid: &str| {
        // A zombie has an empty cmdline; it holds nothing any more.
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| !c.is_empty())
            .unwrap_or(false)
    };
    let mut targets = pids(netns);
    if targets.is_empty() {
        return;
    }
    for pid in &targets {
        run_quiet("kill", &["-TERM", pid]);
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        targets.retain(|p| alive(p));
        if targets.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in &targets {
        run_quiet("kill", &["-KILL", pid]);
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) && targets.iter().any(|p| alive(p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_allows_only_key_auth_on_the_host_address() {
        let cfg = config(
            Ipv4Addr::new(10, 213, 4, 10),
            Path::new("/s/host-0"),
            Path::new("/s/authorized_keys"),
        );
        for line in [
            "ListenAddress 10.213.4.10:22",
            "HostKey /s/host-0/ssh_host_ed25519_key",
            "PidFile /s/host-0/sshd.pid",
            "AuthorizedKeysFile /s/authorized_keys",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "UsePAM no",
        ] {
            assert!(cfg.lines().any(|l| l == line), "missing {line:?} in\n{cfg}");
        }
    }
}
