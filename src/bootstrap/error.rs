//! The one error type of the bootstrap layer. Every variant names the host and the step.

use std::path::PathBuf;
use std::time::Duration;

use super::PlanError;
use crate::sandbox::SandboxError;
use crate::ssh::SshError;

/// What a bootstrap can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The hosts and the cluster's membership do not fit together.
    #[error("cannot plan the bootstrap: {0}")]
    Plan(#[from] PlanError),
    /// The SSH layer failed (connect, exec, upload).
    #[error("host {host}: {step}: {source}")]
    Ssh {
        /// The host (inventory id).
        host: String,
        /// What was being done.
        step: String,
        /// The SSH error (names the address).
        #[source]
        source: SshError,
    },
    /// A remote command exited non-zero.
    #[error("host {host}: {step} failed: {detail}")]
    Remote {
        /// The host.
        host: String,
        /// What was being done.
        step: String,
        /// Exit status and stderr (never a token).
        detail: String,
    },
    /// A condition did not come true in time.
    #[error("host {host}: {step}: not done after {}s; {detail}", .waited.as_secs())]
    Timeout {
        /// The host.
        host: String,
        /// What was awaited.
        step: String,
        /// How long we waited.
        waited: Duration,
        /// The last observation (e.g. the log tail).
        detail: String,
    },
    /// The local swarmd binary cannot be read.
    #[error("cannot read the swarmd binary {}: {source}; build it with `cargo build -p swarmd` or pass its path", .path.display())]
    Binary {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Invalid input.
    #[error("invalid bootstrap input: {field} = {value:?}: {fix}")]
    Input {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// How to fix it.
        fix: &'static str,
    },
    /// Creating or destroying the sandbox failed.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// A worker task panicked or was cancelled.
    #[error("internal error: {0}")]
    Task(String),
}

impl BootstrapError {
    /// The exit code: 2 for input the user must fix, the sandbox's own code for its errors, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            BootstrapError::Input { .. } => 2,
            BootstrapError::Sandbox(e) => e.exit_code(),
            _ => 1,
        }
    }
}
