//! The lifecycle consumer (`swarm-guide`, crate `crates/guide`) beside swarmd on every manager:
//! where its files go, its env file and unit (pure). The user data of a self-joining manager
//! and the SSH bootstrap install the same files, so both paths make the same node.
//!
//! The env file holds no secret (the consumer uses the instance role); the binary comes from the
//! stack's bucket (`guide/<arch>/swarm-guide`, SHA-256 in the parameter
//! `swarm-guide-sha256-<arch>`) or, over SSH, from beside the swarmd build.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::remote::{RemoteHost, RemoteLayout};
use super::{Binaries, BootstrapError};
use crate::ssh::shell_quote;

/// What the consumer on a cluster's managers needs, given to the SSH bootstrap.
#[derive(Clone, PartialEq, Eq)]
pub struct GuideSetup {
    /// The stack.
    pub stack: String,
    /// The lifecycle queue's URL (the stack's `LifecycleQueueUrl` output).
    pub queue_url: String,
    /// The region.
    pub region: String,
    /// More environment (the sandbox's: the emulator as the hosts reach it, and credentials
    /// standing for the instance role); empty on AWS, where the instance role answers.
    pub extra_env: Vec<(String, String)>,
}

impl std::fmt::Debug for GuideSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuideSetup")
            .field("stack", &self.stack)
            .field("queue_url", &self.queue_url)
            .field("region", &self.region)
            .field(
                "extra_env",
                &self.extra_env.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The build's file name (beside each swarmd build, and on the hosts).
pub const GUIDE_FILE: &str = "swarm-guide";

fn path(l: &RemoteLayout, rel: &str) -> String {
    Path::new(&l.root).join(rel).display().to_string()
}

/// The binary on a host.
pub fn binary(l: &RemoteLayout) -> String {
    path(l, "usr/local/bin/swarm-guide")
}

/// Its env file (stack, queue, region, state dir; no secret).
pub fn env_file(l: &RemoteLayout) -> String {
    path(l, "etc/swarmd/swarm-guide.env")
}

/// Its systemd unit.
pub fn unit_file(l: &RemoteLayout) -> String {
    path(l, "etc/systemd/system/swarm-guide.service")
}

/// Its log (plain-daemon mode).
pub fn log_file(l: &RemoteLayout) -> String {
    path(l, "var/log/swarm-guide.log")
}

/// Its pid file (plain-daemon mode).
pub fn pid_file(l: &RemoteLayout) -> String {
    path(l, "run/swarm-guide.pid")
}

/// The env file's text (pure). The values may be CloudFormation `${...}` references in the user
/// data (single-quoted here, so the shell leaves them alone; `Fn::Sub` fills them in).
pub fn env_text(stack: &str, queue_url: &str, region: &str, state_dir: &str) -> String {
    [
        ("SWARM_GUIDE_STACK", stack),
        ("SWARM_GUIDE_QUEUE_URL", queue_url),
        ("SWARM_GUIDE_REGION", region),
        ("SWARMD_STATE_DIR", state_dir),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}\n", shell_quote(v)))
    .collect()
}

/// The systemd unit's text (pure): after swarmd, restarted on failure.
pub fn unit_text(l: &RemoteLayout) -> String {
    format!(
        "[Unit]\nDescription=swarm-guide, the swarm-aws lifecycle consumer (acts on the leader)\n\
         After=swarmd.service\nWants=swarmd.service\n\n[Service]\nEnvironmentFile={}\n\
         ExecStart={}\nRestart=always\nRestartSec=5\n\n[Install]\nWantedBy=multi-user.target\n",
        env_file(l),
        binary(l)
    )
}

/// Starts it as a plain daemon unless it runs (pure): the env file's values exported, then
/// `state_dir` (the host's own layout in the sandbox) over its `SWARMD_STATE_DIR`.
pub fn daemon_start_command(l: &RemoteLayout) -> String {
    let pid = shell_quote(&pid_file(l));
    format!(
        "if [ -f {pid} ] && p=$(cat {pid}) && [ -n \"$p\" ] && grep -qs swarm-guide /proc/$p/cmdline; \
         then echo running; exit 0; fi; \
         (set -a; . {env}; SWARMD_STATE_DIR={state}; set +a; \
         exec setsid nohup {bin} </dev/null >>{log} 2>&1) & echo $! > {pid}; echo started",
        env = shell_quote(&env_file(l)),
        state = shell_quote(&l.state_dir()),
        bin = shell_quote(&binary(l)),
        log = shell_quote(&log_file(l)),
    )
}

/// The guide build beside a swarmd build, if there is one.
pub fn beside(swarmd: &Path) -> Option<PathBuf> {
    let p = swarmd.parent()?.join(GUIDE_FILE);
    p.is_file().then_some(p)
}

/// The env file of `setup` on layout `l` (pure).
pub fn setup_env_text(setup: &GuideSetup, l: &RemoteLayout) -> String {
    let mut text = env_text(
        &setup.stack,
        &setup.queue_url,
        &setup.region,
        &l.state_dir(),
    );
    for (k, v) in &setup.extra_env {
        text.push_str(&format!("{k}={}\n", shell_quote(v)));
    }
    text
}

/// Installs and (re)starts the consumer on the manager `r` whose `uname -m` is `arch`: the build
/// beside the swarmd build of that architecture, its env file (0600) and, with systemd, its
/// unit. Returns false (and installs nothing) when no such build exists.
pub async fn install(
    r: &RemoteHost,
    builds: &Binaries,
    arch: &str,
    setup: &GuideSetup,
) -> Result<bool, BootstrapError> {
    let swarmd = builds.for_host(&r.id, arch)?;
    let Some(path) = beside(&swarmd.path) else {
        return Ok(false);
    };
    let bytes = std::fs::read(&path).map_err(|source| BootstrapError::Binary {
        path: path.clone(),
        source,
    })?;
    let l = &r.layout;
    let ssh_err = |step: &str, source| BootstrapError::Ssh {
        host: r.id.clone(),
        step: step.to_string(),
        source,
    };
    r.ssh
        .upload(&bytes, &binary(l), 0o755)
        .await
        .map_err(|e| ssh_err("upload swarm-guide", e))?;
    r.ssh
        .upload(setup_env_text(setup, l).as_bytes(), &env_file(l), 0o600)
        .await
        .map_err(|e| ssh_err("upload swarm-guide's env file", e))?;
    let start = if r.systemd {
        r.ssh
            .upload(unit_text(l).as_bytes(), &unit_file(l), 0o644)
            .await
            .map_err(|e| ssh_err("upload swarm-guide's unit", e))?;
        "systemctl daemon-reload && systemctl enable swarm-guide.service && \
         systemctl restart swarm-guide.service"
            .to_string()
    } else {
        format!("{}; {}", stop_daemon_command(l), daemon_start_command(l))
    };
    let out = r
        .ssh
        .exec_timeout(&start, Duration::from_secs(60))
        .await
        .map_err(|e| ssh_err("start swarm-guide", e))?;
    if !out.success() {
        return Err(BootstrapError::Remote {
            host: r.id.clone(),
            step: "start swarm-guide".into(),
            detail: format!("exit {}: {}", out.exit_status, out.stderr_str().trim()),
        });
    }
    Ok(true)
}

/// Stops its plain daemon if it runs (pure).
pub fn stop_daemon_command(l: &RemoteLayout) -> String {
    let pid = shell_quote(&pid_file(l));
    format!(
        "p=$(cat {pid} 2>/dev/null); \
         if [ -n \"$p\" ] && grep -qs swarm-guide /proc/$p/cmdline; then kill -TERM \"$p\"; fi; \
         rm -f {pid}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_and_the_unit() {
        let l = RemoteLayout::system();
        assert_eq!(binary(&l), "/usr/local/bin/swarm-guide");
        assert_eq!(env_file(&l), "/etc/swarmd/swarm-guide.env");
        let u = unit_text(&l);
        assert!(
            u.contains("EnvironmentFile=/etc/swarmd/swarm-guide.env\n"),
            "{u}"
        );
        assert!(u.contains("ExecStart=/usr/local/bin/swarm-guide\n"), "{u}");
        assert!(u.contains("After=swarmd.service"), "{u}");
        let e = env_text(
            "${AWS::StackName}",
            "${LifecycleQueue}",
            "us-east-1",
            "/var/lib/swarmd",
        );
        assert!(e.contains("SWARM_GUIDE_STACK='${AWS::StackName}'\n"), "{e}");
        assert!(
            e.contains("SWARM_GUIDE_QUEUE_URL='${LifecycleQueue}'\n"),
            "{e}"
        );
        assert!(e.contains("SWARMD_STATE_DIR='/var/lib/swarmd'\n"), "{e}");
    }

    #[test]
    fn the_plain_daemon_uses_the_hosts_own_state_dir() {
        let l = RemoteLayout::under("/sb/h1");
        let c = daemon_start_command(&l);
        assert!(
            c.contains(
                ". '/sb/h1/etc/swarmd/swarm-guide.env'; SWARMD_STATE_DIR='/sb/h1/var/lib/swarmd'"
            ),
            "{c}"
        );
        assert!(c.contains("'/sb/h1/usr/local/bin/swarm-guide'"), "{c}");
        assert!(c.contains("> '/sb/h1/run/swarm-guide.pid'"), "{c}");
        let setup = GuideSetup {
            stack: "c1".into(),
            queue_url: "http://q".into(),
            region: "us-east-1".into(),
            extra_env: vec![("AWS_SECRET_ACCESS_KEY".into(), "SECRET".into())],
        };
        assert!(setup_env_text(&setup, &l).ends_with("AWS_SECRET_ACCESS_KEY='SECRET'\n"));
        assert!(!format!("{setup:?}").contains("\"SECRET\""), "{setup:?}");
    }
}
