//! What secrets and configs have in common (pure): an [`Object`] wraps either spec with its id,
//! version and times (see [`crate::file_object`]), and [`FileSpec`] says, per kind, its name,
//! routes, and how a service refers to it. One generic piece of code then serves both kinds:
//! the client verbs ([`crate::secret_client`]), the CLI verbs, the docker API, the managers'
//! handlers and the store.
//!
//! The two kinds differ only where docker's do: a secret's value is never answered and is
//! sealed in the store; a config's data is answered by `inspect`.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{ConfigReference, ConfigSpec};
pub use crate::file_object::Object;
use crate::file_ref::{FileKind, FileTarget};
use crate::routes::{self, Route};
use crate::secret::{SecretReference, SecretSpec, UpdateLabelsRequest};
use crate::service::ContainerSpec;

impl<S: FileSpec> Object<S> {
    /// The name (unique among the objects of its kind).
    pub fn name(&self) -> &str {
        self.spec.name()
    }
}

/// A service's use of a secret or config: the object's id and name, and the file it becomes.
pub trait FileRef: Clone + Debug + Send + Sync + 'static {
    /// The object's id (empty until the manager resolved the name).
    fn id(&self) -> &str;
    /// The object's name as the user gave it.
    fn name(&self) -> &str;
    /// The file in the container.
    fn file(&self) -> &FileTarget;
    /// A reference to object `id` named `name`, as file `file`.
    fn new(id: String, name: String, file: FileTarget) -> Self;
}

/// The spec of a secret or config: what differs between the two kinds.
pub trait FileSpec:
    Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// How a service refers to one.
    type Ref: FileRef;
    /// Secret or config.
    const KIND: FileKind;
    /// `GET /v1/secrets` or `/v1/configs`.
    const LIST: Route<(), Vec<Object<Self>>>;
    /// `POST /v1/secrets` or `/v1/configs`.
    const CREATE: Route<Self, Object<Self>>;
    /// `GET .../:key`.
    const INSPECT: Route<(), Object<Self>>;
    /// `POST .../:key/update`.
    const UPDATE: Route<UpdateLabelsRequest, Object<Self>>;
    /// `POST .../:key/rm`.
    const RM: Route<(), ()>;

    /// The name.
    fn name(&self) -> &str;
    /// The labels.
    fn labels(&self) -> &BTreeMap<String, String>;
    /// The labels, to replace them.
    fn labels_mut(&mut self) -> &mut BTreeMap<String, String>;
    /// The references of this kind in a container spec.
    fn refs(c: &ContainerSpec) -> &Vec<Self::Ref>;
    /// The same, to change them.
    fn refs_mut(c: &mut ContainerSpec) -> &mut Vec<Self::Ref>;
}

/// The two kinds' impls, from their names (the same code for both).
macro_rules! file_kind {
    ($spec:ident, $kind:ident, $reference:ident { $id:ident, $name:ident }, $refs:ident,
     [$list:ident, $create:ident, $inspect:ident, $update:ident, $rm:ident]) => {
        impl FileRef for $reference {
            fn id(&self) -> &str {
                &self.$id
            }
            fn name(&self) -> &str {
                &self.$name
            }
            fn file(&self) -> &FileTarget {
                &self.file
            }
            fn new($id: String, $name: String, file: FileTarget) -> Self {
                $reference { $id, $name, file }
            }
        }

        impl FileSpec for $spec {
            type Ref = $reference;
            const KIND: FileKind = FileKind::$kind;
            const LIST: Route<(), Vec<Object<Self>>> = routes::$list;
            const CREATE: Route<Self, Object<Self>> = routes::$create;
            const INSPECT: Route<(), Object<Self>> = routes::$inspect;
            const UPDATE: Route<UpdateLabelsRequest, Object<Self>> = routes::$update;
            const RM: Route<(), ()> = routes::$rm;

            fn name(&self) -> &str {
                &self.name
            }
            fn labels(&self) -> &BTreeMap<String, String> {
                &self.labels
            }
            fn labels_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.labels
            }
            fn refs(c: &ContainerSpec) -> &Vec<$reference> {
                &c.$refs
            }
            fn refs_mut(c: &mut ContainerSpec) -> &mut Vec<$reference> {
                &mut c.$refs
            }
        }
    };
}

file_kind!(
    SecretSpec,
    Secret,
    SecretReference {
        secret_id,
        secret_name
    },
    secrets,
    [SECRETS, SECRET_CREATE, SECRET, SECRET_UPDATE, SECRET_RM]
);
file_kind!(
    ConfigSpec,
    Config,
    ConfigReference {
        config_id,
        config_name
    },
    configs,
    [CONFIGS, CONFIG_CREATE, CONFIG, CONFIG_UPDATE, CONFIG_RM]
);

/// The ids of the objects of kind `S` that a container spec refers to.
pub fn referenced_ids<S: FileSpec>(c: &ContainerSpec) -> impl Iterator<Item = &str> {
    S::refs(c).iter().map(FileRef::id)
}
