//! The one error type of the sandbox layer.

use std::path::PathBuf;

/// What creating, listing or destroying sandbox hosts can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Namespaces and bridges need root.
    #[error("the local sandbox needs root (network namespaces, bridges); running as uid {uid}: re-run with sudo")]
    NotRoot {
        /// The effective uid.
        uid: u32,
    },
    /// A required program is not installed.
    #[error("the local sandbox needs `{program}`, which was not found: install the Debian package `{package}`")]
    MissingProgram {
        /// The program.
        program: String,
        /// The package providing it.
        package: &'static str,
    },
    /// The cluster name cannot name sandbox resources.
    #[error("sandbox cluster name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// A sandbox for this cluster already exists.
    #[error("a sandbox for cluster {cluster} already exists (state in {}); destroy it first (`swarm-aws down --sandbox`)", state_dir.display())]
    Exists {
        /// The cluster.
        cluster: String,
        /// Its state dir.
        state_dir: PathBuf,
    },
    /// No sandbox is recorded for this cluster.
    #[error("no sandbox for cluster {cluster} (no state in {})", state_dir.display())]
    NotFound {
        /// The cluster.
        cluster: String,
        /// Where its state would be.
        state_dir: PathBuf,
    },
    /// The host named is not part of the sandbox.
    #[error("sandbox {cluster} has no host {host}")]
    UnknownHost {
        /// The cluster.
        cluster: String,
        /// The host asked for.
        host: String,
    },
    /// All sandbox subnets (10.213.1-254.0/24) are taken on this machine.
    #[error("no free sandbox subnet in 10.213.0.0/16: destroy unused sandboxes")]
    NoSubnet,
    /// Too many hosts for one /24.
    #[error("sandbox {cluster}: at most {max} hosts per cluster, asked for {asked}")]
    TooManyHosts {
        /// The cluster.
        cluster: String,
        /// The limit.
        max: usize,
        /// The number asked for.
        asked: usize,
    },
    /// A system command failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A host's sshd did not come up.
    #[error("sandbox host {host} ({addr}): sshd did not start listening within {secs}s; its log {}:\n{log_tail}", log.display())]
    SshdStart {
        /// The host.
        host: String,
        /// Its address.
        addr: String,
        /// Seconds waited.
        secs: u64,
        /// The sshd log file.
        log: PathBuf,
        /// The end of that log.
        log_tail: String,
    },
    /// A host's container engine did not come up.
    #[error("sandbox host {host}: its dockerd did not answer on {} within {secs}s; its log {}:\n{log_tail}", socket.display(), log.display())]
    EngineStart {
        /// The host.
        host: String,
        /// The engine's socket.
        socket: PathBuf,
        /// Seconds waited.
        secs: u64,
        /// The dockerd log file.
        log: PathBuf,
        /// The end of that log.
        log_tail: String,
    },
    /// The sandbox's registry did not come up.
    #[error("the sandbox registry did not answer on {addr} within {secs}s; its log {}:\n{log_tail}", log.display())]
    RegistryStart {
        /// Its address.
        addr: String,
        /// Seconds waited.
        secs: u64,
        /// The registry log file.
        log: PathBuf,
        /// The end of that log.
        log_tail: String,
    },
    /// The sandbox's Prometheus (`up --monitoring`) did not come up.
    #[error("the sandbox's Prometheus did not answer on {addr} within {secs}s (is Debian's \
             `prometheus` installed? apt-get install prometheus); its log {}:\n{log_tail}", log.display())]
    MonitoringStart {
        /// Its address.
        addr: String,
        /// Seconds waited.
        secs: u64,
        /// Its log file.
        log: PathBuf,
        /// The end of that log.
        log_tail: String,
    },
    /// The state file is unreadable or malformed.
    #[error("sandbox state {}: {reason}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A local file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SandboxError::Io {
            path: path.into(),
            source,
        }
    }
}

impl SandboxError {
    /// The exit code: 2 for a name or size the user must change, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            SandboxError::InvalidName { .. } | SandboxError::TooManyHosts { .. } => 2,
            _ => 1,
        }
    }
}
