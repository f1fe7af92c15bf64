//! Secrets and configs in the [`ClusterState`] (pure): create with unique names, label
//! updates only (values are immutable), removal refused while a service references them,
//! and the check that a service's references all exist.
//!
//! A secret's value is kept only sealed ([`Sealed`], encrypted by the manager with the
//! cluster data key before the command entered the log): neither the log nor a snapshot holds
//! it in the clear.

use std::collections::BTreeMap;

use swarm_api::command::ApplyError;
use swarm_api::secret::{Sealed, Secret};

use crate::secret_record::StoredSecret;
use crate::state::ClusterState;
use swarm_api::service::Service;

const SECRET: &str = "secret";
const CONFIG: &str = "config";

fn exists(kind: &str, name: &str) -> ApplyError {
    ApplyError::FileObjectExists {
        kind: kind.into(),
        name: name.into(),
    }
}

fn not_found(kind: &str, name: &str) -> ApplyError {
    ApplyError::FileObjectNotFound {
        kind: kind.into(),
        name: name.into(),
    }
}

/// Names of the services whose spec references `id` through `ids_of`.
fn users(
    services: &BTreeMap<String, Service>,
    id: &str,
    ids_of: impl Fn(&Service) -> Vec<&str>,
) -> Vec<String> {
    services
        .values()
        .filter(|s| ids_of(s).contains(&id))
        .map(|s| s.spec.name.clone())
        .collect()
}

fn secret_ids(s: &Service) -> Vec<&str> {
    s.spec
        .task
        .container
        .secrets
        .iter()
        .map(|r| r.secret_id.as_str())
        .collect()
}

fn config_ids(s: &Service) -> Vec<&str> {
    s.spec
        .task
        .container
        .configs
        .iter()
        .map(|r| r.config_id.as_str())
        .collect()
}

impl ClusterState {
    pub(crate) fn create_secret(
        &mut self,
        secret: &Secret,
        sealed: &Sealed,
    ) -> Result<(), ApplyError> {
        self.require_cluster()?;
        let name = &secret.spec.name;
        if self.secrets.contains_key(&secret.id)
            || self.secrets.values().any(|s| &s.secret.spec.name == name)
        {
            return Err(exists(SECRET, name));
        }
        let mut meta = secret.clone();
        meta.spec.data = Default::default();
        self.secrets.insert(
            secret.id.clone(),
            StoredSecret {
                secret: meta,
                sealed: sealed.clone(),
            },
        );
        Ok(())
    }

    pub(crate) fn update_secret_labels(
        &mut self,
        id: &str,
        expected: u64,
        labels: &BTreeMap<String, String>,
        at_ms: u64,
    ) -> Result<(), ApplyError> {
        let s = self
            .secrets
            .get_mut(id)
            .ok_or_else(|| not_found(SECRET, id))?;
        let m = &mut s.secret;
        if m.version != expected {
            return Err(ApplyError::FileObjectVersion {
                kind: SECRET.into(),
                name: m.spec.name.clone(),
                expected,
                actual: m.version,
            });
        }
        m.spec.labels = labels.clone();
        m.version += 1;
        m.updated_at_ms = at_ms;
        Ok(())
    }

    pub(crate) fn remove_secret(&mut self, id: &str) -> Result<(), ApplyError> {
        let s = self.secrets.get(id).ok_or_else(|| not_found(SECRET, id))?;
        let services = users(&self.services, id, secret_ids);
        if !services.is_empty() {
            return Err(ApplyError::FileObjectInUse {
                kind: SECRET.into(),
                name: s.secret.spec.name.clone(),
                services,
            });
        }
        self.secrets.remove(id);
        Ok(())
    }

    pub(crate) fn create_config(
        &mut self,
        config: &swarm_api::config::Config,
    ) -> Result<(), ApplyError> {
        self.require_cluster()?;
        let name = &config.spec.name;
        if self.configs.contains_key(&config.id)
            || self.configs.values().any(|c| &c.spec.name == name)
        {
            return Err(exists(CONFIG, name));
        }
        self.configs.insert(config.id.clone(), config.clone());
        Ok(())
    }

    pub(crate) fn update_config_labels(
        &mut self,
        id: &str,
        expected: u64,
        labels: &BTreeMap<String, String>,
        at_ms: u64,
    ) -> Result<(), ApplyError> {
        let c = self
            .configs
            .get_mut(id)
            .ok_or_else(|| not_found(CONFIG, id))?;
        if c.version != expected {
            return Err(ApplyError::FileObjectVersion {
                kind: CONFIG.into(),
                name: c.spec.name.clone(),
                expected,
                actual: c.version,
            });
        }
        c.spec.labels = labels.clone();
        c.version += 1;
        c.updated_at_ms = at_ms;
        Ok(())
    }

    pub(crate) fn remove_config(&mut self, id: &str) -> Result<(), ApplyError> {
        let c = self.configs.get(id).ok_or_else(|| not_found(CONFIG, id))?;
        let services = users(&self.services, id, config_ids);
        if !services.is_empty() {
            return Err(ApplyError::FileObjectInUse {
                kind: CONFIG.into(),
                name: c.spec.name.clone(),
                services,
            });
        }
        self.configs.remove(id);
        Ok(())
    }

    /// Every secret and config `service` references exists (checked on create and update, so a
    /// reference can never dangle even when a removal raced the manager's own check).
    pub(crate) fn check_references(&self, service: &Service) -> Result<(), ApplyError> {
        let c = &service.spec.task.container;
        if let Some(r) = c
            .secrets
            .iter()
            .find(|r| !self.secrets.contains_key(&r.secret_id))
        {
            return Err(not_found(SECRET, &r.secret_name));
        }
        if let Some(r) = c
            .configs
            .iter()
            .find(|r| !self.configs.contains_key(&r.config_id))
        {
            return Err(not_found(CONFIG, &r.config_name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::command::Command;
    use swarm_api::file_ref::FileTarget;
    use swarm_api::secret::{SecretReference, SecretSpec};

    fn ready() -> ClusterState {
        ClusterState {
            cluster: Some(swarm_api::cluster::ClusterInfo {
                id: "c".into(),
                ca_cert_pem: String::new(),
                ca_key_pem: String::new(),
                worker_secret: String::new(),
                manager_secret: String::new(),
            }),
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
