//! The typed client verbs of secrets, configs and autolock: `client.secrets().create(&spec)`,
//! `client.configs().ls()`, `client.unlock_key(rotate)`, ... (one route of [`crate::routes`]
//! each, like [`crate::control_client`]).

use crate::client::Client;
use crate::config::{Config, ConfigSpec};
use crate::error::ClientError;
use crate::routes;
use crate::secret::{Secret, SecretSpec, UpdateLabelsRequest};
use crate::swarm_lock::{SwarmUpdateRequest, UnlockKeyRequest, UnlockKeyResponse, UnlockRequest};

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// The secret verbs.
    pub fn secrets(&self) -> Secrets<'_> {
        Secrets(self)
    }

    /// The config verbs.
    pub fn configs(&self) -> Configs<'_> {
        Configs(self)
    }

    /// `swarm update --autolock=BOOL`: answers the unlock key when autolock is on.
    pub async fn swarm_update(&self, req: &SwarmUpdateRequest) -> Result<UnlockKeyResponse> {
        self.send(&routes::SWARM_UPDATE, &[], req).await
    }

    /// `swarm unlock-key [--rotate]`.
    pub async fn unlock_key(&self, rotate: bool) -> Result<UnlockKeyResponse> {
        self.send(&routes::SWARM_UNLOCK_KEY, &[], &UnlockKeyRequest { rotate })
            .await
    }

    /// `swarm unlock` (local socket).
    pub async fn unlock(&self, key: &str) -> Result<()> {
        let req = UnlockRequest {
            key: key.to_string(),
        };
        self.send(&routes::SWARM_UNLOCK, &[], &req).await
    }
}

/// The secret verbs of a [`Client`]; `key` is an id, a unique id prefix or a name.
pub struct Secrets<'a>(&'a Client);

impl Secrets<'_> {
    /// Every secret (metadata only).
    pub async fn ls(&self) -> Result<Vec<Secret>> {
        self.0.send(&routes::SECRETS, &[], &()).await
    }

    /// Creates a secret.
    pub async fn create(&self, spec: &SecretSpec) -> Result<Secret> {
        self.0.send(&routes::SECRET_CREATE, &[], spec).await
    }

    /// One secret (metadata only).
    pub async fn inspect(&self, key: &str) -> Result<Secret> {
        self.0.send(&routes::SECRET, &[key], &()).await
    }

    /// Replaces the labels.
    pub async fn update(&self, key: &str, req: &UpdateLabelsRequest) -> Result<Secret> {
        self.0.send(&routes::SECRET_UPDATE, &[key], req).await
    }

    /// Removes a secret no service uses.
    pub async fn rm(&self, key: &str) -> Result<()> {
        self.0.send(&routes::SECRET_RM, &[key], &()).await
    }
}

/// The config verbs of a [`Client`]; `key` is an id, a unique id prefix or a name.
pub struct Configs<'a>(&'a Client);

impl Configs<'_> {
    /// Every config.
    pub async fn ls(&self) -> Result<Vec<Config>> {
        self.0.send(&routes::CONFIGS, &[], &()).await
    }

    /// Creates a config.
    pub async fn create(&self, spec: &ConfigSpec) -> Result<Config> {
        self.0.send(&routes::CONFIG_CREATE, &[], spec).await
    }

    /// One config, with its data.
    pub async fn inspect(&self, key: &str) -> Result<Config> {
        self.0.send(&routes::CONFIG, &[key], &()).await
    }

    /// Replaces the labels.
    pub async fn update(&self, key: &str, req: &UpdateLabelsRequest) -> Result<Config> {
        self.0.send(&routes::CONFIG_UPDATE, &[key], req).await
    }

    /// Removes a config no service uses.
    pub async fn rm(&self, key: &str) -> Result<()> {
        self.0.send(&routes::CONFIG_RM, &[key], &()).await
    }
}
