//! Secrets and configs in the [`ClusterState`] (pure): create with unique names, label
//! updates only (values are immutable), removal refused while a service references them,
//! and the check that a service's references all exist. One generic code path serves both
//! kinds ([`StoredKind`]).
//!
//! A secret's value is kept only sealed ([`Sealed`], encrypted by the manager with the
//! cluster data key before the command entered the log): neither the log nor a snapshot holds
//! it in the clear.

use std::collections::BTreeMap;

use swarm_api::command::ApplyError;
use swarm_api::config::{Config, ConfigSpec};
use swarm_api::file_kind::{FileRef, FileSpec, Object};
use swarm_api::secret::{Sealed, Secret, SecretSpec};
use swarm_api::service::Service;

use crate::find::find_by_key;
use crate::secret_record::StoredSecret;
use crate::state::ClusterState;

/// A kind of file object as the state keeps it: its map and what one entry holds.
pub trait StoredKind: FileSpec {
    /// One entry of the map (a config as it is; a secret with its sealed value).
    type Record: Clone;
    /// The kind's map, by id.
    fn map(state: &ClusterState) -> &BTreeMap<String, Self::Record>;
    /// The same, to change it.
    fn map_mut(state: &mut ClusterState) -> &mut BTreeMap<String, Self::Record>;
    /// The object of an entry.
    fn object(r: &Self::Record) -> &Object<Self>;
    /// The same, to change it.
    fn object_mut(r: &mut Self::Record) -> &mut Object<Self>;
}

impl StoredKind for SecretSpec {
    type Record = StoredSecret;
    fn map(state: &ClusterState) -> &BTreeMap<String, StoredSecret> {
        &state.secrets
    }
    fn map_mut(state: &mut ClusterState) -> &mut BTreeMap<String, StoredSecret> {
        &mut state.secrets
    }
    fn object(r: &StoredSecret) -> &Secret {
        &r.secret
    }
    fn object_mut(r: &mut StoredSecret) -> &mut Secret {
        &mut r.secret
    }
}

impl StoredKind for ConfigSpec {
    type Record = Config;
    fn map(state: &ClusterState) -> &BTreeMap<String, Config> {
        &state.configs
    }
    fn map_mut(state: &mut ClusterState) -> &mut BTreeMap<String, Config> {
        &mut state.configs
    }
    fn object(r: &Config) -> &Config {
        r
    }
    fn object_mut(r: &mut Config) -> &mut Config {
        r
    }
}

fn not_found<S: FileSpec>(name: &str) -> ApplyError {
    ApplyError::FileObjectNotFound {
        kind: S::KIND.noun().into(),
        name: name.into(),
    }
}

impl ClusterState {
    /// Every object of kind `S`, by id.
    pub fn file_objects<S: StoredKind>(&self) -> impl Iterator<Item = &Object<S>> {
        S::map(self).values().map(S::object)
    }

    /// An object of kind `S` by id, by name, or by a unique id prefix.
    pub fn find_file_object<S: StoredKind>(&self, key: &str) -> Option<&Object<S>> {
        find_by_key(S::map(self), key, |r| S::object(r).name())
            .ok()
            .map(S::object)
    }

    fn insert_file_object<S: StoredKind>(
        &mut self,
        o: &Object<S>,
        record: S::Record,
    ) -> Result<(), ApplyError> {
        self.require_cluster()?;
        if S::map(self).contains_key(&o.id)
            || self.file_objects::<S>().any(|x| x.name() == o.name())
        {
            return Err(ApplyError::FileObjectExists {
                kind: S::KIND.noun().into(),
                name: o.name().into(),
            });
        }
        S::map_mut(self).insert(o.id.clone(), record);
        Ok(())
    }

    pub(crate) fn create_secret(
        &mut self,
        secret: &Secret,
        sealed: &Sealed,
    ) -> Result<(), ApplyError> {
        let mut meta = secret.clone();
        meta.spec.data = Default::default();
        let record = StoredSecret {
            secret: meta,
            sealed: sealed.clone(),
        };
        self.insert_file_object(secret, record)
    }

    pub(crate) fn create_config(&mut self, config: &Config) -> Result<(), ApplyError> {
        self.insert_file_object(config, config.clone())
    }

    pub(crate) fn update_labels<S: StoredKind>(
        &mut self,
        id: &str,
        expected: u64,
        labels: &BTreeMap<String, String>,
        at_ms: u64,
    ) -> Result<(), ApplyError> {
        let r = S::map_mut(self)
            .get_mut(id)
            .ok_or_else(|| not_found::<S>(id))?;
        let o = S::object_mut(r);
        if o.version != expected {
            return Err(ApplyError::FileObjectVersion {
                kind: S::KIND.noun().into(),
                name: o.name().to_string(),
                expected,
                actual: o.version,
            });
        }
        o.spec.labels_mut().clone_from(labels);
        o.version += 1;
        o.updated_at_ms = at_ms;
        Ok(())
    }

    pub(crate) fn remove_file_object<S: StoredKind>(&mut self, id: &str) -> Result<(), ApplyError> {
        let r = S::map(self).get(id).ok_or_else(|| not_found::<S>(id))?;
        let services = users::<S>(&self.services, id);
        if !services.is_empty() {
            return Err(ApplyError::FileObjectInUse {
                kind: S::KIND.noun().into(),
                name: S::object(r).name().to_string(),
                services,
            });
        }
        S::map_mut(self).remove(id);
        Ok(())
    }

    /// Every secret and config `service` references exists (checked on create and update, so a
    /// reference can never dangle even when a removal raced the manager's own check).
    pub(crate) fn check_references(&self, service: &Service) -> Result<(), ApplyError> {
        self.check_refs::<SecretSpec>(service)?;
        self.check_refs::<ConfigSpec>(service)
    }

    fn check_refs<S: StoredKind>(&self, service: &Service) -> Result<(), ApplyError> {
        let refs = S::refs(&service.spec.task.container);
        match refs.iter().find(|r| !S::map(self).contains_key(r.id())) {
            Some(r) => Err(not_found::<S>(r.name())),
            None => Ok(()),
        }
    }
}

/// Names of the services whose spec references object `id` of kind `S`.
fn users<S: FileSpec>(services: &BTreeMap<String, Service>, id: &str) -> Vec<String> {
    services
        .values()
        .filter(|s| S::refs(&s.spec.task.container).iter().any(|r| r.id() == id))
        .map(|s| s.spec.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::command::Command;
    use swarm_api::file_ref::FileTarget;
    use swarm_api::secret::{SecretReference, SecretSpec};

    fn ready() -> ClusterState {
        ClusterState {
            cluster: Some(swarm_testkit::cluster_info()),
            ..Default::default()
        }
    }

    fn secret(id: &str, name: &str) -> Command {
        Command::CreateSecret {
            secret: Secret {
                id: id.into(),
                version: 1,
                created_at_ms: 1,
                updated_at_ms: 1,
                spec: SecretSpec {
                    name: name.into(),
                    ..Default::default()
                },
            },
            sealed: Sealed {
                nonce: vec![0; 12],
                ciphertext: vec![1, 2, 3],
            },
        }
    }

    fn service_using(secret_id: &str) -> Service {
        let mut svc = Service {
            id: "svc1".into(),
            version: 1,
            spec: Default::default(),
            previous_spec: None,
            created_at_ms: 1,
            updated_at_ms: 1,
            update_status: None,
        };
        svc.spec.name = "web".into();
        svc.spec.task.container.secrets.push(SecretReference {
            secret_id: secret_id.into(),
            secret_name: "pw".into(),
            file: FileTarget {
                name: "pw".into(),
                uid: "0".into(),
                gid: "0".into(),
                mode: 0o444,
            },
        });
        svc
    }

    #[test]
    fn names_are_unique_and_in_use_refuses_removal_naming_services() {
        let mut s = ready();
        assert_eq!(s.apply(&secret("s1", "pw")).error, None);
        assert!(matches!(
            s.apply(&secret("s2", "pw")).error,
            Some(ApplyError::FileObjectExists { .. })
        ));
        let missing = Command::CreateService {
            service: service_using("nope"),
        };
        let e = s.apply(&missing).error.unwrap().to_string();
        assert!(e.contains("secret pw not found"), "{e}");
        assert!(s.services.is_empty());
        assert_eq!(
            s.apply(&Command::CreateService {
                service: service_using("s1")
            })
            .error,
            None
        );
        let e = s
            .apply(&Command::RemoveSecret { id: "s1".into() })
            .error
            .unwrap()
            .to_string();
        assert!(e.contains("in use by service(s) web"), "{e}");
        s.apply(&Command::RemoveService { id: "svc1".into() });
        assert_eq!(
            s.apply(&Command::RemoveSecret { id: "s1".into() }).error,
            None
        );
    }

    #[test]
    fn labels_change_with_the_version_read() {
        let mut s = ready();
        s.apply(&secret("s1", "pw"));
        let upd = |v| Command::UpdateSecretLabels {
            id: "s1".into(),
            expected_version: v,
            labels: [("a".to_string(), "b".to_string())].into(),
            at_ms: 5,
        };
        assert_eq!(s.apply(&upd(1)).error, None);
        assert!(matches!(
            s.apply(&upd(1)).error,
            Some(ApplyError::FileObjectVersion { actual: 2, .. })
        ));
        let m = &s.secrets["s1"].secret;
        assert_eq!(
            (m.version, m.updated_at_ms, m.spec.labels["a"].as_str()),
            (2, 5, "b")
        );
    }
}
