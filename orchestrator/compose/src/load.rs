//! From file texts to a [`ComposeFile`]: parse each file (YAML errors with line and column),
//! drop `x-*` extension keys, interpolate variables, merge the files in order, take out the
//! service keys swarm ignores (with docker's warnings), then read the merged tree into the
//! typed model, naming the key path of any unknown key or wrong type.

use serde_yaml::Value;

use crate::error::ComposeError;
use crate::interpolate::{interpolate_tree, key_text, Lookup};
use crate::merge::merge;
use crate::model::ComposeFile;

/// Service keys `docker stack deploy` ignores, warning "Ignoring unsupported options: ...".
/// `depends_on` is on the list too: docker drops it silently, swarm has no start order.
pub const UNSUPPORTED: &[&str] = &[
    "build",
    "cgroup_parent",
    "cgroupns_mode",
    "depends_on",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "pull_policy",
    "restart",
    "security_opt",
    "shm_size",
    "sysctls",
    "ulimits",
    "userns_mode",
];

/// Service keys docker reports as deprecated ("Ignoring deprecated options:" with a reason).
pub const DEPRECATED: &[(&str, &str)] = &[
    ("container_name", "Setting the container name is not supported."),
    (
        "expose",
        "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    ),
];

/// One compose file as given: its name (for messages) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given with `-c`.
    pub name: String,
    /// Its contents.
    pub text: String,
}

/// The merged, typed compose files and what docker would warn about.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The model.
    pub file: ComposeFile,
    /// Warnings for stderr (`Ignoring unsupported options: build, links`).
    pub warnings: Vec<String>,
}

/// Parses, interpolates and merges `sources` in order.
pub fn load(sources: &[Source], lookup: Lookup) -> Result<Loaded, ComposeError> {
    let mut merged = Value::Null;
    for s in sources {
        let mut v = parse(s)?;
        strip_extensions(&mut v);
        interpolate_tree(&mut v, "", lookup)?;
        if merged.is_null() {
            merged = v;
        } else {
            merge(&mut merged, v, "");
        }
    }
    if merged.is_null() {
        merged = Value::Mapping(Default::default());
    }
    if !merged.is_mapping() {
        return Err(ComposeError::key(
            "(top level)",
            "expected a mapping with a services key",
            "start the file with `services:`",
        ));
    }
    let warnings = take_unsupported(&mut merged);
    let file = typed(merged)?;
    Ok(Loaded { file, warnings })
}

fn parse(s: &Source) -> Result<Value, ComposeError> {
    let mut v = serde_yaml::from_str::<Value>(&s.text).map_err(|e| yaml_error(s, e))?;
    // `<<: *anchor` merge keys, as compose resolves them.
    v.apply_merge().map_err(|e| yaml_error(s, e))?;
    Ok(v)
}

fn yaml_error(s: &Source, e: serde_yaml::Error) -> ComposeError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let message = e.to_string();
    // serde_yaml appends " at line L column C"; the location is in front already.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    ComposeError::Yaml {
        file: s.name.clone(),
        line,
        column,
        message,
    }
}

fn strip_extensions(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.retain(|k, _| !matches!(k, Value::String(s) if s.starts_with("x-")));
            for (_, item) in m.iter_mut() {
                strip_extensions(item);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

fn take_unsupported(v: &mut Value) -> Vec<String> {
    let mut unsupported = std::collections::BTreeSet::new();
    let mut deprecated = std::collections::BTreeMap::new();
    if let Some(Value::Mapping(services)) = v.get_mut("services") {
        for (_, svc) in services.iter_mut() {
            let Value::Mapping(m) = svc else { continue };
            m.retain(|k, _| {
                let k = key_text(k);
                if UNSUPPORTED.contains(&k.as_str()) {
                    unsupported.insert(k);
                    false
                } else if let Some((_, why)) = DEPRECATED.iter().find(|(d, _)| *d == k) {
                    deprecated.insert(k, *why);
                    false
                } else {
                    true
                }
            });
        }
    }
    let mut out = Vec::new();
    if !unsupported.is_empty() {
        let names: Vec<String> = unsupported.into_iter().collect();
        out.push(format!(
            "Ignoring unsupported options: {}",
            names.join(", ")
        ));
    }
    if !deprecated.is_empty() {
        let lines: Vec<String> = deprecated
            .into_iter()
            .map(|(k, why)| format!("{k}: {why}"))
            .collect();
        out.push(format!(
            "Ignoring deprecated options:\n\n{}",
            lines.join("\n")
        ));
    }
    out
}

fn typed(v: Value) -> Result<ComposeFile, ComposeError> {
    serde_path_to_error::deserialize::<_, ComposeFile>(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let (path, message) = friendly(path, &inner);
        ComposeError::key(path, message, "")
    })
}

/// Docker-like wording of serde's messages: `expected a number`, `unknown key foo`.
fn friendly(path: String, msg: &str) -> (String, String) {
    let path = if path == "." || path.is_empty() {
        "(top level)".to_string()
    } else {
        path
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        let path = if path == "(top level)" {
            key.to_string()
        } else if path.ends_with(key) {
            path
        } else {
            format!("{path}.{key}")
        };
        return (
            path,
            format!(
                "unknown key {key:?} (not in the compose specification, or not for a swarm stack)"
            ),
        );
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or_default();
        return (format!("{path}.{key}"), "is required".into());
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            let want = match want {
                w if w.starts_with('u') || w.starts_with('i') => "a number",
                "a boolean" => "true or false",
                "a string" => "a string",
                w if w.starts_with("struct") || w.starts_with("a map") => "a mapping",
                w if w.starts_with("a sequence") => "a list",
                w => w,
            };
            return (path, format!("expected {want}, got {got}"));
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            let want = if want.starts_with('u') || want.starts_with('i') {
                "a whole number in range"
            } else {
                want
            };
            return (path, format!("expected {want}, got {got}"));
        }
    }
    // An untagged enum's `expecting` text (`a string or a list of strings`).
    if msg.starts_with("a ") || msg.starts_with("true") || msg.starts_with('"') {
        return (path, format!("expected {msg}"));
    }
    (path, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Vec<Source> {
        vec![Source {
            name: "stack.yml".into(),
            text: text.into(),
        }]
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn err(text: &str) -> String {
        load(&src(text), &no_env).unwrap_err().to_string()
    }

    #[test]
    fn yaml_errors_have_line_and_column() {
        let e = err("services:\n  web:\n    image: [x\n");
        assert!(e.starts_with("stack.yml:4:1: "), "{e}");
        let e = err("services:\n  web:\n  image: x\n   bad: 1\n");
        assert!(e.starts_with("stack.yml:4:"), "{e}");
    }

    #[test]
    fn wrong_types_and_unknown_keys_name_the_key_path() {
        let e = err("services:\n  web:\n    image: x\n    deploy:\n      replicas: many\n");
        assert_eq!(
            e,
            "services.web.deploy.replicas: expected a number, got string \"many\""
        );
        let e = err("services:\n  web:\n    image: x\n    deploy:\n      replica: 2\n");
        assert!(
            e.starts_with("services.web.deploy.replica: unknown key \"replica\""),
            "{e}"
        );
        let e = err("services:\n  web:\n    image: x\n    read_only: maybe\n");
        assert!(
            e.starts_with("services.web.read_only: expected true or false"),
            "{e}"
        );
        let e = err("service:\n  web: {}\n");
        assert!(e.starts_with("service: unknown key"), "{e}");
        let e = err("services:\n  web:\n    image: x\n    ports: [{published: 80}]\n");
        assert!(
            e.starts_with("services.web.ports[0]: expected a port"),
            "{e}"
        );
    }

    #[test]
    fn unsupported_keys_warn_and_extensions_vanish() {
        let l = load(
            &src("x-common: &c {a: 1}\nservices:\n  web:\n    image: x\n    build: .\n    links: [db]\n    x-note: hi\n    container_name: w\n"),
            &no_env,
        )
        .unwrap();
        assert_eq!(l.warnings[0], "Ignoring unsupported options: build, links");
        assert!(l.warnings[1].starts_with("Ignoring deprecated options:\n\ncontainer_name: "));
        assert!(l.file.services.contains_key("web"));
    }

    #[test]
    fn files_merge_in_order_after_interpolation() {
        let env = |k: &str| (k == "TAG").then(|| "2".to_string());
        let l = load(
            &[
                Source {
                    name: "a.yml".into(),
                    text: "services:\n  web:\n    image: web:1\n    deploy: {replicas: 2}\n".into(),
                },
                Source {
                    name: "b.yml".into(),
                    text: "services:\n  web:\n    image: web:${TAG}\n".into(),
                },
            ],
            &env,
        )
        .unwrap();
        let w = &l.file.services["web"];
        assert_eq!(w.image.as_ref().unwrap().0, "web:2");
        assert_eq!(w.deploy.as_ref().unwrap().replicas, Some(2));
    }
}
