//! The I/O half of the spec: finds and reads the config file and the SSH public key, then hands
//! everything to the pure [`validate`](super::validate::validate).

use std::path::{Path, PathBuf};

use super::raw::{RawSpec, SpecInput};
use super::validate::validate;
use super::{ClusterSpec, SpecError};

/// The config file read when `--config` is not given and it exists in the working directory.
pub const DEFAULT_CONFIG: &str = "swarm-aws.toml";

/// Builds the spec from the flags (with their environment variables and the global region) and
/// the config file.
pub fn load(input: &SpecInput) -> Result<ClusterSpec, SpecError> {
    let file = match &input.config {
        Some(path) => read_config(path)?,
        None if Path::new(DEFAULT_CONFIG).is_file() => read_config(Path::new(DEFAULT_CONFIG))?,
        None => RawSpec::default(),
    };
    let raw = file.overlay(input.flags.clone());
    let public_key = match &raw.ssh_public_key {
        Some(path) => Some(read_public_key(path)?),
        None => None,
    };
    validate(&raw, public_key.as_deref())
}

fn read_config(path: &Path) -> Result<RawSpec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::ReadConfig {
        path: path.display().to_string(),
        source,
    })?;
    RawSpec::from_toml(&text).map_err(|e| SpecError::ParseConfig {
        path: path.display().to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn read_public_key(path: &Path) -> Result<String, SpecError> {
    let expanded = expand_home(path);
    std::fs::read_to_string(&expanded).map_err(|source| SpecError::ReadPublicKey {
        path: path.display().to_string(),
        source,
    })
}

/// `~/x` → `$HOME/x`, as a shell would have done for a flag (config files are not shell-expanded).
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}
