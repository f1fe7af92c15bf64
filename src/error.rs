//! The CLI's error type and how each kind maps to an exit code: 2 for input the user must fix
//! (nothing was created), 1 for everything that went wrong while acting.

use crate::spec::{FieldError, SpecError};

/// What a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster spec (flags, file, environment) is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Other invalid input, with every field named.
    #[error("invalid input:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Fields(Vec<FieldError>),
    /// The verb exists but its implementation has not landed yet.
    #[error("`swarm-aws {0}` is not implemented yet")]
    NotImplemented(&'static str),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Spec(_) | Error::Fields(_) | Error::NotImplemented(_) => 2,
            Error::Output(_) => 1,
        }
    }
}
