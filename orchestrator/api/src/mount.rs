//! Container mounts: `--mount type=volume|bind|tmpfs,source=..,target=..[,readonly]`, with
//! Docker's volume keys (`volume-label=K=V`, `volume-driver`, `volume-opt=K=V`,
//! `volume-nocopy`) and tmpfs keys (`tmpfs-size`, `tmpfs-mode`, octal).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kv::{parse_bool, split_pairs};
use crate::resources::parse_memory;
use crate::spec_error::SpecError;

const FIELD: &str = "--mount";
const FIX: &str = "write type=volume|bind|tmpfs,source=<src>,target=<path>[,readonly]";

/// The kind of a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountType {
    /// A named (or anonymous) Docker volume.
    #[default]
    Volume,
    /// A host path.
    Bind,
    /// A memory-backed filesystem.
    Tmpfs,
}

/// One mount of a task's container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mount {
    /// volume, bind or tmpfs.
    #[serde(rename = "type")]
    pub kind: MountType,
    /// Volume name or absolute host path; None for tmpfs and anonymous volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Absolute path inside the container.
    pub target: String,
    /// Mounted read-only.
    #[serde(default)]
    pub readonly: bool,
    /// Size limit of a tmpfs mount in bytes (0 = unlimited).
    #[serde(default)]
    pub tmpfs_size_bytes: i64,
    /// Permission bits of a tmpfs mount (`tmpfs-mode=1770`); None: Docker's default (1777).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
    /// Labels of a volume created for the mount (`volume-label=K=V`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_labels: BTreeMap<String, String>,
    /// The driver of a volume created for the mount (`volume-driver`); None: `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_driver: Option<String>,
    /// Options of that driver (`volume-opt=K=V`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_options: BTreeMap<String, String>,
    /// Do not copy the image's files at the target into a new volume (`volume-nocopy`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volume_nocopy: bool,
}

fn key_value(value: &str, key: &str, kv: &str) -> Result<(String, String), SpecError> {
    match kv.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(SpecError::new(
            FIELD,
            value,
            format!("{key} needs KEY=VALUE, got {kv:?}"),
            format!("write {key}=KEY=VALUE"),
        )),
    }
}

impl Mount {
    /// Parses one `--mount` value, e.g. `type=bind,source=/x,target=/y,readonly`.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        let mut kind = MountType::Volume;
        let mut source = None;
        let mut target = None;
        let mut readonly = false;
        let mut tmpfs_size_bytes = 0;
        let mut tmpfs_mode = None;
        let mut volume_labels = BTreeMap::new();
        let mut volume_driver = None;
        let mut volume_options = BTreeMap::new();
        let mut volume_nocopy = false;
        for (k, v) in split_pairs(FIELD, value, FIX)? {
            let need = |v: Option<&str>| {
                v.filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| SpecError::new(FIELD, value, format!("{k} needs a value"), FIX))
            };
            match k.to_ascii_lowercase().as_str() {
                "type" => {
                    kind = match need(v)?.as_str() {
                        "volume" => MountType::Volume,
                        "bind" => MountType::Bind,
                        "tmpfs" => MountType::Tmpfs,
                        other => {
                            return Err(SpecError::new(
                                FIELD,
                                value,
                                format!("unknown mount type {other:?}"),
                                "use type=volume, type=bind or type=tmpfs",
                            ))
                        }
                    }
                }
                "source" | "src" => source = Some(need(v)?),
                "target" | "destination" | "dst" => target = Some(need(v)?),
                "readonly" | "ro" => readonly = parse_bool(FIELD, value, k, v)?,
                "tmpfs-size" => tmpfs_size_bytes = parse_memory(FIELD, &need(v)?)?,
                "tmpfs-mode" => {
                    let m = need(v)?;
                    tmpfs_mode = Some(u32::from_str_radix(&m, 8).map_err(|_| {
                        SpecError::new(
                            FIELD,
                            value,
                            format!("tmpfs-mode {m:?} is not an octal file mode"),
                            "write tmpfs-mode=1777 (octal)",
                        )
                    })?);
                }
                "volume-label" => {
                    let (lk, lv) = key_value(value, k, &need(v)?)?;
                    volume_labels.insert(lk, lv);
                }
                "volume-driver" => volume_driver = Some(need(v)?),
                "volume-opt" => {
                    let (ok, ov) = key_value(value, k, &need(v)?)?;
                    volume_options.insert(ok, ov);
                }
                "volume-nocopy" => volume_nocopy = parse_bool(FIELD, value, k, v)?,
                other => {
                    return Err(SpecError::new(
                        FIELD,
                        value,
                        format!("unknown option {other:?}"),
                        "use type, source, target, readonly, volume-label, volume-driver, \
                         volume-opt, volume-nocopy, tmpfs-size or tmpfs-mode",
                    ))
                }
            }
        }
        let Some(target) = target else {
            return Err(SpecError::new(FIELD, value, "no target given", FIX));
        };
        let m = Mount {
            kind,
            source,
            target,
            readonly,
            tmpfs_size_bytes,
            tmpfs_mode,
            volume_labels,
            volume_driver,
            volume_options,
            volume_nocopy,
        };
        m.validate_as(value)?;
        Ok(m)
    }

    /// Checks the combination of fields (bind needs an absolute source, tmpfs takes none, ...).
    pub fn validate(&self) -> Result<(), SpecError> {
        self.validate_as(&self.target)
    }

    fn validate_as(&self, shown: &str) -> Result<(), SpecError> {
        let volume_keys = !self.volume_labels.is_empty()
            || self.volume_driver.is_some()
            || !self.volume_options.is_empty()
            || self.volume_nocopy;
        if self.kind != MountType::Volume && volume_keys {
            return Err(SpecError::new(
                FIELD,
                shown,
                "volume-label, volume-driver, volume-opt and volume-nocopy only apply to volume mounts",
                "remove them or use type=volume",
            ));
        }
        if !self.target.starts_with('/') {
            return Err(SpecError::new(
                FIELD,
                shown,
                format!("target {:?} is not an absolute path", self.target),
                "give target=/path/in/container",
            ));
        }
        match self.kind {
            MountType::Bind => match &self.source {
                None => Err(SpecError::new(
                    FIELD,
                    shown,
                    "a bind mount needs a source",
                    "add source=/absolute/host/path",
                )),
                Some(s) if !s.starts_with('/') => Err(SpecError::new(
                    FIELD,
                    shown,
                    format!("bind source {s:?} is not an absolute path"),
                    "give source=/absolute/host/path, or use type=volume for a named volume",
                )),
                Some(_) => Ok(()),
            },
            MountType::Tmpfs if self.source.is_some() => Err(SpecError::new(
                FIELD,
                shown,
                "a tmpfs mount takes no source",
                "remove source= from the tmpfs mount",
            )),
            MountType::Volume if self.source.as_deref().is_some_and(|s| s.contains('/')) => {
                Err(SpecError::new(
                    FIELD,
                    shown,
                    "a volume name cannot contain '/'",
                    "use type=bind for host paths, or a plain volume name",
                ))
            }
            _ if self.kind != MountType::Tmpfs
                && (self.tmpfs_size_bytes != 0 || self.tmpfs_mode.is_some()) =>
            {
                Err(SpecError::new(
                    FIELD,
                    shown,
                    "tmpfs-size and tmpfs-mode only apply to tmpfs mounts",
                    "remove them or use type=tmpfs",
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds() {
        let m = Mount::parse("type=bind,source=/x,target=/y,readonly").unwrap();
        assert_eq!(m.kind, MountType::Bind);
        assert_eq!(m.source.as_deref(), Some("/x"));
        assert_eq!(m.target, "/y");
        assert!(m.readonly);
        let m = Mount::parse("type=volume,src=data,dst=/var/lib/data").unwrap();
        assert_eq!(
            (m.kind, m.source.as_deref(), m.readonly),
            (MountType::Volume, Some("data"), false)
        );
        let m = Mount::parse("type=tmpfs,target=/run,tmpfs-size=64M").unwrap();
        assert_eq!((m.kind, m.tmpfs_size_bytes), (MountType::Tmpfs, 64 << 20));
        let m = Mount::parse("target=/cache,readonly=false").unwrap();
        assert_eq!(
            (m.kind, m.source, m.readonly),
            (MountType::Volume, None, false)
        );
    }

    #[test]
    fn parses_dockers_volume_and_tmpfs_keys() {
        let m = Mount::parse(
            "type=volume,source=data,target=/d,volume-label=color=red,volume-label=shape=round,\
             volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-nocopy",
        )
        .unwrap();
        assert_eq!(m.volume_labels["color"], "red");
        assert_eq!(m.volume_labels["shape"], "round");
        assert_eq!(m.volume_driver.as_deref(), Some("local"));
        assert_eq!(m.volume_options["type"], "tmpfs");
        assert_eq!(m.volume_options["device"], "tmpfs");
        assert!(m.volume_nocopy);
        let m = Mount::parse("type=tmpfs,target=/t,tmpfs-mode=1770").unwrap();
        assert_eq!(m.tmpfs_mode, Some(0o1770));
        for (bad, needle) in [
            ("type=tmpfs,target=/t,tmpfs-mode=rwx", "not an octal"),
            ("type=volume,target=/t,volume-label=novalue", "KEY=VALUE"),
            (
                "type=bind,source=/a,target=/t,volume-nocopy",
                "only apply to volume",
            ),
            (
                "type=volume,target=/t,tmpfs-mode=700",
                "only apply to tmpfs",
            ),
        ] {
            let e = Mount::parse(bad).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("--mount"), "{bad}: {e}");
        }
    }

    #[test]
    fn refuses_bad_mounts() {
        for (bad, needle) in [
            ("type=nfs,target=/x", "unknown mount type"),
            ("type=bind,target=/y", "needs a source"),
            ("type=bind,source=rel,target=/y", "not an absolute path"),
            ("type=tmpfs,source=/a,target=/y", "takes no source"),
            ("type=volume,source=data", "no target"),
            ("type=volume,source=data,target=rel", "not an absolute path"),
            (
                "type=volume,source=data,target=/x,colour=red",
                "unknown option",
            ),
            (
                "type=volume,source=data,target=/x,readonly=maybe",
                "not a boolean",
            ),
            ("type=volume,,target=/x", "empty item"),
        ] {
            let e = Mount::parse(bad).unwrap_err();
            assert_eq!(e.field, "--mount");
            assert_eq!(e.value, bad);
            assert!(e.reason.contains(needle), "{bad}: {e}");
        }
    }
}
