//! A helper process of the sandbox run detached (`setsid`, its own session, stdin closed, output
//! to a log): a hidden verb of this binary with a pid file in its dir. Its command line names the
//! dir, so a leftover shows up in [`super::Sandbox::leftovers`] and a recycled pid is never taken
//! for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cmd::run_quiet;
use super::SandboxError;

/// One detached helper: `exe VERB ARGS... --dir DIR`, files `DIR/NAME.pid` and `DIR/NAME.log`.
#[derive(Debug, Clone)]
pub struct Detached {
    /// Its dir.
    pub dir: PathBuf,
    /// File stem of its pid file and log.
    pub name: &'static str,
    /// The hidden verb it runs.
    pub verb: &'static str,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs `sh -c SCRIPT` in a session of its own (`setsid -f`), stdin closed, its output to a fresh
/// `log_path`; `command` names it in errors.
pub(super) fn setsid_sh(
    script: &str,
    log_path: &Path,
    command: String,
) -> Result<(), SandboxError> {
    let log = std::fs::File::create(log_path).map_err(|e| SandboxError::io(log_path, e))?;
    let err = log.try_clone().map_err(|e| SandboxError::io(log_path, e))?;
    let status = Command::new("setsid")
        .args(["-f", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .status()
        .map_err(|e| SandboxError::Command {
            command: command.clone(),
            status: "not started".into(),
            stderr: e.to_string(),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(SandboxError::Command {
            command,
            status: status.to_string(),
            stderr: String::new(),
        })
    }
}

impl Detached {
    fn pid_file(&self) -> PathBuf {
        self.dir.join(format!("{}.pid", self.name))
    }

    /// Its log.
    pub fn log(&self) -> PathBuf {
        self.dir.join(format!("{}.log", self.name))
    }

    /// Its pid, while it runs (its command line names the verb and the dir).
    pub fn running_pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.pid_file()).ok()?;
        let pid = pid.trim().to_string();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        (cmdline.contains(self.verb) && cmdline.contains(&*self.dir.to_string_lossy()))
            .then_some(pid)
    }

    /// Starts `exe VERB ARGS... --dir DIR` detached (the dir is made first).
    pub fn spawn(&self, exe: &Path, args: &[String]) -> Result<(), SandboxError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| SandboxError::io(&self.dir, e))?;
        let mut line = vec![quote(&exe.display().to_string()), self.verb.to_string()];
        line.extend(args.iter().map(|a| quote(a)));
        line.extend(["--dir".to_string(), quote(&self.dir.display().to_string())]);
        // `sh` records its pid, then becomes the helper (`exec`).
        let script = format!(
            "echo $$ > {}; exec {}",
            quote(&self.pid_file().display().to_string()),
            line.join(" ")
        );
        setsid_sh(
            &script,
            &self.log(),
            format!("setsid -f {} {}", exe.display(), self.verb),
        )
    }

    /// Waits up to `timeout` for `ready` to give something; on timeout stops the helper and
    /// fails with its log's tail.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        ready: impl Fn() -> Option<T>,
    ) -> Result<T, SandboxError> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(t) = ready() {
                return Ok(t);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        self.stop();
        Err(SandboxError::Command {
            command: format!("{} (log {})", self.verb, self.log().display()),
            status: format!("not ready within {} s", timeout.as_secs()),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }

    /// Stops it if it runs (TERM, then KILL after 5 s).
    pub fn stop(&self) {
        let Some(pid) = self.running_pid() else {
            return;
        };
        run_quiet("kill", &["-TERM", &pid]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) && self.running_pid().is_some() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.running_pid().is_some() {
            run_quiet("kill", &["-KILL", &pid]);
        }
    }
}
