//! Service helpers for tests: create/update services through the control API, read their
//! tasks, wait for placements, clean containers up.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{api, remove_containers_of, test_image, wait_for, Cluster, Node, WAIT};

/// Removes the test's containers when the test ends (also on panic).
pub struct Containers(pub Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        remove_containers_of(&self.0);
    }
}

/// Waits until every node's agent reported its engine (capacity known), returns the node ids.
pub fn agents_ready(c: &Cluster, via: usize, count: usize) -> Vec<String> {
    wait_for("agents to report their engines", WAIT, || {
        let nodes = c.nodes[via].nodes()?;
        let ready: Vec<String> = nodes
            .iter()
            .filter(|n| n["description"]["resources"]["nano_cpus"].as_i64() > Some(0))
            .filter_map(|n| n["id"].as_str().map(str::to_string))
            .collect();
        (ready.len() == count).then_some(ready)
    })
}

pub fn spec(name: &str, replicas: Option<u64>) -> Value {
    let mode = match replicas {
        Some(r) => json!({ "replicated": { "replicas": r } }),
        None => json!("global"),
    };
    json!({
        "name": name,
        "mode": mode,
        "task": { "container": { "image": test_image() } },
    })
}

pub fn create(n: &Node, spec: Value) -> Value {
    api(n, "/v1/services", Some(spec)).unwrap_or_else(|e| panic!("service create: {e}"))
}

/// Reads the service, lets `edit` change its spec, sends the update.
pub fn update(n: &Node, name: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let s = api(n, &format!("/v1/services/{name}"), None).expect("inspect");
    let mut spec = s["spec"].clone();
    edit(&mut spec);
    let body = json!({ "version": s["version"], "spec": spec });
    api(n, &format!("/v1/services/{name}/update"), Some(body))
        .unwrap_or_else(|e| panic!("service update: {e}"))
}

pub fn node_update(n: &Node, node: &str, availability: &str) {
    let o = n.cli(&["node", "update", node, "--availability", availability]);
    assert!(o.ok, "node update: {o:?}");
}

pub fn tasks(n: &Node, name: &str) -> Vec<Value> {
    api(n, &format!("/v1/services/{name}/tasks"), None)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// Host names of the nodes, by node id.
pub fn hostnames(n: &Node) -> BTreeMap<String, String> {
    n.nodes()
        .unwrap_or_default()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap_or_default().to_string(),
                v["hostname"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Running tasks (desired and observed) per host name.
pub fn running(n: &Node, name: &str) -> BTreeMap<String, usize> {
    let names = hostnames(n);
    let mut out = BTreeMap::new();
    for t in tasks(n, name) {
        if t["desired_state"] == "running" && t["status"]["state"] == "running" {
            let id = t["node_id"].as_str().unwrap_or_default();
            let host = names.get(id).cloned().unwrap_or_else(|| id.to_string());
            *out.entry(host).or_insert(0) += 1;
        }
    }
    out
}

pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Waits until the running tasks per node are exactly `want`.
pub fn wait_running(c: &Cluster, via: usize, name: &str, want: &[(&str, usize)]) {
    let want = counts(want);
    wait_placement(c, via, name, &format!("{want:?}"), |m| *m == want);
}

/// Waits until the running tasks per host name satisfy `ok` (`what` describes it).
pub fn wait_placement(
    c: &Cluster,
    via: usize,
    name: &str,
    what: &str,
    ok: impl Fn(&BTreeMap<String, usize>) -> bool,
) {
    let mut last = BTreeMap::new();
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for(&format!("{name} running as {what}"), WAIT, || {
            last = running(&c.nodes[via], name);
            ok(&last).then_some(())
        })
    }));
    if done.is_err() {
        panic!(
            "{name}: wanted {what}, last {last:?}\ntasks: {:#?}\n{}",
            tasks(&c.nodes[via], name),
            c.logs()
        );
    }
}

/// Containers of a service on this machine's daemon that are running.
pub fn running_containers(service_id: &str) -> usize {
    super::running_labelled(&format!("com.docker.swarm.service.id={service_id}")).len()
}
