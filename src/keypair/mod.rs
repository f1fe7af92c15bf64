//! The cluster's EC2 key pair: `up` creates one (CreateKeyPair, ed25519; the private key goes to
//! the cluster's config dir with mode 0600 and is never printed), imports the user's public key
//! (`--ssh-public-key`, ImportKeyPair), or checks that `--key-name` exists. A pair swarm-aws made
//! is recorded in `key-pair.json` next to the key, so `down` deletes that one and no other.
//!
//! A local cluster key without a pair in the region (e.g. after `down`) is imported rather than
//! replaced, so the user keeps one key per cluster.

use std::path::{Path, PathBuf};

use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{KeyFormat, KeyType};
use serde::{Deserialize, Serialize};

use crate::aws::{call, Clients};
use crate::spec::SshKey;
use crate::ssh::{cluster_config_dir, ClusterKey};

mod error;
pub use error::KeyPairError;

/// The record of a key pair swarm-aws made, in the cluster's config dir.
pub const RECORD_FILE: &str = "key-pair.json";
/// The cluster's private key in its config dir.
pub const KEY_FILE: &str = "id_ed25519";
/// Where `--ssh-public-key`'s private half is recorded (its path, one line), for the bootstrap.
pub const IDENTITY_FILE: &str = "identity";

/// What `up` did about the key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    /// `--key-name`: it exists; nothing changed.
    Existing,
    /// CreateKeyPair; the private key was saved locally.
    Created,
    /// ImportKeyPair of a public key (the user's, or the cluster's local one).
    Imported,
    /// The pair exists already (an earlier `up`).
    Reused,
}

/// A key pair swarm-aws made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key pair's name.
    pub name: String,
    /// Its region.
    pub region: String,
}

fn local(path: &Path, e: impl std::fmt::Display) -> KeyPairError {
    KeyPairError::Local {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

async fn exists(clients: &Clients, name: &str) -> Result<bool, KeyPairError> {
    match call(clients.ec2.describe_key_pairs().key_names(name).send()).await {
        Ok(out) => Ok(!out.key_pairs().is_empty()),
        Err(e) if e.code.as_deref() == Some("InvalidKeyPair.NotFound") => Ok(false),
        Err(source) => Err(KeyPairError::Describe {
            name: name.to_string(),
            region: clients.region.clone(),
            source,
        }),
    }
}

fn config_dir(cluster: &str) -> Result<PathBuf, KeyPairError> {
    cluster_config_dir(cluster).map_err(|e| local(Path::new(cluster), e))
}

fn record(dir: &Path, name: &str, region: &str) -> Result<(), KeyPairError> {
    std::fs::create_dir_all(dir).map_err(|e| local(dir, e))?;
    let text = serde_json::to_string_pretty(&KeyRecord {
        name: name.to_string(),
        region: region.to_string(),
    })
    .map_err(|e| local(dir, e))?;
    let path = dir.join(RECORD_FILE);
    std::fs::write(&path, text).map_err(|e| local(&path, e))
}

/// The private key path that goes with a public key path (`~/.ssh/id_ed25519.pub` →
/// `~/.ssh/id_ed25519`), if the name ends in `.pub` (pure).
pub fn private_half(public: &Path) -> Option<PathBuf> {
    let name = public.file_name()?.to_str()?;
    name.strip_suffix(".pub")
        .map(|stem| public.with_file_name(stem))
}

/// The private key that opens the cluster's hosts, given its config dir: the private half of
/// `--ssh-public-key` when `up` recorded one ([`IDENTITY_FILE`]), else the cluster's own key.
pub fn private_key_path(config_dir: &Path) -> PathBuf {
    std::fs::read_to_string(config_dir.join(IDENTITY_FILE))
        .ok()
        .map(|p| PathBuf::from(p.trim()))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| config_dir.join(KEY_FILE))
}

/// Makes sure the key pair `name` for `cluster` exists as `key` asks (see the module doc).
pub async fn ensure_key_pair(
    clients: &Clients,
    cluster: &str,
    name: &str,
    key: &SshKey,
) -> Result<KeyAction, KeyPairError> {
    let region = clients.region.clone();
    match key {
        SshKey::Existing(_) => {
            if exists(clients, name).await? {
                Ok(KeyAction::Existing)
            } else {
                Err(KeyPairError::NotFound {
                    name: name.to_string(),
                    region,
                })
            }
        }
        SshKey::Import { path, public_key } => {
            let dir = config_dir(cluster)?;
            std::fs::create_dir_all(&dir).map_err(|e| local(&dir, e))?;
            if let Some(private) = private_half(path).filter(|p| p.exists()) {
                let identity = dir.join(IDENTITY_FILE);
                std::fs::write(&identity, format!("{}\n", private.display()))
                    .map_err(|e| local(&identity, e))?;
            }
            if exists(clients, name).await? {
                return Ok(KeyAction::Reused);
            }
            import(clients, name, public_key).await?;
            record(&dir, name, &region)?;
            Ok(KeyAction::Imported)
        }
        SshKey::Generate => {
            let dir = config_dir(cluster)?;
            let key_path = dir.join(KEY_FILE);
            let pair = exists(clients, name).await?;
            match (pair, key_path.exists()) {
                (true, true) => Ok(KeyAction::Reused),
                (true, false) => Err(KeyPairError::LostPrivateKey {
                    name: name.to_string(),
                    region,
                    path: key_path,
                }),
                (false, true) => {
                    let mine = ClusterKey::load(&key_path).map_err(|e| local(&key_path, e))?;
                    import(clients, name, &mine.public_openssh()).await?;
                    record(&dir, name, &region)?;
                    Ok(KeyAction::Imported)
                }
                (false, false) => {
                    create(clients, name, &key_path).await?;
                    record(&dir, name, &region)?;
                    Ok(KeyAction::Created)
                }
            }
        }
    }
}

async fn import(clients: &Clients, name: &str, public_key: &str) -> Result<(), KeyPairError> {
    call(
        clients
            .ec2
            .import_key_pair()
            .key_name(name)
            .public_key_material(Blob::new(public_key.trim().as_bytes().to_vec()))
            .send(),
    )
    .await
    .map(|_| ())
    .map_err(|source| KeyPairError::Import {
        name: name.to_string(),
        region: clients.region.clone(),
        source,
    })
}

async fn create(clients: &Clients, name: &str, key_path: &Path) -> Result<(), KeyPairError> {
    let out = call(
        clients
            .ec2
            .create_key_pair()
            .key_name(name)
            .key_type(KeyType::Ed25519)
            .key_format(KeyFormat::Pem)
            .send(),
    )
    .await
    .map_err(|source| KeyPairError::Create {
        name: name.to_string(),
        region: clients.region.clone(),
        source,
    })?;
    let material = out.key_material().unwrap_or_default();
    // OpenSSH (ed25519 on AWS) or PEM (RSA from older endpoints and emulators).
    let parsed = russh::keys::decode_secret_key(material.trim(), None).map_err(|e| {
        KeyPairError::BadMaterial {
            name: name.to_string(),
            detail: e.to_string(),
        }
    });
    let key = match parsed {
        Ok(k) => ClusterKey::from_private_key(k),
        Err(e) => {
            // Do not leave a pair whose private key is lost.
            let _ = call(clients.ec2.delete_key_pair().key_name(name).send()).await;
            return Err(e);
        }
    };
    if let Some(dir) = key_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| local(dir, e))?;
    }
    key.save(key_path).map_err(|e| local(key_path, e))
}

/// After `down`: deletes the key pair swarm-aws made for `cluster` (if any) and its local
/// record and private key. Returns the deleted pair's name.
pub async fn delete_created(
    clients: &Clients,
    cluster: &str,
) -> Result<Option<String>, KeyPairError> {
    let dir = config_dir(cluster)?;
    let path = dir.join(RECORD_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let rec: KeyRecord = serde_json::from_str(&text).map_err(|e| local(&path, e))?;
    if rec.region != clients.region {
        return Ok(None);
    }
    call(clients.ec2.delete_key_pair().key_name(&rec.name).send())
        .await
        .map_err(|source| KeyPairError::Delete {
            name: rec.name.clone(),
            region: rec.region.clone(),
            source,
        })?;
    std::fs::remove_file(&path).map_err(|e| local(&path, e))?;
    for f in [KEY_FILE, "id_ed25519.pub"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(Some(rec.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_up_ssh_public_key_is_the_recorded_identity() {
        // `node ...` used to load id_ed25519 whatever `up --ssh-public-key` had recorded.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(private_key_path(dir.path()), dir.path().join("id_ed25519"));
        let mine = dir.path().join("mine");
        std::fs::write(
            dir.path().join(IDENTITY_FILE),
            format!("{}\n", mine.display()),
        )
        .unwrap();
        assert_eq!(private_key_path(dir.path()), mine);
    }

    #[test]
    fn the_private_half_drops_pub() {
        assert_eq!(
            private_half(Path::new("/h/.ssh/id_ed25519.pub")),
            Some(PathBuf::from("/h/.ssh/id_ed25519"))
        );
        assert_eq!(private_half(Path::new("/h/key")), None);
    }
}
