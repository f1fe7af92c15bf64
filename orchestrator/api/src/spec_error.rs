//! The validation error of service and task specs: names the field, the bad value and the fix.

use std::fmt;

/// A spec or flag value was rejected.
///
/// The message names the field (usually the docker-style flag, e.g. `--mount`), the value the
/// user gave, why it is wrong and how to fix it, for example:
/// `invalid --mount "type=nfs,target=/x": unknown mount type "nfs" (fix: use type=volume, type=bind or type=tmpfs)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The field or flag, e.g. `--reserve-memory` or `spec.name`.
    pub field: String,
    /// The offending value as given.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
    /// How to fix it.
    pub fix: String,
}

impl SpecError {
    /// Builds an error for `field` holding `value`.
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        SpecError {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: {} (fix: {})",
            self.field, self.value, self.reason, self.fix
        )
    }
}
