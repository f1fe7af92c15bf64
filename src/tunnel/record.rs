//! The tunnel's record in the cluster's config dir ([`RECORD_FILE`]): which process serves
//! which local port. The port outlives the process (a stopped tunnel keeps its record with no
//! pid), so a restarted tunnel comes back on the same port and docker contexts made for it keep
//! working.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{io_err, TunnelError};

/// The record's file name in the cluster's config dir.
pub const RECORD_FILE: &str = "tunnel.json";
/// The detached tunnel's log file name in the cluster's config dir.
pub const LOG_FILE: &str = "tunnel.log";
/// The dir (in the cluster's config dir) of the docker CLI's TLS files.
pub const DOCKER_DIR: &str = "docker";

/// One tunnel: its port, and its process while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelRecord {
    /// The cluster it leads to.
    pub cluster: String,
    /// The local port (on 127.0.0.1).
    pub port: u16,
    /// The serving process, `None` once it stopped.
    pub pid: Option<u32>,
    /// The manager it reaches (inventory id), when connected.
    #[serde(default)]
    pub manager: Option<String>,
}

impl TunnelRecord {
    /// The record's path in `config_dir`.
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join(RECORD_FILE)
    }

    /// Parses a record (pure); `None` for text that is not one (a torn or foreign file).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The record in `config_dir`, if there is a readable one.
    pub fn load(config_dir: &Path) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(Self::path(config_dir)).ok()?)
    }

    /// Writes the record atomically (a temporary file renamed over it).
    pub fn save(&self, config_dir: &Path) -> Result<(), TunnelError> {
        let path = Self::path(config_dir);
        let tmp = config_dir.join(format!("{RECORD_FILE}.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(|e| io_err(&path, e))?;
        std::fs::write(&tmp, text + "\n").map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
    }

    /// Marks the process `pid` as stopped (the port stays), if the record still names it.
    pub fn clear_pid(config_dir: &Path, pid: u32) {
        if let Some(mut r) = Self::load(config_dir) {
            if r.pid == Some(pid) {
                r.pid = None;
                r.manager = None;
                let _ = r.save(config_dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_stopped_tunnel_keeps_its_port() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TunnelRecord::load(dir.path()), None);
        let r = TunnelRecord {
            cluster: "c".into(),
            port: 41000,
            pid: Some(77),
            manager: Some("host-0".into()),
        };
        r.save(dir.path()).unwrap();
        assert_eq!(TunnelRecord::load(dir.path()), Some(r.clone()));
        TunnelRecord::clear_pid(dir.path(), 78);
        assert_eq!(
            TunnelRecord::load(dir.path()).unwrap().pid,
            Some(77),
            "another pid"
        );
        TunnelRecord::clear_pid(dir.path(), 77);
        let after = TunnelRecord::load(dir.path()).unwrap();
        assert_eq!((after.pid, after.port), (None, 41000));
        assert_eq!(TunnelRecord::parse("{\"torn"), None);
    }
}
