//! The sandbox's state file (`state.json` in its state dir), written before each resource is made so
//! that a later process can tear down whatever exists.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::SandboxError;

/// File name of the state inside the sandbox's state dir.
pub(crate) const STATE_FILE: &str = "state.json";

/// What exists (or is being made) for one sandbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct State {
    pub cluster: String,
    pub subnet: u8,
    pub hosts: Vec<HostState>,
    /// The lowest index no host ever had (hosts removed by `scale` keep their index used, so
    /// their addresses never come back with another host key).
    #[serde(default)]
    pub next_index: usize,
    /// What each host offers the scheduler (set at creation; absent in older state files,
    /// whose hosts then offer the whole machine as before).
    #[serde(default)]
    pub share: Option<super::share::Share>,
    /// Whether the hosts' swarmd serve `/metrics` on their TLS port (`up --monitoring`).
    #[serde(default)]
    pub metrics: bool,
}

/// One host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct HostState {
    pub index: usize,
    pub name: String,
    pub netns: String,
    pub addr: Ipv4Addr,
    pub dir: PathBuf,
}

impl State {
    /// Reads `dir/state.json`; `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<State>, SandboxError> {
        load_json(dir, STATE_FILE)
    }

    /// Writes `dir/state.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), SandboxError> {
        save_json(dir, STATE_FILE, self)
    }
}

/// Reads the JSON file `dir/file`; `None` when it is absent.
pub(crate) fn load_json<T: DeserializeOwned>(
    dir: &Path,
    file: &str,
) -> Result<Option<T>, SandboxError> {
    let path = dir.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SandboxError::io(&path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SandboxError::State {
            path,
            reason: e.to_string(),
        })
}

/// Writes `value` as JSON to `dir/file` atomically (a temporary file, then a rename).
pub(crate) fn save_json<T: Serialize>(
    dir: &Path,
    file: &str,
    value: &T,
) -> Result<(), SandboxError> {
    let path = dir.join(file);
    let tmp = dir.join(format!("{file}.tmp"));
    let text = serde_json::to_string_pretty(value).map_err(|e| SandboxError::State {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&tmp, text).map_err(|e| SandboxError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| SandboxError::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_absent_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(State::load(tmp.path()).unwrap(), None);
        let state = State {
            cluster: "c".into(),
            subnet: 9,
            hosts: vec![HostState {
                index: 0,
                name: "host-0".into(),
                netns: "swaws-x-0".into(),
                addr: Ipv4Addr::new(10, 213, 9, 10),
                dir: tmp.path().join("host-0"),
            }],
            next_index: 1,
            share: None,
            metrics: false,
        };
        state.save(tmp.path()).unwrap();
        assert_eq!(State::load(tmp.path()).unwrap(), Some(state));
        std::fs::write(tmp.path().join(STATE_FILE), "{").unwrap();
        let err = State::load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("state.json"), "{err}");
    }
}
