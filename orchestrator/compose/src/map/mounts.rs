//! `volumes:` and `tmpfs:` of a service as mounts: a named volume becomes the volume
//! `STACK_NAME` (or its `name:`/external name), a path source (`/x`, `./x`, `~/x`) a bind
//! mount (relative to the first compose file's directory), a lone target an anonymous
//! volume, and `type: tmpfs` or `tmpfs:` a tmpfs mount.

use swarm_api::mount::{Mount, MountType};
use swarm_api::resources::parse_memory;

use super::network::external_name;
use super::{Context, NAMESPACE_LABEL};
use crate::error::ComposeError;
use crate::model::{ComposeFile, ServiceVolume, VolumeLong};

fn empty(kind: MountType, target: &str) -> Mount {
    Mount {
        kind,
        source: None,
        target: target.to_string(),
        readonly: false,
        tmpfs_size_bytes: 0,
        tmpfs_mode: None,
        volume_labels: Default::default(),
        volume_driver: None,
        volume_options: Default::default(),
        volume_nocopy: false,
    }
}

fn is_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

/// Fills the source of a named volume (`STACK_NAME`, its labels, driver and options).
fn named(
    path: &str,
    m: &mut Mount,
    name: &str,
    file: &ComposeFile,
    ctx: &Context,
) -> Result<(), ComposeError> {
    let Some(decl) = file.volumes.get(name) else {
        return Err(ComposeError::key(
            path,
            format!("volume {name:?} is not declared under the top-level volumes key"),
            format!("add `volumes: {{{name}: {{}}}}` at the top level, or use a path (./{name}) for a bind mount"),
        ));
    };
    let decl = decl.clone().unwrap_or_default();
    if let Some(real) = external_name(name, &decl.external, &decl.name) {
        m.source = Some(real);
        return Ok(());
    }
    m.source = Some(
        decl.name
            .as_ref()
            .map(|n| n.0.clone())
            .unwrap_or_else(|| format!("{}_{name}", ctx.stack)),
    );
    if let Some(l) = &decl.labels {
        for (k, v) in l.entries(&['=']) {
            m.volume_labels.insert(k, v.unwrap_or_default());
        }
    }
    m.volume_labels
        .insert(NAMESPACE_LABEL.into(), ctx.stack.into());
    m.volume_driver = decl.driver.as_ref().map(|d| d.0.clone());
    for (k, v) in &decl.driver_opts {
        m.volume_options.insert(
            k.clone(),
            v.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
        );
    }
    Ok(())
}

/// The mount of one `volumes` entry at `path`.
pub fn map_volume(
    path: &str,
    v: &ServiceVolume,
    file: &ComposeFile,
    ctx: &Context,
) -> Result<Mount, ComposeError> {
    let m = match v {
        ServiceVolume::Short(t) => short(path, &t.0, file, ctx)?,
        ServiceVolume::Long(l) => long(path, l, file, ctx)?,
    };
    m.validate().map_err(|e| ComposeError::spec(path, e))?;
    Ok(m)
}

fn short(
    path: &str,
    value: &str,
    file: &ComposeFile,
    ctx: &Context,
) -> Result<Mount, ComposeError> {
    let parts: Vec<&str> = value.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => {
            return Err(ComposeError::key(
                path,
                format!("{value:?}: too many ':'"),
                "write SOURCE:TARGET[:ro]",
            ))
        }
    };
    let mut m = match source {
        None => empty(MountType::Volume, target),
        Some(s) if is_path(s) => {
            let mut m = empty(MountType::Bind, target);
            m.source = Some(super::resolve_path(s, ctx).display().to_string());
            m
        }
        Some(s) => {
            let mut m = empty(MountType::Volume, target);
            named(path, &mut m, s, file, ctx)?;
            m
        }
    };
    for opt in mode.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => m.readonly = true,
            "rw" => m.readonly = false,
            "nocopy" if m.kind == MountType::Volume => m.volume_nocopy = true,
            other => {
                return Err(ComposeError::key(
                    path,
                    format!("{value:?}: mode {other:?} is not supported by swarmd"),
                    "use ro or rw (and nocopy for a volume)",
                ))
            }
        }
    }
    Ok(m)
}

fn long(
    path: &str,
    l: &VolumeLong,
    file: &ComposeFile,
    ctx: &Context,
) -> Result<Mount, ComposeError> {
    let target = l.target.0.as_str();
    let mut m = match l.kind.0.as_str() {
        "volume" => {
            let mut m = empty(MountType::Volume, target);
            if let Some(s) = &l.source {
                named(&format!("{path}.source"), &mut m, &s.0, file, ctx)?;
            }
            if let Some(o) = &l.volume {
                if o.subpath.is_some() {
                    return Err(ComposeError::key(
                        format!("{path}.volume.subpath"),
                        "volume subpaths are not supported by swarmd",
                        "remove subpath",
                    ));
                }
                m.volume_nocopy = o.nocopy.unwrap_or(false);
            }
            m
        }
        "bind" => {
            let mut m = empty(MountType::Bind, target);
            let Some(s) = &l.source else {
                return Err(ComposeError::key(
                    format!("{path}.source"),
                    "a bind mount needs a source path",
                    "give source: ./dir or an absolute path",
                ));
            };
            m.source = Some(super::resolve_path(&s.0, ctx).display().to_string());
            if let Some(b) = &l.bind {
                if b.propagation.as_ref().is_some_and(|p| p.0 != "rprivate") {
                    return Err(ComposeError::key(
                        format!("{path}.bind.propagation"),
                        "bind propagation other than rprivate is not supported by swarmd",
                        "remove propagation",
                    ));
                }
            }
            m
        }
        "tmpfs" => {
            let mut m = empty(MountType::Tmpfs, target);
            if let Some(t) = &l.tmpfs {
                if let Some(size) = &t.size {
                    m.tmpfs_size_bytes = parse_memory("tmpfs.size", &size.0)
                        .map_err(|e| ComposeError::spec(format!("{path}.tmpfs.size"), e))?;
                }
                if let Some(mode) = &t.mode {
                    m.tmpfs_mode = Some(octal(&format!("{path}.tmpfs.mode"), &mode.0)?);
                }
            }
            m
        }
        other => {
            return Err(ComposeError::key(
                format!("{path}.type"),
                format!("{other:?}: not a mount type swarmd supports"),
                "use type: volume, bind or tmpfs",
            ))
        }
    };
    m.readonly = l.read_only.unwrap_or(false);
    Ok(m)
}

fn octal(path: &str, s: &str) -> Result<u32, ComposeError> {
    let digits = s.trim_start_matches("0o");
    u32::from_str_radix(digits, 8).map_err(|_| {
        ComposeError::key(
            path,
            format!("{s:?} is not an octal file mode"),
            "write e.g. 1770",
        )
    })
}

/// The tmpfs mount of one `tmpfs:` entry (`/run` or `/run:size=64m,mode=1770`).
pub fn map_tmpfs(path: &str, value: &str) -> Result<Mount, ComposeError> {
    let (target, opts) = value.split_once(':').unwrap_or((value, ""));
    let mut m = empty(MountType::Tmpfs, target);
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            Some(("size", v)) => {
                m.tmpfs_size_bytes =
                    parse_memory("tmpfs", v).map_err(|e| ComposeError::spec(path, e))?
            }
            Some(("mode", v)) => m.tmpfs_mode = Some(octal(path, v)?),
            _ => {
                return Err(ComposeError::key(
                    path,
                    format!("{value:?}: option {o:?} is not supported by swarmd"),
                    "use size= and mode= only",
                ))
            }
        }
    }
    m.validate().map_err(|e| ComposeError::spec(path, e))?;
    Ok(m)
}
