//! The typed client verbs of secrets, configs and autolock: `client.secrets().create(&spec)`,
//! `client.configs().ls()`, `client.unlock_key(rotate)`, ... (one route of [`crate::routes`]
//! each, like [`crate::control_client`]).

use std::marker::PhantomData;

use crate::client::Client;
use crate::config::ConfigSpec;
use crate::error::ClientError;
use crate::file_kind::{FileSpec, Object};
use crate::routes;
use crate::secret::{SecretSpec, UpdateLabelsRequest};
use crate::swarm_lock::{SwarmUpdateRequest, UnlockKeyRequest, UnlockKeyResponse, UnlockRequest};

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// The verbs of file objects of kind `S` (secrets or configs).
    pub fn file_objects<S: FileSpec>(&self) -> FileObjects<'_, S> {
        FileObjects(self, PhantomData)
    }

    /// The secret verbs.
    pub fn secrets(&self) -> Secrets<'_> {
        self.file_objects()
    }

    /// The config verbs.
    pub fn configs(&self) -> Configs<'_> {
        self.file_objects()
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

/// The verbs of one kind of file object (secrets or configs) of a [`Client`]; `key` is an id,
/// a unique id prefix or a name.
pub struct FileObjects<'a, S>(&'a Client, PhantomData<S>);

/// The secret verbs (metadata only: a secret's value is never answered).
pub type Secrets<'a> = FileObjects<'a, SecretSpec>;

/// The config verbs (with their data).
pub type Configs<'a> = FileObjects<'a, ConfigSpec>;

impl<S: FileSpec> FileObjects<'_, S> {
    /// Every object of the kind.
    pub async fn ls(&self) -> Result<Vec<Object<S>>> {
        self.0.send(&S::LIST, &[], &()).await
    }

    /// Creates one.
    pub async fn create(&self, spec: &S) -> Result<Object<S>> {
        self.0.send(&S::CREATE, &[], spec).await
    }

    /// One object.
    pub async fn inspect(&self, key: &str) -> Result<Object<S>> {
        self.0.send(&S::INSPECT, &[key], &()).await
    }

    /// Replaces the labels.
    pub async fn update(&self, key: &str, req: &UpdateLabelsRequest) -> Result<Object<S>> {
        self.0.send(&S::UPDATE, &[key], req).await
    }

    /// Removes one no service uses.
    pub async fn rm(&self, key: &str) -> Result<()> {
        self.0.send(&S::RM, &[key], &()).await
    }
}
