//! Secrets and configs of a stack: the top-level declarations (a `file`, an `environment`
//! variable, inline `content` for configs, or `external`) and the services' references to
//! them, checked here so a missing or malformed one fails before anything is created.
//!
//! swarmd has no secrets or configs yet (another branch builds them). Until it does, a service
//! that uses one is refused with a clear message in [`refuse_refs`], the one place that will
//! turn the references into the service spec's secret/config references.

use std::collections::BTreeMap;

use super::network::external_name;
use super::{Context, NAMESPACE_LABEL};
use crate::error::ComposeError;
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

/// Checks that every reference names a declared object; then, since swarmd cannot deliver
/// secrets or configs yet, refuses a service that uses any.
pub fn refuse_refs(
    path: &str,
    kind: &str,
    refs: &[FileRef],
    decls: &BTreeMap<String, FileObject>,
) -> Result<(), ComposeError> {
    for (i, r) in refs.iter().enumerate() {
        if !decls.contains_key(r.source()) {
            return Err(ComposeError::key(
                format!("{path}[{i}]"),
                format!(
                    "{} {:?} is not declared under the top-level {kind} key",
                    &kind[..kind.len() - 1],
                    r.source()
                ),
                format!(
                    "declare it: `{kind}: {{{}: {{file: ./{}}}}}`",
                    r.source(),
                    r.source()
                ),
            ));
        }
    }
    if !refs.is_empty() {
        return Err(ComposeError::key(
            path,
            format!("{kind} are not supported by this swarmd yet (nothing was created)"),
            format!("remove {kind} from the service until swarmd has them"),
        ));
    }
    Ok(())
}
