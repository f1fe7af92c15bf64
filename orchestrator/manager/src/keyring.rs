//! A manager's copy of the cluster data key, and its autolock state.
//!
//! The key lives in memory; on disk it is `STATE_DIR/data-key` (mode 0600) only while
//! autolock is off. With autolock on, the key exists on disk only wrapped by the unlock key,
//! inside the replicated state ([`swarm_api::swarm_lock::LockInfo`]); a manager restarted
//! then has no key and is *locked*: every control request is answered with
//! [`swarm_api::swarm_lock::LOCKED_MESSAGE`] until `swarmd unlock` gives it the unlock key.
//! Workers never hold the key: a demoted manager forgets it, a promoted worker fetches it
//! (see [`crate::promotion`]).

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use swarm_api::swarm_lock::{LockInfo, LOCKED_MESSAGE};

use crate::data_key::{Key, UNLOCK_AAD, WRAP_AAD};
use crate::error::ManagerError;

/// The data key of this manager (if it has one) and where it is kept.
#[derive(Debug, Default)]
pub struct Keyring {
    key: RwLock<Option<Key>>,
    file: RwLock<Option<PathBuf>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ManagerError + '_ {
    move |cause| ManagerError::Io {
        path: path.display().to_string(),
        cause,
    }
}

/// The key file in a state directory.
pub fn key_path(state_dir: &Path) -> PathBuf {
    state_dir.join("data-key")
}

/// Writes a data key file (0600, atomically).
pub fn save_key(path: &Path, key: &Key) -> Result<(), ManagerError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(&key.0).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

impl Keyring {
    /// Loads the key file of `state_dir` (absent: no key yet, or locked). With `lock` set (the
    /// replicated state says autolock is on), a plain key file left over is removed and the
    /// manager starts locked.
    pub fn load(state_dir: &Path, lock: Option<&LockInfo>) -> Result<Keyring, ManagerError> {
        let path = key_path(state_dir);
        let ring = Keyring {
            key: RwLock::new(None),
            file: RwLock::new(Some(path.clone())),
        };
        if lock.is_some() {
            let _ = std::fs::remove_file(&path);
            return Ok(ring);
        }
        match std::fs::read(&path) {
            Ok(b) => {
                let key = Key::from_bytes(&b).ok_or_else(|| ManagerError::Io {
                    path: path.display().to_string(),
                    cause: std::io::Error::other("not a 32-byte key"),
                })?;
                ring.set(key);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        Ok(ring)
    }

    /// Holds `key` in memory.
    pub fn set(&self, key: Key) {
        if let Ok(mut k) = self.key.write() {
            *k = Some(key);
        }
    }

    /// Drops the key from memory and disk (this node is no longer a manager).
    pub fn forget(&self) {
        if let Ok(mut k) = self.key.write() {
            *k = None;
        }
        if let Some(path) = self.file.read().ok().and_then(|p| p.clone()) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// The key, or the locked error.
    pub fn key(&self) -> Result<Key, ManagerError> {
        self.key
            .read()
            .ok()
            .and_then(|k| k.clone())
            .ok_or_else(|| ManagerError::Locked(LOCKED_MESSAGE.into()))
    }

    /// Whether this manager has no key (locked, or a worker).
    pub fn is_locked(&self) -> bool {
        self.key().is_err()
    }

    /// Makes the key file follow the autolock state: written while autolock is off, removed
    /// while it is on. Called after autolock changes and periodically (other managers).
    pub fn sync_file(&self, lock: Option<&LockInfo>) -> Result<(), ManagerError> {
        let Some(path) = self.file.read().ok().and_then(|p| p.clone()) else {
            return Ok(());
        };
        match (lock, self.key()) {
            (Some(_), _) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(e)),
                _ => Ok(()),
            },
            (None, Ok(key)) if !path.exists() => save_key(&path, &key),
            _ => Ok(()),
        }
    }

    /// Unlocks with the operator's unlock key: opens the wrapped data key of `lock`.
    pub fn unlock(&self, lock: Option<&LockInfo>, text: &str) -> Result<(), ManagerError> {
        let Some(lock) = lock else {
            return Err(ManagerError::BadRequest(
                "this swarm is not locked (autolock is off); nothing to unlock".into(),
            ));
        };
        let wrong = || {
            ManagerError::BadRequest(
                "invalid unlock key: it does not open this swarm's data key (fix: give the key \
                 `swarmd swarm unlock-key` last printed, SWMKEY-1-...)"
                    .into(),
            )
        };
        let unlock = Key::from_unlock_text(text).ok_or_else(wrong)?;
        let raw = unlock
            .open(WRAP_AAD, &lock.wrapped_data_key)
            .map_err(|_| wrong())?;
        self.set(Key::from_bytes(&raw).ok_or_else(wrong)?);
        Ok(())
    }

    /// A fresh lock record for `unlock` (a new unlock key) over this manager's data key.
    pub fn new_lock(&self, unlock: &Key) -> Result<LockInfo, ManagerError> {
        let key = self.key()?;
        Ok(LockInfo {
            wrapped_data_key: unlock.seal(WRAP_AAD, &key.0),
            sealed_unlock_key: key.seal(UNLOCK_AAD, &unlock.0),
        })
    }

    /// The unlock key of `lock`, opened with the data key.
    pub fn unlock_key(&self, lock: &LockInfo) -> Result<Key, ManagerError> {
        let raw = self
            .key()?
            .open(UNLOCK_AAD, &lock.sealed_unlock_key)
            .map_err(|_| ManagerError::Conflict("the unlock key record cannot be opened".into()))?;
        Key::from_bytes(&raw)
            .ok_or_else(|| ManagerError::Conflict("the unlock key record is damaged".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_unlock_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::load(dir.path(), None).unwrap();
        assert!(ring.is_locked(), "no key yet");
        let dk = Key::random();
        ring.set(dk.clone());
        ring.sync_file(None).unwrap();
        assert_eq!(std::fs::read(key_path(dir.path())).unwrap(), dk.0);
        let unlock = Key::random();
        let lock = ring.new_lock(&unlock).unwrap();
        ring.sync_file(Some(&lock)).unwrap();
        assert!(
            !key_path(dir.path()).exists(),
            "no plain key under autolock"
        );
        assert_eq!(ring.unlock_key(&lock).unwrap(), unlock);

        let restarted = Keyring::load(dir.path(), Some(&lock)).unwrap();
        let e = restarted.key().unwrap_err().to_string();
        assert!(e.contains("needs to be unlocked"), "{e}");
        let wrong = Key::random().to_unlock_text();
        assert!(restarted.unlock(Some(&lock), &wrong).is_err());
        assert!(restarted.unlock(Some(&lock), "garbage").is_err());
        assert!(restarted.is_locked());
        restarted
            .unlock(Some(&lock), &unlock.to_unlock_text())
            .unwrap();
        assert_eq!(restarted.key().unwrap(), dk);
    }
}
