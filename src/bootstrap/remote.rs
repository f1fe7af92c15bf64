//! The swarmd installation on one host: where its files live, the scripts that start it, and the
//! remote commands that install, start and query it over SSH.
//!
//! The start wrapper runs `swarmd run` once the state dir holds a node, else `swarmd init` or
//! `swarmd join` as the env file says. The env file (mode 0600) holds the join token; the token
//! reaches swarmd through the environment, never its command line, and is never logged.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::nodes::{NodeRole, NodeTable};
use super::BootstrapError;
use crate::ssh::{shell_quote, ExecOutput, SshClient};

/// Where swarmd's files live on a host: under `/` on instances, under a per-host directory in the
/// sandbox (whose hosts share this machine's filesystem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLayout {
    /// The root every path is relative to.
    pub root: PathBuf,
}

impl RemoteLayout {
    /// The layout of a real instance: `/usr/local/bin/swarmd`, `/var/lib/swarmd`, `/etc/swarmd`.
    pub fn system() -> Self {
        RemoteLayout {
            root: PathBuf::from("/"),
        }
    }

    /// The same layout below `root` (sandbox hosts).
    pub fn under(root: impl Into<PathBuf>) -> Self {
        RemoteLayout { root: root.into() }
    }

    fn path(&self, rel: &str) -> String {
        Path::new(&self.root).join(rel).display().to_string()
    }

    /// Whether this is the system layout (only then may a systemd unit be installed).
    pub fn is_system(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The swarmd binary.
    pub fn binary(&self) -> String {
        self.path("usr/local/bin/swarmd")
    }

    /// The start wrapper.
    pub fn start_script(&self) -> String {
        self.path("usr/local/lib/swarmd/swarmd-start")
    }

    /// The host's own environment for swarmd (e.g. `SWARMD_DOCKER_SOCKET`), if the host
    /// provides one; read before the env file.
    pub fn host_env_file(&self) -> String {
        self.path("etc/swarmd/host.env")
    }

    /// The env file (mode 0600; holds the join token).
    pub fn env_file(&self) -> String {
        self.path("etc/swarmd/swarmd.env")
    }

    /// swarmd's state dir.
    pub fn state_dir(&self) -> String {
        self.path("var/lib/swarmd")
    }

    /// The daemon's log (plain-daemon mode; systemd logs to the journal).
    pub fn log_file(&self) -> String {
        self.path("var/log/swarmd.log")
    }

    /// The daemon's pid file (plain-daemon mode).
    pub fn pid_file(&self) -> String {
        self.path("run/swarmd.pid")
    }

    /// The systemd unit.
    pub fn unit_file(&self) -> String {
        self.path("etc/systemd/system/swarmd.service")
    }

    fn dirs(&self) -> Vec<String> {
        [
            "usr/local/bin",
            "usr/local/lib/swarmd",
            "etc/swarmd",
            "var/lib",
            "var/log",
            "run",
        ]
        .iter()
        .map(|d| self.path(d))
        .collect()
    }
}

/// How swarmd is kept running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceMode {
    /// systemd when it is PID 1 and the layout is the system one, else a plain daemon.
    #[default]
    Auto,
    /// A systemd unit.
    Systemd,
    /// `setsid nohup` with a pid file.
    Daemon,
}

/// How a host starts swarmd for the first time.
#[derive(Clone, PartialEq, Eq)]
pub enum StartMode {
    /// Create a new cluster.
    Init,
    /// Join through `manager_addr` with `token`.
    Join {
        /// A manager's `ip:port`.
        manager_addr: String,
        /// The join token (secret).
        token: String,
    },
}

impl std::fmt::Debug for StartMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartMode::Init => f.write_str("Init"),
            StartMode::Join { manager_addr, .. } => f
                .debug_struct("Join")
                .field("manager_addr", manager_addr)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// The node settings written to the env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Init or join.
    pub mode: StartMode,
    /// `ip:port` other nodes reach this node at.
    pub advertise_addr: String,
    /// `ip:port` to listen on.
    pub listen_addr: String,
    /// Host name for `node ls` (empty: the host's own).
    pub hostname: String,
    /// Where published container ports are bound (empty: the advertise IP).
    pub publish_ip: String,
    /// The node's labels at join (`KEY=VALUE`; swarm-aws records the instance id, see
    /// [`instance_label`]).
    pub labels: Vec<String>,
}

/// The node label naming the EC2 instance a node runs on (the lifecycle consumer, `swarm-guide`,
/// finds a terminating instance's node by it): `swarm-aws.instance-id=ID`.
pub fn instance_label(instance_id: &str) -> String {
    format!("swarm-aws.instance-id={instance_id}")
}

impl NodeConfig {
    /// The same settings without the join token: written once the node holds its state, so the
    /// token does not linger on the host.
    pub fn scrubbed(&self) -> NodeConfig {
        let mode = match &self.mode {
            StartMode::Init => StartMode::Init,
            StartMode::Join { manager_addr, .. } => StartMode::Join {
                manager_addr: manager_addr.clone(),
                token: String::new(),
            },
        };
        NodeConfig {
            mode,
            ..self.clone()
        }
    }
}

/// The env file's text (pure). Values are single-quoted for `sh`.
pub fn env_file_text(cfg: &NodeConfig) -> String {
    let (mode, manager, token) = match &cfg.mode {
        StartMode::Init => ("init", "", ""),
        StartMode::Join {
            manager_addr,
            token,
        } => ("join", manager_addr.as_str(), token.as_str()),
    };
    [
        ("SWARMD_MODE", mode),
        ("SWARMD_ADVERTISE_ADDR", cfg.advertise_addr.as_str()),
        ("SWARMD_LISTEN_ADDR", cfg.listen_addr.as_str()),
        ("SWARMD_HOSTNAME", cfg.hostname.as_str()),
        ("SWARMD_PUBLISH_IP", cfg.publish_ip.as_str()),
        ("SWARMD_NODE_LABELS", cfg.labels.join(",").as_str()),
        ("SWARMD_MANAGER_ADDR", manager),
        ("SWARMD_JOIN_TOKEN", token),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}\n", shell_quote(v)))
    .collect::<String>()
}

/// The start wrapper's text (pure).
pub fn start_script_text(l: &RemoteLayout) -> String {
    let bin = shell_quote(&l.binary());
    let state = shell_quote(&l.state_dir());
    let env = shell_quote(&l.env_file());
    let host_env = shell_quote(&l.host_env_file());
    format!(
        r#"#!/bin/sh
# Written by swarm-aws: starts swarmd. `run` once the state dir holds a node, else init or join.
set -e
if [ -f {host_env} ]; then set -a; . {host_env}; set +a; fi
if [ -f {env} ]; then . {env}; fi
[ -n "$SWARMD_HOSTNAME" ] || SWARMD_HOSTNAME=$(cat /proc/sys/kernel/hostname)
if [ -n "$SWARMD_PUBLISH_IP" ]; then export SWARMD_PUBLISH_IP; else unset SWARMD_PUBLISH_IP; fi
if [ -n "$SWARMD_NODE_LABELS" ]; then export SWARMD_NODE_LABELS; fi
if [ -f {state}/node.json ]; then
  exec {bin} run --state-dir {state}
fi
export SWARMD_JOIN_TOKEN
case "$SWARMD_MODE" in
  init) exec {bin} init --state-dir {state} --advertise-addr "$SWARMD_ADVERTISE_ADDR" \
          --listen-addr "$SWARMD_LISTEN_ADDR" --hostname "$SWARMD_HOSTNAME" ;;
  join) exec {bin} join --state-dir {state} --advertise-addr "$SWARMD_ADVERTISE_ADDR" \
          --listen-addr "$SWARMD_LISTEN_ADDR" --hostname "$SWARMD_HOSTNAME" "$SWARMD_MANAGER_ADDR" ;;
  *) echo "swarmd-start: no node in {state_raw} and SWARMD_MODE is not init or join in {env_raw}" >&2; exit 2 ;;
esac
"#,
        state_raw = l.state_dir(),
        env_raw = l.env_file(),
    )
}

/// The systemd unit's text (pure).
pub fn unit_text(l: &RemoteLayout) -> String {
    format!(
        "[Unit]\nDescription=swarmd, the swarm-aws orchestrator\nAfter=network-online.target\n\
         Wants=network-online.target\n\n[Service]\nExecStart=/bin/sh {}\nRestart=on-failure\n\
         RestartSec=2\nLimitNOFILE=1048576\n\n[Install]\nWantedBy=multi-user.target\n",
        l.start_script()
    )
}

/// Starts the plain daemon unless it runs already (pure). Prints `running` or `started`.
pub fn daemon_start_command(l: &RemoteLayout) -> String {
    let pid = shell_quote(&l.pid_file());
    let log = shell_quote(&l.log_file());
    let script = shell_quote(&l.start_script());
    format!(
        "if [ -f {pid} ] && p=$(cat {pid}) && [ -n \"$p\" ] && grep -qs swarmd /proc/$p/cmdline; \
         then echo running; exit 0; fi; \
         setsid nohup /bin/sh {script} </dev/null >>{log} 2>&1 & echo $! > {pid}; echo started"
    )
}

/// Stops the plain daemon if it runs (pure): TERM, up to 10 s, then KILL; removes the pid file.
pub fn stop_daemon_command(l: &RemoteLayout) -> String {
    let pid = shell_quote(&l.pid_file());
    format!(
        "p=$(cat {pid} 2>/dev/null); \
         if [ -n \"$p\" ] && grep -qs swarmd /proc/$p/cmdline; then kill -TERM \"$p\"; \
         i=0; while grep -qs swarmd /proc/$p/cmdline && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
         grep -qs swarmd /proc/$p/cmdline && kill -KILL \"$p\"; fi; rm -f {pid}; echo stopped"
    )
}

/// What [`probe_command`] found on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// A node identity exists in the state dir.
    pub has_state: bool,
    /// SHA-256 of the installed binary, if any.
    pub binary_sha256: Option<String>,
    /// systemd is PID 1.
    pub systemd: bool,
    /// `uname -m` (empty when the host did not say).
    pub arch: String,
}

/// One round trip that gathers a [`Probe`] (pure).
pub fn probe_command(l: &RemoteLayout) -> String {
    format!(
        "if [ -f {state}/node.json ]; then echo state=1; else echo state=0; fi; \
         echo \"sha=$(sha256sum {bin} 2>/dev/null | cut -d' ' -f1)\"; \
         echo \"pid1=$(cat /proc/1/comm 2>/dev/null)\"; echo \"arch=$(uname -m)\"",
        state = shell_quote(&l.state_dir()),
        bin = shell_quote(&l.binary()),
    )
}

/// Parses [`probe_command`]'s output (pure).
pub fn parse_probe(stdout: &str) -> Option<Probe> {
    let mut has_state = None;
    let mut sha = None;
    let mut systemd = None;
    let mut arch = String::new();
    for line in stdout.lines() {
        match line.split_once('=') {
            Some(("state", v)) => has_state = Some(v == "1"),
            Some(("sha", v)) => sha = Some((v.len() == 64).then(|| v.to_string())),
            Some(("pid1", v)) => systemd = Some(v.trim() == "systemd"),
            Some(("arch", v)) => arch = v.trim().to_string(),
            _ => {}
        }
    }
    Some(Probe {
        has_state: has_state?,
        binary_sha256: sha?,
        systemd: systemd?,
        arch,
    })
}

/// swarmd on one host, reached over SSH.
#[derive(Debug, Clone)]
pub struct RemoteHost {
    /// The inventory id (used in messages).
    pub id: String,
    /// The connection.
    pub ssh: SshClient,
    /// Where swarmd lives.
    pub layout: RemoteLayout,
    /// Whether swarmd runs as a systemd unit (decided at install).
    pub systemd: bool,
}

fn tail(s: &str, max: usize) -> &str {
    let s = s.trim();
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

impl RemoteHost {
    fn ssh_err(&self, step: &str, source: crate::ssh::SshError) -> BootstrapError {
        BootstrapError::Ssh {
            host: self.id.clone(),
            step: step.to_string(),
            source,
        }
    }

    /// Runs `command`; a non-zero exit is an error carrying stderr.
    async fn run(&self, step: &str, command: &str) -> Result<ExecOutput, BootstrapError> {
        let out = self
            .ssh
            .exec_timeout(command, Duration::from_secs(120))
            .await
            .map_err(|e| self.ssh_err(step, e))?;
        if !out.success() {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step: step.to_string(),
                detail: format!("exit {}: {}", out.exit_status, tail(&out.stderr_str(), 800)),
            });
        }
        Ok(out)
    }

    /// Looks at the host: state, installed binary, init system.
    pub async fn probe(&self) -> Result<Probe, BootstrapError> {
        let out = self.run("probe", &probe_command(&self.layout)).await?;
        parse_probe(&out.stdout_str()).ok_or_else(|| BootstrapError::Remote {
            host: self.id.clone(),
            step: "probe".into(),
            detail: format!("unexpected output {:?}", tail(&out.stdout_str(), 300)),
        })
    }

    /// Installs the binary (skipped when the same one is there), the start wrapper and, with
    /// systemd, the unit.
    pub async fn install(
        &self,
        binary: &[u8],
        sha256: &str,
        probe: &Probe,
    ) -> Result<(), BootstrapError> {
        let mkdir = format!(
            "mkdir -p {}",
            self.layout
                .dirs()
                .iter()
                .map(|d| shell_quote(d))
                .collect::<Vec<_>>()
                .join(" ")
        );
        self.run("create directories", &mkdir).await?;
        if probe.binary_sha256.as_deref() != Some(sha256) {
            self.ssh
                .upload(binary, &self.layout.binary(), 0o755)
                .await
                .map_err(|e| self.ssh_err("upload swarmd", e))?;
        }
        self.ssh
            .upload(
                start_script_text(&self.layout).as_bytes(),
                &self.layout.start_script(),
                0o755,
            )
            .await
            .map_err(|e| self.ssh_err("upload the start wrapper", e))?;
        if self.systemd {
            self.ssh
                .upload(
                    unit_text(&self.layout).as_bytes(),
                    &self.layout.unit_file(),
                    0o644,
                )
                .await
                .map_err(|e| self.ssh_err("upload the systemd unit", e))?;
            self.run(
                "enable the swarmd unit",
                "systemctl daemon-reload && systemctl enable swarmd.service",
            )
            .await?;
        }
        Ok(())
    }

    /// Writes the env file (mode 0600).
    pub async fn write_env(&self, cfg: &NodeConfig) -> Result<(), BootstrapError> {
        self.ssh
            .upload(
                env_file_text(cfg).as_bytes(),
                &self.layout.env_file(),
                0o600,
            )
            .await
            .map(|_| ())
            .map_err(|e| self.ssh_err("write the env file", e))
    }

    /// Starts swarmd unless it runs already.
    pub async fn start(&self) -> Result<(), BootstrapError> {
        let cmd = if self.systemd {
            "systemctl start swarmd.service".to_string()
        } else {
            daemon_start_command(&self.layout)
        };
        self.run("start swarmd", &cmd).await.map(|_| ())
    }

    /// Whether the daemon process is alive (plain-daemon mode; always true under systemd, which
    /// restarts it).
    async fn alive(&self) -> Result<bool, BootstrapError> {
        if self.systemd {
            return Ok(true);
        }
        let pid = shell_quote(&self.layout.pid_file());
        let out = self
            .run(
                "check the daemon",
                &format!("p=$(cat {pid} 2>/dev/null); if [ -n \"$p\" ] && grep -qs swarmd /proc/$p/cmdline; then echo up; else echo down; fi"),
            )
            .await?;
        Ok(out.stdout_str().trim() == "up")
    }

    /// The last lines of swarmd's log.
    pub async fn log_tail(&self) -> String {
        let cmd = if self.systemd {
            "journalctl -u swarmd.service -n 15 --no-pager 2>&1".to_string()
        } else {
            format!("tail -n 15 {} 2>&1", shell_quote(&self.layout.log_file()))
        };
        match self.ssh.exec_timeout(&cmd, Duration::from_secs(30)).await {
            Ok(out) => tail(&out.stdout_str(), 2000).to_string(),
            Err(e) => format!("(no log: {e})"),
        }
    }

    /// Runs a swarmd client verb against the local node.
    async fn swarmd(&self, args: &str) -> Result<ExecOutput, BootstrapError> {
        let cmd = format!(
            "{} {args} --state-dir {}",
            shell_quote(&self.layout.binary()),
            shell_quote(&self.layout.state_dir())
        );
        self.ssh
            .exec_timeout(&cmd, Duration::from_secs(60))
            .await
            .map_err(|e| self.ssh_err(&format!("swarmd {args}"), e))
    }

    /// Waits until the local node answers `swarmd info`. Fails early (with the log) when the
    /// daemon died.
    pub async fn wait_answering(&self, timeout: Duration) -> Result<(), BootstrapError> {
        let start = Instant::now();
        loop {
            let out = self.swarmd("info --format json").await?;
            if out.success() {
                return Ok(());
            }
            if !self.alive().await? {
                return Err(BootstrapError::Remote {
                    host: self.id.clone(),
                    step: "start swarmd".into(),
                    detail: format!("swarmd exited; its log:\n{}", self.log_tail().await),
                });
            }
            if start.elapsed() > timeout {
                return Err(BootstrapError::Timeout {
                    host: self.id.clone(),
                    step: "wait for swarmd to answer".into(),
                    waited: start.elapsed(),
                    detail: format!(
                        "last error: {}; log:\n{}",
                        tail(&out.stderr_str(), 300),
                        self.log_tail().await
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `swarmd node ls` on this (manager) host.
    pub async fn node_ls(&self) -> Result<NodeTable, BootstrapError> {
        let out = self.swarmd("node ls --format json").await?;
        let fail = |detail: String| BootstrapError::Remote {
            host: self.id.clone(),
            step: "node ls".into(),
            detail,
        };
        if !out.success() {
            return Err(fail(format!(
                "exit {}: {}",
                out.exit_status,
                tail(&out.stderr_str(), 500)
            )));
        }
        NodeTable::parse(&out.stdout_str()).map_err(|e| fail(format!("unreadable JSON: {e}")))
    }

    /// Polls `node ls` until `done` holds; returns that table.
    pub async fn wait_nodes(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&NodeTable) -> bool,
    ) -> Result<NodeTable, BootstrapError> {
        let start = Instant::now();
        loop {
            let last = match self.node_ls().await {
                Ok(t) if done(&t) => return Ok(t),
                Ok(t) => format!("node ls:\n{}", t.render()),
                Err(e) => e.to_string(),
            };
            if start.elapsed() > timeout {
                return Err(BootstrapError::Timeout {
                    host: self.id.clone(),
                    step: what.to_string(),
                    waited: start.elapsed(),
                    detail: last,
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Runs the swarmd client verb `args` against the local node; a non-zero exit is an error
    /// naming the verb and carrying swarmd's message. Returns stdout.
    pub async fn verb(&self, args: &[&str]) -> Result<String, BootstrapError> {
        let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        let step = format!("swarmd {}", args.join(" "));
        let out = self.swarmd(&quoted.join(" ")).await?;
        if !out.success() {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step,
                detail: format!("exit {}: {}", out.exit_status, tail(&out.stderr_str(), 800)),
            });
        }
        Ok(out.stdout_str())
    }

    /// Stops swarmd on this host and keeps it from starting again (systemd: `disable --now`;
    /// plain daemon: TERM, then KILL after 10 s). Idempotent.
    pub async fn stop(&self) -> Result<(), BootstrapError> {
        let cmd = if self.systemd {
            "systemctl disable --now swarmd.service".to_string()
        } else {
            stop_daemon_command(&self.layout)
        };
        self.run("stop swarmd", &cmd).await.map(|_| ())
    }

    /// The join token for `role` (secret: never print it).
    pub async fn join_token(&self, role: NodeRole) -> Result<String, BootstrapError> {
        let out = self.swarmd(&format!("join-token -q {role}")).await?;
        let token = out.stdout_str().trim().to_string();
        if !out.success() || token.is_empty() {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step: format!("read the {role} join token"),
                detail: format!("exit {}: {}", out.exit_status, tail(&out.stderr_str(), 500)),
            });
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_and_sandbox_layouts() {
        let s = RemoteLayout::system();
        assert!(s.is_system());
        assert_eq!(s.binary(), "/usr/local/bin/swarmd");
        assert_eq!(s.state_dir(), "/var/lib/swarmd");
        assert_eq!(s.env_file(), "/etc/swarmd/swarmd.env");
        assert_eq!(s.unit_file(), "/etc/systemd/system/swarmd.service");
        let b = RemoteLayout::under("/tmp/sb/host-1/root");
        assert!(!b.is_system());
        assert_eq!(b.binary(), "/tmp/sb/host-1/root/usr/local/bin/swarmd");
        assert_eq!(b.pid_file(), "/tmp/sb/host-1/root/run/swarmd.pid");
    }

    #[test]
    fn env_file_quotes_values_and_debug_redacts_the_token() {
        let cfg = NodeConfig {
            mode: StartMode::Join {
                manager_addr: "10.0.0.1:2377".into(),
                token: "SWMTKN-1-abc'$(x)".into(),
            },
            advertise_addr: "10.0.0.2:2377".into(),
            listen_addr: "0.0.0.0:2377".into(),
            hostname: "w 1".into(),
            publish_ip: "10.213.1.1".into(),
            labels: vec![instance_label("i-0abc"), "swarm-aws.x=y".into()],
        };
        let text = env_file_text(&cfg);
        assert!(
            text.contains("SWARMD_NODE_LABELS='swarm-aws.instance-id=i-0abc,swarm-aws.x=y'\n"),
            "{text}"
        );
        assert!(text.contains("SWARMD_MODE='join'\n"));
        assert!(
            text.contains("SWARMD_JOIN_TOKEN='SWMTKN-1-abc'\\''$(x)'\n"),
            "{text}"
        );
        assert!(text.contains("SWARMD_HOSTNAME='w 1'\n"));
        assert!(text.contains("SWARMD_PUBLISH_IP='10.213.1.1'\n"));
        assert!(!format!("{cfg:?}").contains("SWMTKN"));
        assert!(env_file_text(&cfg.scrubbed()).contains("SWARMD_JOIN_TOKEN=''\n"));
        assert!(env_file_text(&cfg.scrubbed()).contains("SWARMD_MODE='join'\n"));
        let init = NodeConfig {
            mode: StartMode::Init,
            ..cfg
        };
        assert!(env_file_text(&init).contains("SWARMD_JOIN_TOKEN=''\n"));
    }

    #[test]
    fn start_script_runs_existing_state_and_keeps_the_token_off_argv() {
        let l = RemoteLayout::under("/sb/h0");
        let s = start_script_text(&l);
        assert!(s.contains("if [ -f '/sb/h0/var/lib/swarmd'/node.json ]"));
        assert!(s.contains(
            "exec '/sb/h0/usr/local/bin/swarmd' run --state-dir '/sb/h0/var/lib/swarmd'"
        ));
        assert!(s.contains("export SWARMD_JOIN_TOKEN"));
        assert!(s.contains("then export SWARMD_NODE_LABELS; fi"), "{s}");
        assert!(!s.contains("--token"));
        assert!(unit_text(&RemoteLayout::system())
            .contains("ExecStart=/bin/sh /usr/local/lib/swarmd/swarmd-start"));
    }

    #[test]
    fn probe_output_is_parsed() {
        let sha = "a".repeat(64);
        let p = parse_probe(&format!("state=1\nsha={sha}\npid1=systemd\narch=aarch64\n")).unwrap();
        assert_eq!(
            p,
            Probe {
                has_state: true,
                binary_sha256: Some(sha),
                systemd: true,
                arch: "aarch64".into(),
            }
        );
        let p = parse_probe("state=0\nsha=\npid1=bash\n").unwrap();
        assert!(!p.has_state && p.binary_sha256.is_none() && !p.systemd && p.arch.is_empty());
        assert_eq!(parse_probe("sh: syntax error"), None);
    }
}
