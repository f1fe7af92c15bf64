//! Errors of the store outside the Raft storage traits (opening, recovery).

/// Errors opening or rewriting the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("database {path}: {message}")]
    Db {
        /// Database file.
        path: String,
        /// Cause.
        message: String,
    },
    /// Stored data could not be decoded.
    #[error("corrupt stored data ({what}): {message}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Cause.
        message: String,
    },
    /// The store holds nothing to recover from.
    #[error("nothing to recover: {0}")]
    Empty(String),
}
