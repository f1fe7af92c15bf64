//! `--filter key=value` for `node ls`, `service ls` and `service ps`, with docker's rules: the
//! values given for one key are alternatives (any may match), different keys must all match.
//! An unknown key or a filter without `=` is refused, naming the keys the verb accepts.
//!
//! Matching (as docker): `id` is an id prefix; `name` is a prefix of a service or task name and
//! a part of a node's host name; `label=key` or `label=key=value`; `role`, `mode`,
//! `membership`, `desired-state` and `node` compare whole values.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Result};
use swarm_api::node::{format_node_id, NodeView};
use swarm_api::service::ServiceMode;
use swarm_api::service_api::ServiceListEntry;
use swarm_api::task::Task;

/// Keys of `node ls --filter`.
pub const NODE_KEYS: &[&str] = &["id", "label", "node.label", "membership", "name", "role"];
/// Keys of `service ls --filter`.
pub const SERVICE_KEYS: &[&str] = &["id", "label", "mode", "name"];
/// Keys of `service ps --filter`.
pub const TASK_KEYS: &[&str] = &["desired-state", "id", "name", "node"];

/// The values a key takes, for the keys with a fixed set.
fn allowed(key: &str) -> Option<&'static [&'static str]> {
    Some(match key {
        "role" => &["manager", "worker"],
        "membership" => &["accepted", "pending"],
        "mode" => &["replicated", "global"],
        "desired-state" => &["running", "shutdown", "accepted", "ready"],
        _ => return None,
    })
}

/// Parsed filters: key → accepted values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parses `key=value` filters, accepting only `keys`.
    pub fn parse(raw: &[String], keys: &[&str]) -> Result<Self> {
        let mut f = Filters::default();
        for r in raw {
            let Some((k, v)) = r.split_once('=') else {
                bail!(
                    "invalid --filter {r:?}: expected key=value (fix: e.g. --filter {}=...)",
                    keys[0]
                );
            };
            let k = k.trim().to_ascii_lowercase();
            if !keys.contains(&k.as_str()) {
                bail!(
                    "invalid --filter {r:?}: unknown key {k:?} (fix: use one of {})",
                    keys.join(", ")
                );
            }
            let v = v.trim();
            if let Some(values) = allowed(&k) {
                if !values.contains(&v) {
                    bail!(
                        "invalid --filter {r:?}: {k} must be one of {} (fix: e.g. --filter {k}={})",
                        values.join(", "),
                        values[0]
                    );
                }
            }
            f.0.entry(k).or_default().push(v.to_string());
        }
        Ok(f)
    }

    /// Whether `key` is absent or one of its values satisfies `pred`.
    fn any(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        self.0.get(key).is_none_or(|vs| vs.iter().any(|v| pred(v)))
    }
}

fn label_matches(labels: &BTreeMap<String, String>, want: &str) -> bool {
    match want.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
        None => labels.contains_key(want),
    }
}

/// Whether a node passes `f` (keys: [`NODE_KEYS`]; `label` is an engine label, `node.label` a
/// node label; every listed node is an accepted member).
pub fn node_matches(f: &Filters, n: &NodeView) -> bool {
    let id = format_node_id(n.node.id);
    f.any("id", |v| id.starts_with(v))
        && f.any("name", |v| n.node.hostname.contains(v))
        && f.any("role", |v| n.node.role.to_string() == v)
        && f.any("membership", |v| v == "accepted")
        && f.any("label", |v| {
            label_matches(&n.node.description.engine_labels, v)
        })
        && f.any("node.label", |v| label_matches(&n.node.labels, v))
}

/// Whether a service passes `f` (keys: [`SERVICE_KEYS`]).
pub fn service_matches(f: &Filters, e: &ServiceListEntry) -> bool {
    let s = &e.service;
    let mode = match s.spec.mode {
        ServiceMode::Replicated { .. } => "replicated",
        ServiceMode::Global => "global",
    };
    f.any("id", |v| s.id.starts_with(v))
        && f.any("name", |v| s.spec.name.starts_with(v))
        && f.any("mode", |v| v == mode)
        && f.any("label", |v| label_matches(&s.spec.labels, v))
}

/// Keys of `secret ls --filter` and `config ls --filter`.
pub const FILE_OBJECT_KEYS: &[&str] = &["id", "label", "name"];

/// Whether a secret or config passes `f` (keys: [`FILE_OBJECT_KEYS`]; `name` a prefix).
pub fn file_object_matches(
    f: &Filters,
    id: &str,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> bool {
    f.any("id", |v| id.starts_with(v))
        && f.any("name", |v| name.starts_with(v))
        && f.any("label", |v| label_matches(labels, v))
}

/// Whether a task passes `f` (keys: [`TASK_KEYS`]); `hostnames` maps node ids to host names, so
/// `node=` takes either.
pub fn task_matches(f: &Filters, t: &Task, hostnames: &HashMap<String, String>) -> bool {
    let desired = t.desired_state.as_str().to_ascii_lowercase();
    let node = t.node_id.as_deref().unwrap_or_default();
    let host = hostnames.get(node).map(String::as_str).unwrap_or_default();
    f.any("desired-state", |v| v.eq_ignore_ascii_case(&desired))
        && f.any("id", |v| t.id.starts_with(v))
        && f.any("name", |v| t.slot_name().starts_with(v))
        && f.any("node", |v| !node.is_empty() && (v == node || v == host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_args::test_cli::create_spec;
    use swarm_api::node::{Availability, Node, NodeStatus, Role};
    use swarm_api::task::{TaskState, TaskStatus};

    fn filters(raw: &[&str], keys: &[&str]) -> Filters {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        Filters::parse(&raw, keys).unwrap()
    }

    fn node(id: u64, host: &str, role: Role, label: Option<(&str, &str)>) -> NodeView {
        NodeView {
            version: 1,
            node: Node {
                id,
                hostname: host.into(),
                addr: "127.0.0.1:1".into(),
                role,
                availability: Availability::Active,
                status: NodeStatus::Ready,
                labels: label
                    .map(|(k, v)| BTreeMap::from([(k.to_string(), v.to_string())]))
                    .unwrap_or_default(),
                description: Default::default(),
            },
            manager_status: None,
        }
    }

    #[test]
    fn bad_filters_name_the_key_and_the_choices() {
        let bad = |r: &str, keys: &[&str]| {
            Filters::parse(&[r.to_string()], keys)
                .unwrap_err()
                .to_string()
        };
        let e = bad("colour=red", NODE_KEYS);
        assert!(e.contains("\"colour\"") && e.contains("role"), "{e}");
        assert!(bad("role", NODE_KEYS).contains("key=value"));
        let e = bad("desired-state=gone", TASK_KEYS);
        assert!(e.contains("running, shutdown"), "{e}");
        assert!(bad("mode=both", SERVICE_KEYS).contains("replicated, global"));
    }

    #[test]
    fn nodes_match_on_every_key_and_any_value_of_one_key() {
        let nodes = [
            node(0xa1, "manager-1", Role::Manager, None),
            node(0xb2, "worker-1", Role::Worker, Some(("zone", "a"))),
            node(0xb3, "worker-2", Role::Worker, Some(("zone", "b"))),
        ];
        let pick = |raw: &[&str]| -> Vec<String> {
            let f = filters(raw, NODE_KEYS);
            nodes
                .iter()
                .filter(|n| node_matches(&f, n))
                .map(|n| n.node.hostname.clone())
                .collect()
        };
        assert_eq!(pick(&[]).len(), 3);
        assert_eq!(pick(&["role=manager"]), ["manager-1"]);
        assert_eq!(pick(&["name=worker"]), ["worker-1", "worker-2"]);
        assert_eq!(pick(&["node.label=zone=b"]), ["worker-2"]);
        assert_eq!(pick(&["node.label=zone"]), ["worker-1", "worker-2"]);
        assert_eq!(pick(&["id=00000000000000b"]), ["worker-1", "worker-2"]);
        assert_eq!(
            pick(&["name=worker-1", "name=manager"]),
            ["manager-1", "worker-1"]
        );
        assert!(pick(&["role=worker", "name=manager"]).is_empty());
        assert!(pick(&["membership=pending"]).is_empty());
    }

    #[test]
    fn services_and_tasks_match() {
        let spec = create_spec(&[
            "--name",
            "web",
            "--mode",
            "global",
            "--label",
            "tier=front",
            "img",
        ]);
        let e = ServiceListEntry {
            service: swarm_testkit::service("abc123", spec),
            running: 0,
            desired: 0,
        };
        let ok = |raw: &[&str]| service_matches(&filters(raw, SERVICE_KEYS), &e);
        assert!(ok(&[
            "mode=global",
            "name=we",
            "label=tier=front",
            "id=abc"
        ]));
        assert!(!ok(&["mode=replicated"]));
        assert!(!ok(&["name=eb"]), "name is a prefix");
        assert!(!ok(&["label=tier=back"]));

        let task = |id: &str, slot: u64, desired: TaskState| Task {
            id: id.into(),
            service_id: "abc123".into(),
            service_name: "web".into(),
            slot: Some(slot),
            node_id: Some("00000000000000b2".into()),
            spec: Default::default(),
            endpoint: Default::default(),
            service_version: 1,
            desired_state: desired,
            status: TaskStatus::default(),
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        let hosts = HashMap::from([("00000000000000b2".to_string(), "worker-1".to_string())]);
        let tasks = [
            task("t1", 1, TaskState::Running),
            task("t2", 1, TaskState::Shutdown),
            task("t3", 2, TaskState::Running),
        ];
        let ids = |raw: &[&str]| -> Vec<String> {
            let f = filters(raw, TASK_KEYS);
            tasks
                .iter()
                .filter(|t| task_matches(&f, t, &hosts))
                .map(|t| t.id.clone())
                .collect()
        };
        assert_eq!(ids(&["desired-state=running"]), ["t1", "t3"]);
        assert_eq!(ids(&["name=web.1"]), ["t1", "t2"]);
        assert_eq!(ids(&["node=worker-1", "desired-state=shutdown"]), ["t2"]);
        assert_eq!(ids(&["node=00000000000000b2"]).len(), 3);
        assert!(ids(&["node=worker-2"]).is_empty());
    }
}
