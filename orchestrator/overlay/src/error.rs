//! The error enum of the overlay data plane.

/// What went wrong while wiring a node's overlay networks.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// A system command (`ip`, `bridge`, `nsenter`, `nft`) failed.
    #[error("`{command}` failed: {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// What it printed on stderr (or why it could not run).
        stderr: String,
    },
    /// A netlink request (links, addresses, neighbours, forwarding entries) failed.
    #[error("netlink: {op}: {cause}")]
    Netlink {
        /// What was asked, e.g. `add bridge swbr4097`.
        op: String,
        /// The kernel's answer.
        cause: String,
    },
    /// An address in the node's view does not parse.
    #[error("bad {what} {value}")]
    BadAddress {
        /// Which address.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// The Docker engine did not answer about a container.
    #[error("inspect container {id}: {cause}")]
    Docker {
        /// The container.
        id: String,
        /// The engine's error.
        cause: String,
    },
    /// A container has no process (it stopped meanwhile).
    #[error("container {0} has no process")]
    NoProcess(String),
    /// A DNS socket could not be bound.
    #[error("DNS on {addr}: {cause}")]
    Dns {
        /// The address.
        addr: String,
        /// Why.
        cause: std::io::Error,
    },
    /// Writing a task's resolver configuration failed.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
}
