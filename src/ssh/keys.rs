//! The cluster's SSH key: generated once per cluster, stored with mode 0600 under the user's config
//! dir (`$XDG_CONFIG_HOME/swarm-aws/clusters/<name>/id_ed25519`, directory mode 0700), never printed.

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey};

use super::SshError;

/// File name of the cluster's private key inside its config dir.
pub const PRIVATE_KEY_FILE: &str = "id_ed25519";

/// The kind of a client key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ed25519 (the default for generated keys).
    Ed25519,
    /// RSA, signed with rsa-sha2-256/512 when the server supports it.
    Rsa,
    /// Another algorithm russh supports (ECDSA).
    Other,
}

/// The per-cluster config dir: `$XDG_CONFIG_HOME/swarm-aws/clusters/<name>` (or `~/.config/...`).
pub fn cluster_config_dir(cluster: &str) -> Result<PathBuf, SshError> {
    config_dir_from(
        cluster,
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

/// [`cluster_config_dir`] with the environment passed in (pure).
fn config_dir_from(
    cluster: &str,
    xdg_config_home: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf, SshError> {
    if cluster.is_empty() || cluster.contains('/') || cluster == "." || cluster == ".." {
        return Err(SshError::Key {
            path: PathBuf::from(cluster),
            reason: "cluster name must be a non-empty path segment without '/'".into(),
        });
    }
    let base = match xdg_config_home.filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match home.filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => {
                return Err(SshError::Key {
                    path: PathBuf::from("$XDG_CONFIG_HOME"),
                    reason: "neither XDG_CONFIG_HOME nor HOME is set; set one of them".into(),
                })
            }
        },
    };
    Ok(base.join("swarm-aws").join("clusters").join(cluster))
}

/// A client private key. `Debug` shows only the algorithm and fingerprint.
#[derive(Clone)]
pub struct ClusterKey {
    key: Arc<PrivateKey>,
}

impl fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterKey")
            .field("algorithm", &self.key.algorithm().as_str())
            .field("fingerprint", &self.fingerprint())
            .field("private", &"<redacted>")
            .finish()
    }
}

impl ClusterKey {
    /// Generates a fresh ed25519 key with `comment` (e.g. `swarm-aws:<cluster>`).
    pub fn generate(comment: &str) -> Result<Self, SshError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| SshError::Key {
            path: PathBuf::from("<new key>"),
            reason: format!("no randomness from the OS: {e}"),
        })?;
        let pair = Ed25519Keypair::from_seed(&seed);
        seed.fill(0);
        let key =
            PrivateKey::new(KeypairData::Ed25519(pair), comment).map_err(|e| SshError::Key {
                path: PathBuf::from("<new key>"),
                reason: e.to_string(),
            })?;
        Ok(ClusterKey { key: Arc::new(key) })
    }

    /// Wraps an already parsed key.
    pub fn from_private_key(key: PrivateKey) -> Self {
        ClusterKey { key: Arc::new(key) }
    }

    /// Loads an unencrypted OpenSSH private key, refusing files readable by group or others.
    pub fn load(path: &Path) -> Result<Self, SshError> {
        let meta = std::fs::metadata(path).map_err(|e| SshError::io(path, e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SshError::Key {
                path: path.to_path_buf(),
                reason: format!(
                    "permissions {mode:04o} are too open; a private key must be private: chmod 600 {}",
                    path.display()
                ),
            });
        }
        let text = std::fs::read(path).map_err(|e| SshError::io(path, e))?;
        let key = PrivateKey::from_openssh(&text).map_err(|e| SshError::Key {
            path: path.to_path_buf(),
            reason: format!("not an OpenSSH private key: {e}"),
        })?;
        if key.is_encrypted() {
            return Err(SshError::Key {
                path: path.to_path_buf(),
                reason: "the key is passphrase-protected; use an unencrypted key for the cluster"
                    .into(),
            });
        }
        Ok(ClusterKey { key: Arc::new(key) })
    }

    /// Writes the private key (mode 0600, parent dirs 0700) and `<path>.pub` next to it.
    /// Refuses to overwrite an existing private key.
    pub fn save(&self, path: &Path) -> Result<(), SshError> {
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| SshError::io(dir, e))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| SshError::io(dir, e))?;
        }
        let pem = self
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|e| SshError::Key {
                path: path.to_path_buf(),
                reason: format!("cannot encode: {e}"),
            })?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| SshError::io(path, e))?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| SshError::io(path, e))?;
        let pub_path = public_key_path(path);
        std::fs::write(&pub_path, format!("{}\n", self.public_openssh()))
            .map_err(|e| SshError::io(&pub_path, e))?;
        Ok(())
    }

    /// Loads the cluster's key from `dir/id_ed25519`, generating and saving one if absent.
    /// Returns the key and whether it was created now.
    pub fn load_or_create(dir: &Path, comment: &str) -> Result<(Self, bool), SshError> {
        let path = dir.join(PRIVATE_KEY_FILE);
        if path.exists() {
            return Ok((Self::load(&path)?, false));
        }
        let key = Self::generate(comment)?;
        key.save(&path)?;
        Ok((key, true))
    }

    /// The public key as one OpenSSH line (`ssh-ed25519 AAAA... comment`).
    pub fn public_openssh(&self) -> String {
        self.key
            .public_key()
            .to_openssh()
            .unwrap_or_else(|_| String::from("<unencodable key>"))
    }

    /// The SHA256 fingerprint of the public key (`SHA256:...`).
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        match self.key.algorithm() {
            Algorithm::Ed25519 => KeyKind::Ed25519,
            Algorithm::Rsa { .. } => KeyKind::Rsa,
            _ => KeyKind::Other,
        }
    }

    pub(crate) fn private(&self) -> Arc<PrivateKey> {
        self.key.clone()
    }
}

/// `<path>.pub`.
fn public_key_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_saves_private_0600_in_0700_dir_and_reloads() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("clusters").join("c1");
        let (key, created) = ClusterKey::load_or_create(&dir, "swarm-aws:c1").unwrap();
        assert!(created);
        assert_eq!(key.kind(), KeyKind::Ed25519);
        let path = dir.join(PRIVATE_KEY_FILE);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let pub_line = std::fs::read_to_string(dir.join("id_ed25519.pub")).unwrap();
        assert!(pub_line.starts_with("ssh-ed25519 "), "{pub_line}");
        assert!(pub_line.trim_end().ends_with("swarm-aws:c1"));
        let (again, created) = ClusterKey::load_or_create(&dir, "ignored").unwrap();
        assert!(!created);
        assert_eq!(again.fingerprint(), key.fingerprint());
        // Two fresh keys differ.
        assert_ne!(
            ClusterKey::generate("x").unwrap().fingerprint(),
            key.fingerprint()
        );
    }

    #[test]
    fn debug_never_shows_private_material() {
        let key = ClusterKey::generate("c").unwrap();
        let pem = key.key.to_openssh(LineEnding::LF).unwrap();
        let body: String = pem.lines().nth(1).unwrap().chars().take(20).collect();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains(&key.fingerprint()));
        assert!(!dbg.contains(&body), "{dbg}");
        assert!(!dbg.contains("PRIVATE"));
    }

    #[test]
    fn too_open_key_file_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("k");
        ClusterKey::generate("c").unwrap().save(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = ClusterKey::load(&path).unwrap_err().to_string();
        assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn save_refuses_to_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("k");
        ClusterKey::generate("c").unwrap().save(&path).unwrap();
        assert!(ClusterKey::generate("c").unwrap().save(&path).is_err());
    }

    #[test]
    fn config_dir_follows_xdg_then_home_and_rejects_bad_names() {
        let some = |s: &str| Some(OsString::from(s));
        assert_eq!(
            config_dir_from("prod", some("/x"), some("/home/u")).unwrap(),
            PathBuf::from("/x/swarm-aws/clusters/prod")
        );
        assert_eq!(
            config_dir_from("prod", some(""), some("/home/u")).unwrap(),
            PathBuf::from("/home/u/.config/swarm-aws/clusters/prod")
        );
        let err = config_dir_from("prod", None, None).unwrap_err().to_string();
        assert!(err.contains("XDG_CONFIG_HOME"), "{err}");
        assert!(cluster_config_dir("a/b").is_err());
        assert!(cluster_config_dir("..").is_err());
    }
}
