//! Errors of the local tunnel and the verbs built on it; each names what failed and the fix.

use std::path::PathBuf;

/// What starting, finding, stopping or using the tunnel can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The local port cannot be listened on.
    #[error(
        "cannot listen on 127.0.0.1:{port} for the tunnel: {reason}\n  fix: pass another --port \
         (or --port 0 for any free one)"
    )]
    Port {
        /// The port asked for.
        port: u16,
        /// Why.
        reason: String,
    },
    /// A tunnel of this cluster already runs.
    #[error(
        "a tunnel of cluster {cluster} already runs (pid {pid}, 127.0.0.1:{port})\n  fix: use it, \
         or stop it first with `swarm-aws docker-env --unset --cluster {cluster}`"
    )]
    AlreadyRunning {
        /// The cluster.
        cluster: String,
        /// Its process.
        pid: u32,
        /// Its port.
        port: u16,
    },
    /// A running tunnel serves another port than the one asked for.
    #[error(
        "--port {asked}: the tunnel of cluster {cluster} already runs on 127.0.0.1:{port} (pid \
         {pid})\n  fix: drop --port, or stop it first with `swarm-aws docker-env --unset --cluster \
         {cluster}`"
    )]
    OtherPort {
        /// The cluster.
        cluster: String,
        /// The port asked for.
        asked: u16,
        /// The port it serves.
        port: u16,
        /// Its process.
        pid: u32,
    },
    /// The detached tunnel did not come up.
    #[error("the tunnel of cluster {cluster} did not start: {reason}\n  its log ({}):\n{log_tail}", log.display())]
    Start {
        /// The cluster.
        cluster: String,
        /// What was seen.
        reason: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        log_tail: String,
    },
    /// The cluster runs an engine whose API the tunnel does not serve.
    #[error(
        "cluster {cluster} runs Docker's own Swarm mode (--engine docker): its managers' docker \
         engines are its API, not swarmd's TLS port\n  fix: use `docker -H ssh://USER@MANAGER` \
         against one of its managers"
    )]
    NotSwarmd {
        /// The cluster.
        cluster: String,
    },
    /// No manager answered for too long.
    #[error(
        "cluster {cluster}: no manager answered for {secs} s (last: {last}); the tunnel stops"
    )]
    Lost {
        /// The cluster.
        cluster: String,
        /// How long.
        secs: u64,
        /// The last error.
        last: String,
    },
    /// The docker CLI is not installed.
    #[error(
        "`docker` is not on PATH ({path}): `swarm-aws context` runs the docker CLI\n  fix: install \
         it (e.g. `apt-get install docker-ce-cli` or `docker.io`), or use `swarm-aws docker-env` \
         to get the variables for a docker CLI elsewhere"
    )]
    NoDocker {
        /// The PATH searched.
        path: String,
    },
    /// The docker CLI failed.
    #[error("`docker {args}` exited {status}: {stderr}")]
    Docker {
        /// Its arguments.
        args: String,
        /// Its exit status.
        status: String,
        /// What it said.
        stderr: String,
    },
    /// A local file or process operation failed.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file (or process) concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl TunnelError {
    /// 2 for what the user must fix (a port, an engine, a missing docker CLI), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            TunnelError::Port { .. }
            | TunnelError::AlreadyRunning { .. }
            | TunnelError::OtherPort { .. }
            | TunnelError::NotSwarmd { .. }
            | TunnelError::NoDocker { .. } => 2,
            _ => 1,
        }
    }
}

/// An [`TunnelError::Io`] for `path`.
pub(crate) fn io_err(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> TunnelError {
    TunnelError::Io {
        path: path.into(),
        reason: e.to_string(),
    }
}
