//! The provider layer's error: the sandbox's emulator and the swarmd builds to install.

use std::path::PathBuf;

/// What choosing and preparing the hosts' provider can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The sandbox's stack lives in the emulator, which does not answer.
    #[error(
        "the local AWS emulator does not answer on {url}: the sandbox's stack lives there; start \
         the sandbox with `swarm-aws up --sandbox` (or set AWS_ENDPOINT_URL)"
    )]
    EmulatorDown {
        /// Where it was looked for.
        url: String,
    },
    /// An emulator script (`localstack/start`, `localstack/stop`) failed.
    #[error("{}: {detail}", script.display())]
    EmulatorScript {
        /// The script.
        script: PathBuf,
        /// What went wrong (its stderr, or why it did not run).
        detail: String,
    },
    /// No swarmd build to install.
    #[error(
        "the swarmd binary is not next to swarm-aws; build it with `cargo build --workspace` (or \
         set SWARMD_BIN)"
    )]
    NoSwarmd,
    /// A local file of the provider (the sandbox's marker, the cluster's key) failed.
    #[error("{}: {detail}", path.display())]
    Local {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// Reading a new instance's boot material (user data, role credentials) from the emulator
    /// failed.
    #[error("the boot of a new instance of group {group}: {step}: {detail}")]
    InstanceBoot {
        /// The auto-scaling group.
        group: String,
        /// The call or item that failed.
        step: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// The `aws` CLI the sandbox's hosts run their user data with is not installed.
    #[error(
        "the sandbox's hosts run their user data with the aws CLI, not found in {}: run \
         `scripts/setup` (installs it into a venv) or set SWARM_AWS_AWSCLI_DIR",
        dir.display()
    )]
    NoAwsCli {
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// A blocking task panicked or was cancelled.
    #[error("internal error: {0}")]
    Task(String),
}

impl ProviderError {
    /// The exit code: 2 when a build is missing (nothing was created), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ProviderError::NoSwarmd => 2,
            _ => 1,
        }
    }
}
