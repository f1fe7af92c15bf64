//! Configs: non-secret files for a service's tasks (`config create`, `--config`). Unlike a
//! secret, a config's data is returned by `config inspect` (as docker does).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::file_ref::FileTarget;

/// What `config create` sends; also the stored spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSpec {
    /// The name (unique among configs).
    pub name: String,
    /// `--label`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The content (base64 on the wire).
    #[serde(default, with = "crate::secret::b64")]
    pub data: Vec<u8>,
}

/// A config as stored and shown by `config ls|inspect`, with its data.
pub type Config = crate::file_object::Object<ConfigSpec>;

/// A service's use of a config (`--config`), docker's `ConfigReference`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfigReference {
    /// The config's id (the manager resolves the name the user gave).
    #[serde(default)]
    pub config_id: String,
    /// The config's name.
    pub config_name: String,
    /// The file in the container (relative names under `/`).
    pub file: FileTarget,
}
