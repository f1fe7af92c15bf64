//! Secrets: what `secret create` sends ([`SecretSpec`]), what the managers answer and store
//! ([`Secret`], never with the value), how a service asks for one ([`SecretReference`]), and
//! the value's encrypted form in the Raft log and snapshots ([`Sealed`]).
//!
//! A secret's value travels only in [`SecretSpec::data`] (client → manager, once) and in the
//! dispatcher's answer to a node that runs a task needing it ([`crate::dispatch::FilePayload`]);
//! it is sealed with the cluster data key before it enters the Raft log. [`SecretData`]'s
//! `Debug` is redacted, so no log line can show it.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::file_ref::FileTarget;

pub use crate::file_ref::MAX_DATA;

/// Bytes that are a secret value: base64 on the wire (as docker's API), redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SecretData(pub Vec<u8>);

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

impl SecretData {
    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for SecretData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        b64::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for SecretData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        b64::deserialize(d).map(SecretData)
    }
}

/// Serde for `Vec<u8>` as standard base64 (`#[serde(with = "swarm_api::secret::b64")]`).
pub mod b64 {
    use super::*;

    /// Writes base64.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Reads base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// What `secret create` sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSpec {
    /// The name (unique among secrets).
    pub name: String,
    /// `--label`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The value; empty in every answer of a manager.
    #[serde(default, skip_serializing_if = "SecretData::is_empty")]
    pub data: SecretData,
    /// The driver (`--driver`); empty: the built-in store (the only one here).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
}

/// A secret as `secret ls|inspect` shows it: metadata only, never the value (`spec.data` is
/// empty).
pub type Secret = crate::file_object::Object<SecretSpec>;

/// A secret's value encrypted with the cluster data key (AES-256-GCM), as the Raft log and
/// snapshots keep it. The associated data is the secret's id, so a sealed value cannot be
/// moved to another secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The 96-bit nonce.
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    /// Ciphertext and tag.
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<sealed {} bytes>", self.ciphertext.len())
    }
}

/// A service's use of a secret (`--secret`), docker's `SecretReference`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretReference {
    /// The secret's id (the manager resolves the name the user gave).
    #[serde(default)]
    pub secret_id: String,
    /// The secret's name.
    pub secret_name: String,
    /// The file in the container (relative names under `/run/secrets/`).
    pub file: FileTarget,
}

/// `POST /v1/secrets/KEY/update` and `POST /v1/configs/KEY/update`: docker lets only the
/// labels change (the value is immutable: a new value is a new name). Labels equal to the
/// stored ones change nothing (no write, the version stays).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateLabelsRequest {
    /// The version read.
    pub version: u64,
    /// The new labels (all of them).
    pub labels: BTreeMap<String, String>,
    /// Secrets only: the value the caller holds (as docker's `SecretUpdate` may send the
    /// spec's data). When it differs from the stored value the update is refused with
    /// docker's "only updates to Labels are allowed"; it is never stored. Redacted in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<SecretData>,
}
