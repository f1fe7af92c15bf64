//! Stack benchmarks (issue #16) with real `swarmd` processes on loopback; prints a table.
//!
//! - deploy: `swarmd stack deploy` of a 10-service stack (1 replica each, the test image, the
//!   stack's overlay network) on one node with the local Docker daemon, to every task RUNNING;
//!   then `stack rm` to every container gone;
//! - re-deploy: an unchanged 50-service file deployed again (goal ≤ 1 s), on a `--no-executor`
//!   node (control plane only), with a check that no service version and no task id moved.
//!
//! Run with `flock /tmp/sandbox.lock cargo bench -p swarmd --bench stacks` (the deploy part
//! makes overlay bridges on this machine). `SWARMD_BENCH_RUNS=N` sets the runs (default 3);
//! `SWARMD_BENCH_ONLY=deploy|redeploy` runs one part.

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{api, remove_containers_labelled, test_image, wait_for, Cluster, Node, BIN};

fn compose(services: usize, image: &str) -> String {
    let mut s = String::from("services:\n");
    for i in 0..services {
        s.push_str(&format!(
            "  s{i:02}:\n    image: {image}\n    environment: [INDEX={i}]\n    deploy: {{replicas: 1}}\n"
        ));
    }
    s
}

fn stack(n: &Node, args: &[&str]) -> String {
    let o = Command::new(BIN)
        .arg("stack")
        .args(args)
        .args(["--state-dir", &n.dir.display().to_string()])
        .output()
        .expect("swarmd stack");
    assert!(o.status.success(), "stack {args:?}: {o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// name → (version, task ids) of every service.
fn snapshot(n: &Node) -> BTreeMap<String, (u64, Vec<String>)> {
    let list = api(n, "/v1/services", None).expect("service ls");
    let mut out = BTreeMap::new();
    for e in list.as_array().unwrap() {
        let name = e["service"]["spec"]["name"].as_str().unwrap().to_string();
        let tasks = api(n, &format!("/v1/services/{name}/tasks"), None).unwrap();
        let mut ids: Vec<String> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        out.insert(name, (e["service"]["version"].as_u64().unwrap(), ids));
    }
    out
}

fn running_tasks(n: &Node) -> usize {
    let list = api(n, "/v1/services", None).expect("service ls");
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["running"].as_u64().unwrap_or(0) as usize)
        .sum()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn deploy_part(runs: usize, rows: &mut Vec<(String, String, String)>) {
    let image = test_image();
    let mut c = Cluster::new(87);
    let m1 = c.init("m1");
    let dir = c.tmp().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yml");
    std::fs::write(&file, compose(10, image)).unwrap();
    let file = file.display().to_string();
    let m = &c.nodes[m1];
    wait_for(
        "the agent to report its engine",
        Duration::from_secs(60),
        || {
            let nodes = m.nodes()?;
            (nodes[0]["description"]["resources"]["nano_cpus"].as_i64() > Some(0)).then_some(())
        },
    );
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        stack(m, &["deploy", "-c", &file, "bench"]);
        wait_for("10 tasks running", Duration::from_secs(180), || {
            (running_tasks(m) == 10).then_some(())
        });
        up.push(t.elapsed());
        let t = Instant::now();
        stack(m, &["rm", "bench"]);
        wait_for("the containers gone", Duration::from_secs(120), || {
            common::running_labelled("com.docker.stack.namespace=bench")
                .is_empty()
                .then_some(())
        });
        down.push(t.elapsed());
    }
    remove_containers_labelled("com.docker.stack.namespace=bench");
    rows.push((
        "deploy 10 services → 10 tasks running".into(),
        secs(median(up.clone())),
        format!("{} runs, max {}", runs, secs(*up.iter().max().unwrap())),
    ));
    rows.push((
        "stack rm 10 services → containers gone".into(),
        secs(median(down.clone())),
        format!("{} runs, max {}", runs, secs(*down.iter().max().unwrap())),
    ));
}

fn redeploy_part(runs: usize, rows: &mut Vec<(String, String, String)>) {
    let mut c = Cluster::new(88);
    c.extra = vec!["--no-executor".into()];
    let m1 = c.init("m1");
    let dir = c.tmp().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yml");
    std::fs::write(&file, compose(50, "swarm-test/web:v1")).unwrap();
    let file = file.display().to_string();
    let m = &c.nodes[m1];
    let t = Instant::now();
    stack(m, &["deploy", "-c", &file, "big"]);
    let first = t.elapsed();
    wait_for(
        "50 services with their task",
        Duration::from_secs(120),
        || {
            snapshot(m)
                .values()
                .all(|(_, ids)| ids.len() == 1)
                .then_some(())
        },
    );
    let before = snapshot(m);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = stack(m, &["deploy", "-c", &file, "big"]);
        times.push(t.elapsed());
        // docker's "Updating service" line for each, nothing else (no create, no remove).
        assert!(
            out.lines().count() == 50 && out.lines().all(|l| l.starts_with("Updating service ")),
            "an unchanged re-deploy changed something: {out}"
        );
    }
    let touched = snapshot(m)
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .count();
    rows.push((
        "first deploy of 50 services (returns)".into(),
        secs(first),
        "control plane only".into(),
    ));
    rows.push((
        "re-deploy unchanged 50-service file".into(),
        secs(median(times.clone())),
        format!(
            "{runs} runs, max {}, goal ≤ 1 s; services or tasks touched: {touched}",
            secs(*times.iter().max().unwrap())
        ),
    ));
}

fn main() {
    let runs: usize = std::env::var("SWARMD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("SWARMD_BENCH_ONLY").unwrap_or_default();
    let mut rows = Vec::new();
    if only.is_empty() || only == "deploy" {
        deploy_part(runs, &mut rows);
    }
    if only.is_empty() || only == "redeploy" {
        redeploy_part(runs.max(5), &mut rows);
    }
    println!("{:<42} {:>9}   notes", "stack benchmark", "median");
    for (what, v, note) in rows {
        println!("{what:<42} {v:>9}   {note}");
    }
}
