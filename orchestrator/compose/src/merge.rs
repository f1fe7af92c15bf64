//! Merging several compose files (`-c a.yml -c b.yml`) in order, with the compose
//! specification's rules (pure, on the YAML trees, after interpolation):
//! - mappings merge key by key, recursively; a later scalar replaces an earlier one;
//! - `command`, `entrypoint` and `healthcheck.test` are replaced, not appended;
//! - `environment`, `labels` (service and `deploy`), `extra_hosts`, `sysctls` and
//!   `driver_opts` merge as mappings whatever syntax each file used (`- K=V` lists become maps);
//! - `ports`, `volumes`, `secrets`, `configs` append, and an entry of a later file replaces an
//!   earlier one with the same key (ports: the whole short form or published/target/protocol;
//!   volumes: the target path; secrets and configs: the target, or the source);
//! - a service's `networks` merge as mappings (a list becomes a map of empty entries);
//! - any other sequence appends the values it does not hold yet (`dns`, `tmpfs`, ...).

use serde_yaml::{Mapping, Value};

/// Merges `over` into `base`; `key` is the key of `base` in its parent mapping.
pub fn merge(base: &mut Value, over: Value, key: &str) {
    let over = normalize(key, over);
    if matches!(key, "command" | "entrypoint" | "test") {
        *base = over;
        return;
    }
    let b = std::mem::take(base);
    *base = match (normalize(key, b), over) {
        (Value::Mapping(mut bm), Value::Mapping(om)) => {
            for (k, v) in om {
                let name = crate::interpolate::key_text(&k);
                match bm.get_mut(&k) {
                    Some(existing) => merge(existing, v, &name),
                    None => {
                        bm.insert(k, normalize(&name, v));
                    }
                }
            }
            Value::Mapping(bm)
        }
        (Value::Sequence(mut bs), Value::Sequence(os)) => {
            for item in os {
                let k = entry_key(key, &item);
                let pos = k.as_ref().and_then(|k| {
                    bs.iter()
                        .position(|x| entry_key(key, x).as_ref() == Some(k))
                });
                match pos {
                    Some(pos) => bs[pos] = item,
                    None if k.is_none() && bs.contains(&item) => {}
                    None => bs.push(item),
                }
            }
            Value::Sequence(bs)
        }
        (_, o) => o,
    };
}

/// Whether a key holds a mapping that may be written as a `K=V` list.
fn map_like(key: &str) -> bool {
    matches!(
        key,
        "environment" | "labels" | "extra_hosts" | "sysctls" | "driver_opts" | "args" | "networks"
    )
}

/// A `K=V` (or `K:V` for `extra_hosts`, bare names for `networks`) list as a mapping.
fn normalize(key: &str, v: Value) -> Value {
    if !map_like(key) {
        return v;
    }
    let Value::Sequence(items) = v else {
        return v;
    };
    let mut m = Mapping::new();
    for item in items {
        let Value::String(s) = &item else {
            // Leave odd entries to the typed model, which names their path.
            return Value::Sequence(vec![item]);
        };
        let split = if key == "extra_hosts" {
            s.split_once('=').or_else(|| s.split_once(':'))
        } else if key == "networks" {
            None
        } else {
            s.split_once('=')
        };
        match split {
            Some((k, val)) => m.insert(Value::String(k.into()), Value::String(val.into())),
            None => m.insert(Value::String(s.clone()), Value::Null),
        };
    }
    Value::Mapping(m)
}

/// The key that makes two entries of `ports`, `volumes`, `secrets` or `configs` the same one.
fn entry_key(list: &str, item: &Value) -> Option<String> {
    let field = |name: &str| item.get(name).map(value_text);
    match list {
        "ports" => match item {
            Value::Mapping(_) => Some(format!(
                "{}:{}/{}",
                field("published").unwrap_or_default(),
                field("target").unwrap_or_default(),
                field("protocol").unwrap_or_else(|| "tcp".into())
            )),
            other => Some(value_text(other)),
        },
        "volumes" => match item {
            Value::Mapping(_) => field("target"),
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                Some(parts.get(1).unwrap_or(&parts[0]).to_string())
            }
            _ => None,
        },
        "secrets" | "configs" => match item {
            Value::Mapping(_) => field("target").or_else(|| field("source")),
            other => Some(value_text(other)),
        },
        _ => None,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn compose_merge_rules() {
        let mut base = y(r#"
services:
  web:
    image: web:1
    command: [serve, --old]
    environment: [A=1, B=2]
    labels: {tier: front}
    ports: ["8080:80", "9090:90"]
    volumes: ["data:/data", "/etc/x:/x:ro"]
    dns: [1.1.1.1]
    networks: [front]
    deploy: {replicas: 2, resources: {limits: {memory: 64M}}}
"#);
        let over = y(r#"
services:
  web:
    image: web:2
    command: [serve]
    environment: {B: "3", C: "4"}
    labels: [owner=me]
    ports: ["8080:80", "7070:70"]
    volumes: [{type: volume, source: other, target: /data}]
    dns: [1.1.1.1, 8.8.8.8]
    networks: {back: {aliases: [b]}}
    deploy: {resources: {limits: {cpus: "0.5"}}}
  db:
    image: db
"#);
        merge(&mut base, over, "");
        let w = &base["services"]["web"];
        assert_eq!(w["image"], y("web:2"));
        assert_eq!(w["command"], y("[serve]"));
        assert_eq!(w["environment"], y("{A: '1', B: '3', C: '4'}"));
        assert_eq!(w["labels"], y("{tier: front, owner: me}"));
        assert_eq!(w["ports"], y(r#"["8080:80", "9090:90", "7070:70"]"#));
        assert_eq!(w["volumes"][0]["source"], y("other"));
        assert_eq!(w["volumes"][1], y("/etc/x:/x:ro"));
        assert_eq!(w["dns"], y("[1.1.1.1, 8.8.8.8]"));
        assert_eq!(w["networks"], y("{front: null, back: {aliases: [b]}}"));
        assert_eq!(
            w["deploy"],
            y("{replicas: 2, resources: {limits: {memory: 64M, cpus: '0.5'}}}")
        );
        assert_eq!(base["services"]["db"]["image"], y("db"));
    }
}
