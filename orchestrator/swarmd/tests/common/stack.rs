//! Stack helpers for tests: `swarmd stack ...` in a project directory, and the names and task
//! ids of what a deploy made, read through the control API.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use super::{api, svc, Node, BIN};

/// `swarmd stack ARGS --state-dir DIR` in `dir`: (exit code, stdout, stderr).
pub fn stack(n: &Node, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .arg("stack")
        .args(args)
        .args(["--state-dir", &n.dir.display().to_string()])
        .current_dir(dir)
        .env_remove("SWARMD_STATE_DIR")
        .env_remove("SWARMD_HOST")
        .env_remove("TAG")
        .output()
        .expect("run swarmd stack");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The stdout of a `stack` run that must succeed.
pub fn ok(r: (i32, String, String), what: &str) -> String {
    assert_eq!(r.0, 0, "{what} failed:\nstdout: {}\nstderr: {}", r.1, r.2);
    r.1
}

/// The names of every service, sorted.
pub fn service_names(n: &Node) -> Vec<String> {
    names(n, "/v1/services", "service")
}

/// The names of every network but `ingress`, sorted.
pub fn network_names(n: &Node) -> Vec<String> {
    let mut v = names(n, "/v1/networks", "network");
    v.retain(|n| n != "ingress");
    v
}

fn names(n: &Node, path: &str, kind: &str) -> Vec<String> {
    let v = api(n, path, None).unwrap_or_else(|e| panic!("{kind} ls: {e}"));
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[kind]["spec"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// The ids of a service's tasks, sorted.
pub fn task_ids(n: &Node, name: &str) -> Vec<String> {
    let mut ids: Vec<String> = svc::tasks(n, name)
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}
