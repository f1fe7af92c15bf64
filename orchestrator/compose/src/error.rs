//! The one error of this crate: what is wrong with the compose input, naming the file (and
//! line and column for YAML syntax), or the key path (`services.web.deploy.replicas`).

use std::fmt;

/// Bad compose input. Every variant is an input error (exit code 2 in the CLIs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    /// The file is not YAML.
    #[error("{file}:{line}:{column}: {message}")]
    Yaml {
        /// The file as given with `-c`.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A key or value is wrong: unknown key, wrong type, bad value, missing reference.
    #[error("{0}")]
    Key(KeyError),
    /// A file next to the compose file (`.env`, `env_file`, a secret's `file`) is unreadable.
    #[error("{path}: {message} (fix: {fix})")]
    File {
        /// The path as resolved.
        path: String,
        /// What went wrong.
        message: String,
        /// How to fix it.
        fix: String,
    },
}

/// A bad key or value at a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// `services.web.deploy.replicas`.
    pub path: String,
    /// `expected a number`.
    pub message: String,
    /// How to fix it (empty: no hint).
    pub fix: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if !self.fix.is_empty() {
            write!(f, " (fix: {})", self.fix)?;
        }
        Ok(())
    }
}

impl ComposeError {
    /// A [`ComposeError::Key`] at `path`.
    pub fn key(
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ComposeError::Key(KeyError {
            path: path.into(),
            message: message.into(),
            fix: fix.into(),
        })
    }

    /// A swarm-api validation error of the value at `path` (it names the docker flag too).
    pub fn spec(path: impl Into<String>, e: swarm_api::spec_error::SpecError) -> Self {
        ComposeError::key(path, format!("{:?}: {}", e.value, e.reason), e.fix)
    }
}
