//! What the preflight fails with: permissions missing (input the user must fix, exit 2), a caller
//! that cannot be checked (exit 2, `--skip-preflight` named), or an IAM/STS call that failed.

use crate::aws::AwsError;

/// Why the preflight stopped the verb.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The caller lacks actions the verb needs; nothing was created.
    #[error(
        "swarm-aws {verb} needs {} permission(s) that {principal} does not have ({how}): {}. \
         Nothing was created",
        .missing.len(),
        .missing.iter().map(|(a, d)| format!("{a} ({d})")).collect::<Vec<_>>().join(", ")
    )]
    Missing {
        /// The verb.
        verb: &'static str,
        /// The IAM entity checked.
        principal: String,
        /// Each missing action with the decision (`implicitDeny`, `explicitDeny`).
        missing: Vec<(String, &'static str)>,
        /// How the decisions were made (simulated, or from its own policies).
        how: &'static str,
    },
    /// The caller's permissions cannot be checked (not allowed to simulate, or not an entity IAM
    /// can simulate).
    #[error("cannot check the permissions of {principal}: {reason}")]
    CannotCheck {
        /// The caller.
        principal: String,
        /// Why.
        reason: String,
    },
    /// `sts:GetCallerIdentity` failed.
    #[error("GetCallerIdentity failed: {source}")]
    GetCallerIdentity {
        /// Cause.
        source: AwsError,
    },
    /// An IAM call of the preflight failed.
    #[error("{call} for {principal} failed: {source}")]
    Iam {
        /// The IAM operation (`SimulatePrincipalPolicy`, `ListUserPolicies`, ...).
        call: &'static str,
        /// The entity it was about.
        principal: String,
        /// Cause.
        source: AwsError,
    },
}

impl PreflightError {
    /// Exit code: 2 when the user must fix something (permissions, or pass `--skip-preflight`).
    pub fn exit_code(&self) -> u8 {
        match self {
            PreflightError::Missing { .. } | PreflightError::CannotCheck { .. } => 2,
            PreflightError::GetCallerIdentity { .. } | PreflightError::Iam { .. } => 1,
        }
    }

    /// The next step to suggest.
    pub fn hint(&self) -> Option<String> {
        match self {
            PreflightError::Missing { .. } => Some(
                "grant these actions to the caller (or its group or role) and run again; \
                 --skip-preflight goes ahead without the check"
                    .into(),
            ),
            PreflightError::CannotCheck { .. } => Some(
                "grant iam:SimulatePrincipalPolicy on the caller, or pass --skip-preflight to go \
                 ahead without the check"
                    .into(),
            ),
            _ => None,
        }
    }
}
