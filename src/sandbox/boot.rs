//! A sandbox host's first boot as an instance's: it runs the user data of its instance's launch
//! template (read back from the emulator by the provider) inside its namespace, with what an
//! instance has, so a replacement or an added host joins through user data alone.
//!
//! What the host gets, and what stands for what:
//! - Its own `/etc`, `/usr/local` and `/var`: a private mount namespace with an overlay on each,
//!   the machine's dir below and the host's dir above (`<host>/etc`, ...), so what the user data
//!   writes there (`/etc/swarmd/swarmd.env`, `/var/lib/swarmd`, `/usr/local/bin/swarmd`) lands in
//!   the host's dir, where the SSH bootstrap's layout of the same host puts it, and nothing of the
//!   machine changes. Its own host name (a UTS namespace).
//! - The emulator, reachable from the namespace ([`Sandbox::emulator_for_hosts`]): a loopback
//!   endpoint is reached through the bridge's gateway (a DNAT rule tagged with the sandbox's
//!   comment, `route_localnet` on the bridge).
//! - Credentials standing for the instance role, in the environment (the provider assumes the
//!   role in the emulator), and an `aws` CLI first in `PATH`.
//! - An IMDS stand-in on `169.254.169.254:80` inside the namespace (`imds.py`, IMDSv2 session
//!   tokens; `local-ipv4`, `instance-id`, `placement/region`).
//! - `systemctl` and `dnf` shims first in `PATH`: sandbox hosts have no systemd (the SSH
//!   bootstrap runs swarmd there as a plain daemon, and so does the shim, with the same pid file
//!   and log) and their engine runs already. The user data itself is the same script as on AWS.
//!
//! The boot runs detached (`setsid`), its output in `<host>/boot/user-data.log`; the host's
//! teardown kills it with everything else in the namespace.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::cmd::{run, run_quiet};
use super::hosts::{Sandbox, SandboxHost};
use super::SandboxError;

/// The IMDS stand-in (Python, standard library only).
const IMDS: &str = include_str!("imds.py");
/// The link-local address of the instance metadata service.
pub const IMDS_ADDR: &str = "169.254.169.254";
/// The dir below a host's dir holding its boot files.
pub const BOOT_DIR: &str = "boot";
/// The boot's output.
pub const BOOT_LOG: &str = "boot/user-data.log";
/// The dirs a host has its own view of (overlays in its mount namespace).
const OWN_DIRS: [&str; 3] = ["etc", "usr/local", "var"];

/// What one host's boot gets besides its user data.
#[derive(Clone)]
pub struct BootEnv {
    /// The AWS endpoint as the host reaches it (see [`Sandbox::emulator_for_hosts`]).
    pub endpoint_url: String,
    /// The region.
    pub region: String,
    /// The instance's id in the emulator.
    pub instance_id: String,
    /// The host name the node gets.
    pub hostname: String,
    /// Credentials standing for the instance role: key id, secret, session token.
    pub credentials: (String, String, Option<String>),
    /// The dir holding the `aws` CLI (and the Python that runs the IMDS stand-in).
    pub aws_cli_dir: PathBuf,
    /// The shell command that starts swarmd as a plain daemon (the SSH bootstrap's, with its
    /// pid file and log), run by the `systemctl` shim for `enable --now swarmd`.
    pub swarmd_start: String,
    /// The same for the lifecycle consumer (`swarm-guide`, managers), run by the shim for
    /// `enable --now swarm-guide`.
    pub guide_start: String,
}

impl std::fmt::Debug for BootEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootEnv")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field("instance_id", &self.instance_id)
            .field("hostname", &self.hostname)
            .field("credentials", &"<redacted>")
            .finish()
    }
}

/// The boot script (pure): the host's own dirs and name, the IMDS stand-in, then the user data.
pub fn boot_script(dir: &Path, addr: Ipv4Addr, env: &BootEnv) -> String {
    let d = dir.display();
    let python = env.aws_cli_dir.join("python3");
    let mounts: String = OWN_DIRS
        .iter()
        .map(|o| {
            format!(
                "mkdir -p '{d}/{o}' '{d}/{BOOT_DIR}/overlay-work/{o}'\n\
                 mount -t overlay overlay -o 'lowerdir=/{o},upperdir={d}/{o},workdir={d}/{BOOT_DIR}/overlay-work/{o}' '/{o}'\n"
            )
        })
        .collect();
    format!(
        "#!/bin/sh\n\
         # Written by swarm-aws: boots sandbox host {d} as its instance would boot.\n\
         set -eu\n\
         {mounts}\
         hostname '{host}'\n\
         '{python}' '{d}/{BOOT_DIR}/imds.py' '{IMDS_ADDR}' '{addr}' '{id}' '{region}' &\n\
         i=0\n\
         until curl -fsS -o /dev/null -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 10' \
         http://{IMDS_ADDR}/latest/api/token 2>/dev/null; do\n\
         \x20 i=$((i+1)); [ $i -lt 200 ] || {{ echo 'sandbox: the IMDS stand-in did not answer' >&2; exit 1; }}\n\
         \x20 sleep 0.05\n\
         done\n\
         echo \"sandbox: running the user data of instance {id}\"\n\
         exec /bin/bash '{d}/{BOOT_DIR}/user-data'\n",
        host = env.hostname,
        python = python.display(),
        id = env.instance_id,
        region = env.region,
    )
}

/// The `systemctl` shim (pure).
pub fn systemctl_shim(swarmd_start: &str, guide_start: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Written by swarm-aws: sandbox hosts have no systemd. Their engine runs already, and\n\
         # swarmd runs as the SSH bootstrap runs it there: a plain daemon.\n\
         case \"$*\" in\n\
         \x20 daemon-reload) exit 0 ;;\n\
         \x20 'enable --now docker'|'start docker') echo 'systemctl (sandbox): docker: the host runs its own engine already'; exit 0 ;;\n\
         \x20 'enable --now swarmd'|'start swarmd') {swarmd_start} ;;\n\
         \x20 'enable --now swarm-guide'|'start swarm-guide') {guide_start} ;;\n\
         \x20 'enable --now swarmd-logs') echo 'systemctl (sandbox): swarmd-logs: no journal here (swarmd logs to its daemon log)'; exit 0 ;;\n\
         \x20 *) echo \"systemctl (sandbox): $*: not supported here\" >&2; exit 1 ;;\n\
         esac\n"
    )
}

/// The `dnf` shim (pure).
pub const DNF_SHIM: &str = "#!/bin/sh\n\
    # Written by swarm-aws: a sandbox host has its engine already; nothing to install.\n\
    echo \"dnf (sandbox): $*: nothing to install, the host runs its own engine\"\n";

/// Where the boot command of `dir` finds its programs (pure): the shims, the `aws` CLI, the
/// machine's tools.
pub fn boot_path(dir: &Path, aws_cli_dir: &Path) -> String {
    format!(
        "{}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        dir.join(BOOT_DIR).join("bin").display(),
        aws_cli_dir.display()
    )
}

/// The endpoint URL as a host reaches it (pure): a loopback `http://IP:PORT` becomes the
/// gateway's, with the address and port to forward to; others stay as they are.
pub fn host_endpoint(endpoint: &str, gateway: Ipv4Addr) -> (String, Option<(Ipv4Addr, u16)>) {
    let rest = endpoint.trim_end_matches('/');
    let Some(authority) = rest.strip_prefix("http://") else {
        return (endpoint.to_string(), None);
    };
    let Some((ip, port)) = authority.split_once(':') else {
        return (endpoint.to_string(), None);
    };
    match (ip.parse::<Ipv4Addr>(), port.parse::<u16>()) {
        (Ok(ip), Ok(port)) if ip.is_loopback() => {
            (format!("http://{gateway}:{port}"), Some((ip, port)))
        }
        _ => (endpoint.to_string(), None),
    }
}

fn write(path: &Path, text: &str, mode: u32) -> Result<(), SandboxError> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SandboxError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| SandboxError::io(path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| SandboxError::io(path, e))
}

impl Sandbox {
    /// The AWS endpoint `endpoint` as this sandbox's hosts reach it: a loopback one through the
    /// bridge's gateway (a DNAT rule in the root namespace, tagged with the sandbox's comment so
    /// teardown removes it; idempotent).
    pub fn emulator_for_hosts(&self, endpoint: &str) -> Result<String, SandboxError> {
        let plan = self.plan()?;
        let (url, forward) = host_endpoint(endpoint, plan.gateway());
        let Some((ip, port)) = forward else {
            return Ok(url);
        };
        let bridge = plan.bridge();
        run(
            "sysctl",
            &[
                "-q",
                "-w",
                &format!("net.ipv4.conf.{bridge}.route_localnet=1"),
            ],
        )?;
        let dst = format!("{}/32", plan.gateway());
        let port = port.to_string();
        let to = format!("{ip}:{port}");
        let comment = plan.rule_comment();
        let rule = [
            "PREROUTING",
            "-i",
            bridge.as_str(),
            "-d",
            dst.as_str(),
            "-p",
            "tcp",
            "--dport",
            port.as_str(),
            "-m",
            "comment",
            "--comment",
            comment.as_str(),
            "-j",
            "DNAT",
            "--to-destination",
            to.as_str(),
        ];
        let mut check = vec!["-w", "-t", "nat", "-C"];
        check.extend(rule);
        if !run_quiet("iptables", &check) {
            let mut add = vec!["-w", "-t", "nat", "-I"];
            add.extend(rule);
            run("iptables", &add)?;
        }
        Ok(url)
    }

    /// Boots `host` as an instance: writes its boot files, gives its namespace the IMDS address
    /// and starts the boot detached, running `user_data` (returns once it started).
    pub fn boot(
        &self,
        host: &SandboxHost,
        user_data: &str,
        env: &BootEnv,
    ) -> Result<(), SandboxError> {
        let boot = host.dir.join(BOOT_DIR);
        // The plain daemon's pid file and log (the SSH bootstrap's layout of the host).
        for d in ["run", "var/log"] {
            let d = host.dir.join(d);
            std::fs::create_dir_all(&d).map_err(|e| SandboxError::io(&d, e))?;
        }
        write(&boot.join("user-data"), user_data, 0o700)?;
        write(&boot.join("imds.py"), IMDS, 0o600)?;
        write(
            &boot.join("boot.sh"),
            &boot_script(&host.dir, host.addr, env),
            0o700,
        )?;
        write(
            &boot.join("bin/systemctl"),
            &systemctl_shim(&env.swarmd_start, &env.guide_start),
            0o755,
        )?;
        write(&boot.join("bin/dnf"), DNF_SHIM, 0o755)?;
        let imds = format!("{IMDS_ADDR}/32");
        if !run("ip", &["-n", &host.netns, "addr", "show", "dev", "lo"])?.contains(&imds) {
            run(
                "ip",
                &["-n", &host.netns, "addr", "add", &imds, "dev", "lo"],
            )?;
        }
        let log_path = host.dir.join(BOOT_LOG);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| SandboxError::io(&log_path, e))?;
        let err = log
            .try_clone()
            .map_err(|e| SandboxError::io(&log_path, e))?;
        let (key, secret, token) = &env.credentials;
        let mut cmd = Command::new("setsid");
        cmd.arg("-f")
            .arg("nsenter")
            .arg(format!("--net=/run/netns/{}", host.netns))
            .args(["unshare", "--mount", "--uts", "--propagation", "private"])
            .arg("/bin/sh")
            .arg(boot.join("boot.sh"))
            .env_clear()
            .env("PATH", boot_path(&host.dir, &env.aws_cli_dir))
            .env("HOME", boot.join("home"))
            .env("LANG", "C.UTF-8")
            .env("AWS_ENDPOINT_URL", &env.endpoint_url)
            .env("AWS_DEFAULT_REGION", &env.region)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            // The user data's `docker` talks to the host's own engine, as on an instance.
            .env(
                "DOCKER_HOST",
                format!("unix://{}", host.docker_socket().display()),
            )
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        if let Some(t) = token {
            cmd.env("AWS_SESSION_TOKEN", t);
        }
        let status = cmd.status().map_err(|e| SandboxError::Command {
            command: format!("setsid -f nsenter ... {}", boot.join("boot.sh").display()),
            status: "not started".into(),
            stderr: e.to_string(),
        })?;
        if !status.success() {
            return Err(SandboxError::Command {
                command: format!("setsid -f nsenter ... {}", boot.join("boot.sh").display()),
                status: status.to_string(),
                stderr: format!("see {}", log_path.display()),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BootEnv {
        BootEnv {
            endpoint_url: "http://10.213.7.1:4566".into(),
            region: "us-east-1".into(),
            instance_id: "i-0abc".into(),
            hostname: "worker-2".into(),
            credentials: ("AKID".into(), "SECRET".into(), Some("TOKEN".into())),
            aws_cli_dir: PathBuf::from("/cache/awscli-venv/bin"),
            swarmd_start: "echo started".into(),
            guide_start: "echo guide".into(),
        }
    }

    #[test]
    fn loopback_endpoints_are_reached_through_the_gateway() {
        let gw = Ipv4Addr::new(10, 213, 7, 1);
        assert_eq!(
            host_endpoint("http://127.0.0.1:4566", gw),
            (
                "http://10.213.7.1:4566".to_string(),
                Some((Ipv4Addr::new(127, 0, 0, 1), 4566))
            )
        );
        assert_eq!(
            host_endpoint("http://127.0.113.9:5000/", gw).1,
            Some((Ipv4Addr::new(127, 0, 113, 9), 5000))
        );
        for other in [
            "https://ssm.us-east-1.amazonaws.com",
            "http://10.0.0.5:4566",
        ] {
            assert_eq!(host_endpoint(other, gw), (other.to_string(), None));
        }
    }

    #[test]
    fn the_boot_script_gives_the_host_its_own_dirs_then_runs_the_user_data() {
        let s = boot_script(
            Path::new("/sb/c/host-3"),
            Ipv4Addr::new(10, 213, 7, 13),
            &env(),
        );
        for o in OWN_DIRS {
            assert!(
                s.contains(&format!(
                    "lowerdir=/{o},upperdir=/sb/c/host-3/{o},workdir=/sb/c/host-3/boot/overlay-work/{o}' '/{o}'"
                )),
                "{s}"
            );
        }
        assert!(s.contains("hostname 'worker-2'"), "{s}");
        assert!(
            s.contains("imds.py' '169.254.169.254' '10.213.7.13' 'i-0abc' 'us-east-1' &"),
            "{s}"
        );
        assert!(
            s.trim_end()
                .ends_with("exec /bin/bash '/sb/c/host-3/boot/user-data'"),
            "{s}"
        );
        assert!(!s.contains("SECRET") && !s.contains("TOKEN"), "{s}");
        assert!(!format!("{:?}", env()).contains("SECRET"));
    }

    #[test]
    fn the_systemctl_shim_starts_swarmd_as_a_daemon_and_refuses_the_rest() {
        let s = systemctl_shim("START", "GUIDE");
        assert!(
            s.contains("'enable --now swarm-guide'|'start swarm-guide') GUIDE ;;"),
            "{s}"
        );
        assert!(
            s.contains("'enable --now swarmd'|'start swarmd') START ;;"),
            "{s}"
        );
        assert!(s.contains("daemon-reload) exit 0"), "{s}");
        assert!(s.contains("not supported here\" >&2; exit 1"), "{s}");
        assert!(boot_path(Path::new("/h"), Path::new("/v/bin")).starts_with("/h/boot/bin:/v/bin:"));
    }
}
