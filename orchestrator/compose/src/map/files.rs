//! Secrets and configs of a stack: the top-level declarations (a `file`, an `environment`
//! variable, inline `content` for configs, or `external`) and the services' references to
//! them, checked here so a missing or malformed one fails before anything is created.
//!
//! [`map_refs`] turns a service's references (short `- KEY` or long `source, target, uid,
//! gid, mode`) into the service spec's secret/config references, with docker's defaults.

use std::collections::BTreeMap;

use super::network::external_name;
use super::{Context, NAMESPACE_LABEL};
use crate::error::ComposeError;
use swarm_api::file_ref::{parse_mode, FileKind, FileTarget, DEFAULT_MODE};

use crate::model::{FileObject, FileRef};

/// Where a secret's or config's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// Read from this file (its contents).
    Data(Vec<u8>),
    /// Exists already under this name.
    External,
}

/// One secret or config of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// The top-level key.
    pub key: String,
    /// The object's name in the cluster (`STACK_KEY`, `name:` or the external name).
    pub name: String,
    /// Its data or `External`.
    pub source: FileSource,
    /// Labels (with the namespace label for created ones).
    pub labels: BTreeMap<String, String>,
}

/// Reads and checks the top-level `secrets` or `configs` (`kind`).
pub fn plan_files(
    kind: &str,
    decls: &BTreeMap<String, FileObject>,
    ctx: &Context,
) -> Result<Vec<PlannedFile>, ComposeError> {
    let mut out = Vec::new();
    for (key, d) in decls {
        let path = format!("{kind}.{key}");
        if d.driver.is_some() || d.template_driver.is_some() {
            return Err(ComposeError::key(
                path,
                "secret and template drivers are not supported by swarmd",
                "remove driver / template_driver",
            ));
        }
        if let Some(name) = external_name(key, &d.external, &d.name) {
            out.push(PlannedFile {
                key: key.clone(),
                name,
                source: FileSource::External,
                labels: BTreeMap::new(),
            });
            continue;
        }
        let given = [
            d.file.is_some(),
            d.environment.is_some(),
            d.content.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 || (kind == "secrets" && d.content.is_some()) {
            let choices = if kind == "secrets" {
                "file, environment or external: true"
            } else {
                "file, environment, content or external: true"
            };
            return Err(ComposeError::key(
                path,
                format!("give exactly one source of the {}", &kind[..kind.len() - 1]),
                format!("set one of {choices}"),
            ));
        }
        let data = if let Some(f) = &d.file {
            let p = super::resolve_path(&f.0, ctx);
            (ctx.read)(&p)
                .map_err(|e| ComposeError::File {
                    path: p.display().to_string(),
                    message: format!("{path}.file: {e}"),
                    fix: "give the path of a readable file (relative to the compose file)".into(),
                })?
                .into_bytes()
        } else if let Some(var) = &d.environment {
            (ctx.lookup)(&var.0)
                .ok_or_else(|| {
                    ComposeError::key(
                        format!("{path}.environment"),
                        format!("variable {} is not set", var.0),
                        format!("set {} in the environment or in .env", var.0),
                    )
                })?
                .into_bytes()
        } else {
            d.content.clone().unwrap_or_default().0.into_bytes()
        };
        let mut labels = BTreeMap::new();
        if let Some(l) = &d.labels {
            for (k, v) in l.entries(&['=']) {
                labels.insert(k, v.unwrap_or_default());
            }
        }
        labels.insert(NAMESPACE_LABEL.into(), ctx.stack.into());
        out.push(PlannedFile {
            key: key.clone(),
            name: d
                .name
                .as_ref()
                .map(|n| n.0.clone())
                .unwrap_or_else(|| format!("{}_{key}", ctx.stack)),
            source: FileSource::Data(data),
            labels,
        });
    }
    Ok(out)
}

/// The real name (in the cluster) of the top-level object `key` of `decls`: `name:` or the
/// external name when given, else `STACK_KEY`.
fn real_name(key: &str, d: &FileObject, stack: &str) -> String {
    external_name(key, &d.external, &d.name)
        .or_else(|| d.name.as_ref().map(|n| n.0.clone()))
        .unwrap_or_else(|| format!("{stack}_{key}"))
}

/// Maps a service's `secrets:` or `configs:` (`kind`) onto file references: each names a
/// declared object (by its real name) and a target with docker's defaults (a secret's target
/// is its key, read under `/run/secrets/`; a config's is `/KEY`), uid and gid `0`, mode `0444`.
pub fn map_refs(
    path: &str,
    kind: FileKind,
    refs: &[FileRef],
    decls: &BTreeMap<String, FileObject>,
    stack: &str,
) -> Result<Vec<(String, FileTarget)>, ComposeError> {
    let plural = format!("{}s", kind.noun());
    let mut out = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(d) = decls.get(r.source()) else {
            return Err(ComposeError::key(
                at,
                format!(
                    "{} {:?} is not declared under the top-level {plural} key",
                    kind.noun(),
                    r.source()
                ),
                format!(
                    "declare it: `{plural}: {{{}: {{file: ./{}}}}}`",
                    r.source(),
                    r.source()
                ),
            ));
        };
        let source = r.source();
        let default_target = match kind {
            FileKind::Secret => source.to_string(),
            FileKind::Config => format!("/{source}"),
        };
        let mut target = FileTarget {
            name: default_target,
            uid: "0".into(),
            gid: "0".into(),
            mode: DEFAULT_MODE,
        };
        if let FileRef::Long(l) = r {
            if let Some(t) = &l.target {
                if t.0.is_empty() {
                    return Err(ComposeError::key(
                        format!("{at}.target"),
                        "is empty",
                        "give a path or leave target out",
                    ));
                }
                target.name = t.0.clone();
            }
            for (field, val, slot) in [
                ("uid", &l.uid, &mut target.uid),
                ("gid", &l.gid, &mut target.gid),
            ] {
                if let Some(v) = val {
                    if v.0.trim().parse::<u32>().is_err() {
                        return Err(ComposeError::key(
                            format!("{at}.{field}"),
                            format!("{:?} is not a numeric id", v.0),
                            format!("write {field}: \"0\" or another number"),
                        ));
                    }
                    *slot = v.0.trim().to_string();
                }
            }
            if let Some(m) = &l.mode {
                target.mode = parse_mode(&at, &m.0, m.0.trim())
                    .map_err(|e| ComposeError::spec(format!("{at}.mode"), e))?;
            }
        }
        out.push((real_name(source, d, stack), target));
    }
    Ok(out)
}
