//! The cluster's own `known_hosts` file, in OpenSSH format so `ssh -o UserKnownHostsFile=...` can share
//! it. Parsing and lookup are pure; only [`KnownHosts::check`] and [`KnownHosts::record`] touch the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use russh::keys::{HashAlg, PublicKey};

use super::SshError;

/// The known_hosts pattern for a host: `host` on port 22, `[host]:port` otherwise (as OpenSSH writes).
pub fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The verdict on a presented host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// The key is recorded for this host.
    Known,
    /// Nothing is recorded for this host: trust on first use.
    Unknown,
    /// Another key is recorded for this host: refuse.
    Mismatch {
        /// Fingerprint of the recorded key (the first one, when several are recorded).
        expected: String,
    },
}

/// One parsed line.
#[derive(Debug, Clone)]
struct Entry {
    patterns: Vec<String>,
    key: PublicKey,
}

/// Parses known_hosts text. Comments, blank lines and `@marker` lines are skipped; hashed entries
/// (`|1|...`) are kept but never match (this layer writes plain patterns).
fn parse(text: &str, path: &Path) -> Result<Vec<Entry>, SshError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(patterns), Some(kind), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SshError::KnownHosts {
                path: path.to_path_buf(),
                line: i + 1,
                reason: "expected `host key-type base64-key`".into(),
            });
        };
        let key = PublicKey::from_openssh(&format!("{kind} {b64}")).map_err(|e| {
            SshError::KnownHosts {
                path: path.to_path_buf(),
                line: i + 1,
                reason: format!("bad {kind} key: {e}"),
            }
        })?;
        entries.push(Entry {
            patterns: patterns.split(',').map(str::to_string).collect(),
            key,
        });
    }
    Ok(entries)
}

/// Looks `pattern` up among `entries` and judges `presented`.
fn lookup(entries: &[Entry], pattern: &str, presented: &PublicKey) -> HostKeyCheck {
    let mut expected = None;
    for entry in entries
        .iter()
        .filter(|e| e.patterns.iter().any(|p| p == pattern))
    {
        if entry.key.key_data() == presented.key_data() {
            return HostKeyCheck::Known;
        }
        expected.get_or_insert_with(|| entry.key.fingerprint(HashAlg::Sha256).to_string());
    }
    match expected {
        Some(expected) => HostKeyCheck::Mismatch { expected },
        None => HostKeyCheck::Unknown,
    }
}

/// A cluster's known_hosts file (it need not exist yet).
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
}

impl KnownHosts {
    /// The known_hosts file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KnownHosts { path: path.into() }
    }

    /// The cluster's own file: `known_hosts` in its config dir (next to its key).
    pub fn for_cluster(cluster: &str) -> Result<Self, SshError> {
        Ok(Self::new(
            super::cluster_config_dir(cluster)?.join("known_hosts"),
        ))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Judges the key `presented` by `host:port`.
    pub fn check(
        &self,
        host: &str,
        port: u16,
        presented: &PublicKey,
    ) -> Result<HostKeyCheck, SshError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(SshError::io(&self.path, e)),
        };
        let entries = parse(&text, &self.path)?;
        Ok(lookup(&entries, &host_pattern(host, port), presented))
    }

    /// Appends `host:port key` to the file (creating it and its directory).
    pub fn record(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), SshError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SshError::io(dir, e))?;
        }
        let mut line = format!("{} ", host_pattern(host, port));
        let mut plain = key.clone();
        plain.set_comment("");
        line.push_str(
            plain
                .to_openssh()
                .map_err(|e| SshError::KnownHosts {
                    path: self.path.clone(),
                    line: 0,
                    reason: format!("cannot encode key: {e}"),
                })?
                .trim_end(),
        );
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| SshError::io(&self.path, e))?;
        file.write_all(line.as_bytes())
            .map_err(|e| SshError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::ClusterKey;

    fn key() -> PublicKey {
        ClusterKey::generate("k")
            .unwrap()
            .private()
            .public_key()
            .clone()
    }

    #[test]
    fn patterns_follow_openssh() {
        assert_eq!(host_pattern("10.0.0.5", 22), "10.0.0.5");
        assert_eq!(host_pattern("10.0.0.5", 2222), "[10.0.0.5]:2222");
    }

    #[test]
    fn unknown_then_recorded_then_known_and_a_different_key_mismatches() {
        let tmp = tempfile::tempdir().unwrap();
        let kh = KnownHosts::new(tmp.path().join("sub").join("known_hosts"));
        let (a, b) = (key(), key());
        assert_eq!(kh.check("10.0.0.5", 22, &a).unwrap(), HostKeyCheck::Unknown);
        kh.record("10.0.0.5", 22, &a).unwrap();
        assert_eq!(kh.check("10.0.0.5", 22, &a).unwrap(), HostKeyCheck::Known);
        // Another port of the same address is another host.
        assert_eq!(
            kh.check("10.0.0.5", 2222, &a).unwrap(),
            HostKeyCheck::Unknown
        );
        assert_eq!(
            kh.check("10.0.0.5", 22, &b).unwrap(),
            HostKeyCheck::Mismatch {
                expected: a.fingerprint(HashAlg::Sha256).to_string()
            }
        );
    }

    #[test]
    fn reads_openssh_lines_with_comments_and_lists() {
        let a = key();
        let text = format!(
            "# comment\n\n@cert-authority * {}\nhost1,10.0.0.9 {}\n",
            a.to_openssh().unwrap(),
            a.to_openssh().unwrap()
        );
        let entries = parse(&text, Path::new("kh")).unwrap();
        assert_eq!(lookup(&entries, "10.0.0.9", &a), HostKeyCheck::Known);
        assert_eq!(lookup(&entries, "host1", &a), HostKeyCheck::Known);
        assert_eq!(lookup(&entries, "*", &a), HostKeyCheck::Unknown);
    }

    #[test]
    fn malformed_line_is_named() {
        let err = parse("ok\n", Path::new("/x/known_hosts"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/x/known_hosts:1"), "{err}");
        let err = parse("h ssh-ed25519 !!!\n", Path::new("kh"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("kh:1") && err.contains("ssh-ed25519"), "{err}");
    }
}
