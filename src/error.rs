//! The CLI's error type and how each kind maps to an exit code: 2 for input the user must fix
//! (nothing was created), 1 for everything that went wrong while acting. Each layer's error is
//! wrapped as it is (`#[from]`), so its own exit code and hint survive.

use crate::bootstrap::{BootstrapError, ScaleError};
use crate::cloud_error::CloudError;
use crate::cluster_api::ClusterApiError;
use crate::keypair::KeyPairError;
use crate::preflight::PreflightError;
use crate::provider::ProviderError;
use crate::sandbox::SandboxError;
use crate::spec::{FieldError, SpecError};
use crate::stack::StackError;
use crate::tunnel::TunnelError;

/// What a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster spec (flags, file, environment) is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Other invalid input, with every field named.
    #[error("invalid input:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Fields(Vec<FieldError>),
    /// Bad input found by a shared client verb (a compose file, a flag value): the message
    /// names the key or flag, the value and the fix.
    #[error("{0}")]
    Input(String),
    /// The verb exists but its implementation has not landed yet.
    #[error("`swarm-aws {0}` is not implemented yet")]
    NotImplemented(&'static str),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Talking to AWS or the stack operation failed.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// An inventory, scale-in or website call failed.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// Where the hosts come from (the sandbox's emulator, the swarmd builds) failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The local sandbox hosts failed.
    #[error("sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    /// The SSH bootstrap of the hosts (or a membership change over it) failed (boxed: it is the
    /// largest layer error).
    #[error("bootstrap: {0}")]
    Bootstrap(Box<BootstrapError>),
    /// A membership change was refused before anything changed.
    #[error(transparent)]
    Scale(#[from] ScaleError),
    /// Creating, importing, finding or deleting the cluster's EC2 key pair failed.
    #[error("key pair: {0}")]
    KeyPair(#[from] KeyPairError),
    /// Reaching the cluster's API (SSH, admin certificate, tunnel) or the API itself failed.
    #[error(transparent)]
    ClusterApi(#[from] ClusterApiError),
    /// The IAM preflight refused the verb (missing permissions) or could not run.
    #[error("preflight: {0}")]
    Preflight(#[from] PreflightError),
    /// The local tunnel to the cluster's API (or the docker CLI run over it) failed.
    #[error(transparent)]
    Tunnel(#[from] TunnelError),
    /// The user declined (or could not be asked) to confirm.
    #[error("{0}")]
    NotConfirmed(String),
}

impl From<BootstrapError> for Error {
    fn from(e: BootstrapError) -> Self {
        Error::Bootstrap(Box::new(e))
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Spec(_) | Error::Fields(_) | Error::Input(_) | Error::NotImplemented(_) => 2,
            Error::Output(_) | Error::NotConfirmed(_) | Error::ClusterApi(_) => 1,
            Error::Provider(e) => e.exit_code(),
            Error::Sandbox(e) => e.exit_code(),
            Error::Bootstrap(e) => e.exit_code(),
            Error::Scale(e) => e.exit_code(),
            Error::KeyPair(e) => e.exit_code(),
            Error::Preflight(e) => e.exit_code(),
            Error::Tunnel(e) => e.exit_code(),
            Error::Stack(e) | Error::Cloud(CloudError::Stack(e)) => stack_exit_code(e),
            Error::Cloud(_) => 1,
        }
    }

    /// A one-line suggestion to print after the error, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Stack(e) => e.hint(),
            Error::Cloud(e) => e.hint(),
            Error::Preflight(e) => e.hint(),
            Error::NotConfirmed(_) => Some("pass --yes to confirm without a prompt".into()),
            _ => None,
        }
    }
}

fn stack_exit_code(e: &StackError) -> u8 {
    match e {
        StackError::Interrupted { .. } => 130,
        StackError::NoRegion
        | StackError::UnknownRegion { .. }
        | StackError::NoCredentials { .. } => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_errors_keep_their_exit_codes() {
        let input = BootstrapError::Input {
            field: "managers",
            value: "0".into(),
            fix: "give 1 or more",
        };
        let e = Error::from(input);
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("managers"), "{e}");
        let e = Error::from(BootstrapError::Task("boom".into()));
        assert_eq!(e.exit_code(), 1);
        let e = Error::from(SandboxError::InvalidName {
            name: "Bad_Name".into(),
            reason: "lowercase letters, digits and hyphens only".into(),
        });
        assert_eq!(e.exit_code(), 2, "{e}");
        let e = Error::from(BootstrapError::Sandbox(SandboxError::NoSubnet));
        assert_eq!(e.exit_code(), 1);
        let e = Error::from(ScaleError::NoManagerLeft {
            asked: 0,
            current: 3,
        });
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
