//! Secrets and configs: swarmd's `Secret`/`Config` as docker's (a secret never with its
//! value), docker's create specs as swarmd's, and the references of a service's container
//! spec (`TaskTemplate.ContainerSpec.Secrets/Configs`) both ways.

use base64::Engine as _;
use bollard_stubs::models as d;
use swarm_api::config::{Config, ConfigReference, ConfigSpec};
use swarm_api::file_ref::{FileTarget, DEFAULT_MODE};
use swarm_api::secret::{Secret, SecretData, SecretReference, SecretSpec};

use super::{labels_in, labels_out, version};
use crate::error::{DockerError, Result};
use crate::time::rfc3339_ms;

/// The filters `GET /secrets` and `GET /configs` accept (moby's).
pub const FILE_OBJECT_FILTERS: &[&str] = &["id", "label", "name", "names"];

/// A secret as docker's: metadata only (`Spec.Data` is never set).
pub fn secret_out(s: &Secret) -> d::Secret {
    d::Secret {
        id: Some(s.id.clone()),
        version: version(s.version),
        created_at: Some(rfc3339_ms(s.created_at_ms)),
        updated_at: Some(rfc3339_ms(s.updated_at_ms)),
        spec: Some(d::SecretSpec {
            name: Some(s.spec.name.clone()),
            labels: labels_out(&s.spec.labels),
            data: None,
            driver: None,
            templating: None,
        }),
    }
}

/// A config as docker's, with its data (as docker answers `config inspect`).
pub fn config_out(c: &Config) -> d::Config {
    d::Config {
        id: Some(c.id.clone()),
        version: version(c.version),
        created_at: Some(rfc3339_ms(c.created_at_ms)),
        updated_at: Some(rfc3339_ms(c.updated_at_ms)),
        spec: Some(d::ConfigSpec {
            name: Some(c.spec.name.clone()),
            labels: labels_out(&c.spec.labels),
            data: Some(base64::engine::general_purpose::STANDARD.encode(&c.spec.data)),
            templating: None,
        }),
    }
}

/// Docker's base64 `Data` as bytes (absent: none).
pub fn data_in(field: &str, data: Option<&str>) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(data.unwrap_or("").as_bytes())
        .map_err(|e| {
            // The value is not echoed: it may be a secret.
            DockerError::bad_request(format!(
                "invalid {field}: not base64 ({e}); send the value base64-encoded"
            ))
        })
}

fn templating_unsupported(t: &Option<d::Driver>, field: &str) -> Result<()> {
    match t {
        Some(t) if !t.name.is_empty() => Err(DockerError::unsupported(
            field,
            &serde_json::Value::String(t.name.clone()),
        )),
        _ => Ok(()),
    }
}

/// Docker's `SecretSpec` (create) as swarmd's; a driver or templating is refused naming it.
pub fn secret_spec_in(s: &d::SecretSpec) -> Result<SecretSpec> {
    if let Some(drv) = s.driver.as_ref().filter(|d| !d.name.is_empty()) {
        return Err(DockerError::unsupported(
            "Driver.Name",
            &serde_json::Value::String(drv.name.clone()),
        ));
    }
    templating_unsupported(&s.templating, "Templating.Name")?;
    Ok(SecretSpec {
        name: s.name.clone().unwrap_or_default(),
        labels: labels_in(&s.labels),
        data: SecretData(data_in("Data", s.data.as_deref())?),
        driver: String::new(),
    })
}

/// Docker's `ConfigSpec` (create) as swarmd's; templating is refused naming it.
pub fn config_spec_in(s: &d::ConfigSpec) -> Result<ConfigSpec> {
    templating_unsupported(&s.templating, "Templating.Name")?;
    Ok(ConfigSpec {
        name: s.name.clone().unwrap_or_default(),
        labels: labels_in(&s.labels),
        data: data_in("Data", s.data.as_deref())?,
    })
}

fn target_in(
    name: Option<&String>,
    uid: Option<&String>,
    gid: Option<&String>,
    mode: Option<u32>,
) -> FileTarget {
    let or_zero = |v: Option<&String>| {
        v.filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| "0".into())
    };
    FileTarget {
        name: name.cloned().unwrap_or_default(),
        uid: or_zero(uid),
        gid: or_zero(gid),
        mode: mode.unwrap_or(DEFAULT_MODE),
    }
}

/// `ContainerSpec.Secrets` as swarmd's references (the manager resolves names to ids).
pub fn secret_refs_in(refs: &Option<Vec<d::TaskSpecContainerSpecSecrets>>) -> Vec<SecretReference> {
    refs.iter()
        .flatten()
        .map(|r| {
            let f = r.file.clone().unwrap_or_default();
            SecretReference {
                secret_id: r.secret_id.clone().unwrap_or_default(),
                secret_name: r.secret_name.clone().unwrap_or_default(),
                file: target_in(f.name.as_ref(), f.uid.as_ref(), f.gid.as_ref(), f.mode),
            }
        })
        .collect()
}

/// `ContainerSpec.Configs` as swarmd's references (`Runtime` configs have no place: the
/// round trip refuses them naming the field).
pub fn config_refs_in(refs: &Option<Vec<d::TaskSpecContainerSpecConfigs>>) -> Vec<ConfigReference> {
    refs.iter()
        .flatten()
        .map(|r| {
            let f = r.file.clone().unwrap_or_default();
            ConfigReference {
                config_id: r.config_id.clone().unwrap_or_default(),
                config_name: r.config_name.clone().unwrap_or_default(),
                file: target_in(f.name.as_ref(), f.uid.as_ref(), f.gid.as_ref(), f.mode),
            }
        })
        .collect()
}

/// swarmd's secret references as docker's `ContainerSpec.Secrets` (None when there are none).
pub fn secret_refs_out(refs: &[SecretReference]) -> Option<Vec<d::TaskSpecContainerSpecSecrets>> {
    (!refs.is_empty()).then(|| {
        refs.iter()
            .map(|r| d::TaskSpecContainerSpecSecrets {
                file: Some(d::TaskSpecContainerSpecFile {
                    name: Some(r.file.name.clone()),
                    uid: Some(r.file.uid.clone()),
                    gid: Some(r.file.gid.clone()),
                    mode: Some(r.file.mode),
                }),
                secret_id: Some(r.secret_id.clone()),
                secret_name: Some(r.secret_name.clone()),
            })
            .collect()
    })
}

/// swarmd's config references as docker's `ContainerSpec.Configs` (None when there are none).
pub fn config_refs_out(refs: &[ConfigReference]) -> Option<Vec<d::TaskSpecContainerSpecConfigs>> {
    (!refs.is_empty()).then(|| {
        refs.iter()
            .map(|r| d::TaskSpecContainerSpecConfigs {
                file: Some(d::TaskSpecContainerSpecFile1 {
                    name: Some(r.file.name.clone()),
                    uid: Some(r.file.uid.clone()),
                    gid: Some(r.file.gid.clone()),
                    mode: Some(r.file.mode),
                }),
                runtime: None,
                config_id: Some(r.config_id.clone()),
                config_name: Some(r.config_name.clone()),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_secret_is_answered_without_its_value() {
        let spec = secret_spec_in(&d::SecretSpec {
            name: Some("pw".into()),
            data: Some("aHVudGVyMg==".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(spec.data.0, b"hunter2");
        let s = Secret {
            id: "abc".into(),
            version: 3,
            created_at_ms: 0,
            updated_at_ms: 0,
            spec,
        };
        let out = serde_json::to_value(secret_out(&s)).unwrap();
        assert_eq!(out["Spec"]["Name"], "pw");
        assert_eq!(out["Version"]["Index"], 3);
        assert!(out["Spec"].get("Data").is_none(), "{out}");
        assert!(!out.to_string().contains("aHVudGVyMg"), "{out}");
    }

    #[test]
    fn bad_data_and_drivers_are_refused_naming_the_field() {
        let e = secret_spec_in(&d::SecretSpec {
            name: Some("pw".into()),
            data: Some("not base64!".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("invalid Data"), "{}", e.message);
        assert!(!e.message.contains("not base64!"), "{}", e.message);
        let e = secret_spec_in(&d::SecretSpec {
            name: Some("pw".into()),
            driver: Some(d::Driver {
                name: "vault".into(),
                options: None,
            }),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.message.contains("Driver.Name"), "{}", e.message);
        let e = config_spec_in(&d::ConfigSpec {
            name: Some("c".into()),
            templating: Some(d::Driver {
                name: "golang".into(),
                options: None,
            }),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.message.contains("Templating.Name"), "{}", e.message);
    }

    #[test]
    fn references_round_trip_as_the_cli_sends_them() {
        let asked = json!([{"File": {"Name": "db_pw", "UID": "0", "GID": "0", "Mode": 292},
            "SecretID": "s1", "SecretName": "pw"}]);
        let refs: Option<Vec<d::TaskSpecContainerSpecSecrets>> =
            serde_json::from_value(asked.clone()).unwrap();
        let ours = secret_refs_in(&refs);
        assert_eq!(ours[0].file.mode, 0o444);
        assert_eq!(ours[0].file.name, "db_pw");
        assert_eq!(serde_json::to_value(secret_refs_out(&ours)).unwrap(), asked);
        let asked = json!([{"File": {"Name": "/etc/app.conf", "UID": "1", "GID": "2", "Mode": 256},
            "ConfigID": "c1", "ConfigName": "app"}]);
        let refs: Option<Vec<d::TaskSpecContainerSpecConfigs>> =
            serde_json::from_value(asked.clone()).unwrap();
        let ours = config_refs_in(&refs);
        assert_eq!((ours[0].file.uid.as_str(), ours[0].file.mode), ("1", 0o400));
        assert_eq!(serde_json::to_value(config_refs_out(&ours)).unwrap(), asked);
        assert_eq!(secret_refs_out(&[]), None);
    }
}
