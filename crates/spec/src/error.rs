//! Validation errors: each names the field, the value given, what is wrong and what is allowed.

use std::fmt;

/// One invalid field of a cluster or website spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The flag that carries the field (config keys and `SWARM_AWS_*` variables share its name).
    pub field: &'static str,
    /// The value as given (never a secret: specs hold none).
    pub value: String,
    /// What is wrong and what to do instead.
    pub message: String,
}

impl FieldError {
    /// A new error for `field` holding `value`.
    pub fn new(field: &'static str, value: impl fmt::Display, message: impl Into<String>) -> Self {
        Self {
            field,
            value: value.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: {}", self.field, self.message)
        } else {
            write!(f, "{} `{}`: {}", self.field, self.value, self.message)
        }
    }
}

/// Why a spec could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// One or more fields are invalid; all of them are listed.
    #[error("invalid cluster spec:\n{}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys.
    #[error("config file {path} is not valid: {message}")]
    ParseConfig {
        /// The file.
        path: String,
        /// The parser's message (line, column, unknown key and the keys allowed).
        message: String,
    },
    /// The SSH public key file could not be read.
    #[error("--ssh-public-key {path}: cannot read it: {source}")]
    ReadPublicKey {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl SpecError {
    /// The field errors, if this is a validation failure.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            SpecError::Invalid(errors) => errors,
            _ => &[],
        }
    }
}
