//! The one error type of the SSH layer. Every variant names the address (or file) it concerns.

use std::path::PathBuf;
use std::time::Duration;

/// What the SSH layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// No SSH session could be established within the connect budget (host down, booting, unroutable).
    #[error("ssh {addr}: connection timed out after {}s ({attempts} attempts; last error: {last})", .after.as_secs())]
    Timeout {
        /// The address tried.
        addr: String,
        /// The total time spent.
        after: Duration,
        /// How many attempts were made.
        attempts: u32,
        /// The last error seen.
        last: String,
    },
    /// The host presented a key different from the one recorded for it. Never accepted.
    #[error(
        "ssh {addr}: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for host {host}: expected {expected}, \
         presented {presented} (known_hosts: {}). This could be a man-in-the-middle attack or a rebuilt host; \
         if the host was rebuilt on purpose, remove its line from that file and connect again",
        known_hosts.display()
    )]
    HostKeyMismatch {
        /// The address connected to.
        addr: String,
        /// The known_hosts pattern of the host.
        host: String,
        /// Fingerprint recorded in known_hosts.
        expected: String,
        /// Fingerprint the host presented.
        presented: String,
        /// The known_hosts file.
        known_hosts: PathBuf,
    },
    /// The server refused the client key.
    #[error(
        "ssh {addr}: authentication failed: user {user} with key {fingerprint} was refused by the server \
         (is this the cluster's key, and is its public half in the host's authorized_keys?)"
    )]
    AuthRejected {
        /// The address connected to.
        addr: String,
        /// The remote user.
        user: String,
        /// SHA256 fingerprint of the public key offered.
        fingerprint: String,
    },
    /// The SSH protocol failed after the TCP connection was made.
    #[error("ssh {addr}: {context}: {source}")]
    Protocol {
        /// The address connected to.
        addr: String,
        /// What was being done.
        context: String,
        /// The underlying russh error.
        #[source]
        source: Box<russh::Error>,
    },
    /// A remote command ended without an exit status (e.g. killed by a signal) or its channel broke.
    #[error("ssh {addr}: command `{command}`: {reason}")]
    Exec {
        /// The address of the host.
        addr: String,
        /// The command run.
        command: String,
        /// What went wrong.
        reason: String,
    },
    /// An upload did not arrive intact or could not be installed.
    #[error("ssh {addr}: upload to {remote_path}: {reason}")]
    Upload {
        /// The address of the host.
        addr: String,
        /// The destination path on the host.
        remote_path: String,
        /// What went wrong.
        reason: String,
    },
    /// A forwarded channel could not be opened or broke.
    #[error("ssh {addr}: forward to {target}: {reason}")]
    Forward {
        /// The address of the SSH host.
        addr: String,
        /// The `host:port` the channel was to reach (as seen from the SSH host).
        target: String,
        /// What went wrong.
        reason: String,
    },
    /// A key file is missing, unreadable, malformed or has unsafe permissions.
    #[error("ssh key {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong, and how to fix it.
        reason: String,
    },
    /// The known_hosts file is malformed.
    #[error("known_hosts {}:{line}: {reason}", path.display())]
    KnownHosts {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SshError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SshError::Io {
            path: path.into(),
            source,
        }
    }
}
