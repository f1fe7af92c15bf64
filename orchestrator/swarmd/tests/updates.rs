//! Rolling updates on real swarmd processes and the real Docker daemon (issue #7): images v1
//! and v2 serve, v3 exits at once. The tests sample the service's tasks while an update runs
//! and assert what users care about: how many tasks are down at most, the final image, the
//! update status, rollback, start-first capacity, `--force`, and a leader change mid-update.

mod common;

use std::path::Path;

use common::svc::{agents_ready, create, spec, tasks, update, Containers};
use common::{api, wait_for, Cluster, Node, WAIT};
use serde_json::{json, Value};

const V1: &str = "swarm-test/web:v1";
const V2: &str = "swarm-test/web:v2";
const V3: &str = "swarm-test/web:v3-exits";

fn images() {
    swarm_testkit::images::ensure(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &[
            (V1, &[]),
            (V2, &["--port", "80"]),
            (V3, &["--exit-immediately", "--exit-code", "1"]),
        ],
    );
}

fn web(replicas: u64, update_config: Value) -> Value {
    let mut s = spec("web", Some(replicas));
    s["task"]["container"]["image"] = json!(V1);
    s["task"]["restart_policy"] = json!({ "condition": "any", "delay_ms": 200 });
    s["update_config"] = update_config;
    s
}

/// Running tasks of the service (desired and observed RUNNING), by image.
fn running_by_image(n: &Node) -> (usize, usize) {
    let ts = tasks(n, "web");
    let run = |img: &str| {
        ts.iter()
            .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
            .filter(|t| t["spec"]["container"]["image"] == img)
            .count()
    };
    (run(V1), run(V2))
}

fn update_state(n: &Node) -> Option<(String, String)> {
    let s = api(n, "/v1/services/web", None).ok()?;
    let st = &s["update_status"];
    Some((
        st["state"].as_str()?.to_string(),
        st["message"].as_str().unwrap_or_default().to_string(),
    ))
}

fn set_image(n: &Node, image: &str, update_config: Option<Value>) {
    update(n, "web", |s| {
        s["task"]["container"]["image"] = json!(image);
        if let Some(u) = update_config {
            s["update_config"] = u;
        }
    });
}

/// Samples the running count until the update status reaches one of `end`; returns the
/// smallest running count seen and the final state.
fn sample_until(n: &Node, end: &[&str], c: &Cluster) -> (usize, String) {
    let mut min_running = usize::MAX;
    let state = wait_for(&format!("update to reach {end:?}"), WAIT * 2, || {
        let (v1, v2) = running_by_image(n);
        min_running = min_running.min(v1 + v2);
        let (state, _) = update_state(n)?;
        end.contains(&state.as_str()).then_some(state)
    });
    assert!(!c.nodes.is_empty());
    (min_running, state)
}

/// The cleanup comes first so that it drops after the cluster (no live agent recreates a
/// container once they are removed).
fn cluster(net: u8, managers: usize) -> (Containers, Cluster) {
    images();
    let mut c = Cluster::new(net);
    let m1 = c.init("m1");
    for i in 2..=managers {
        c.join(&format!("m{i}"), "manager", m1);
    }
    c.join("w1", "worker", m1);
    let ids = agents_ready(&c, m1, managers + 1);
    (Containers(ids), c)
}

fn wait_all_v(n: &Node, replicas: usize, v1: usize, v2: usize) {
    wait_for(
        &format!("{replicas} tasks at v1={v1} v2={v2}"),
        WAIT,
        || (running_by_image(n) == (v1, v2)).then_some(()),
    );
}

#[test]
fn rolling_update_bounds_the_tasks_down_then_pause_and_rollback_on_failure() {
    let (_cleanup, c) = cluster(51, 1);
    let m = &c.nodes[0];
    let cfg = json!({ "parallelism": 2, "delay_ms": 300, "monitor_ms": 500 });
    create(m, web(6, cfg.clone()));
    wait_all_v(m, 6, 6, 0);

    // v1 → v2, 2 at a time: never more than 2 of 6 down.
    set_image(m, V2, None);
    let (min_running, state) = sample_until(m, &["completed", "paused"], &c);
    assert_eq!(state, "completed", "{:?}\n{}", update_state(m), c.logs());
    assert!(
        min_running >= 4,
        "{} of 6 were down at once",
        6 - min_running
    );
    wait_all_v(m, 6, 0, 6);

    // v2 → v3 (exits at once) with failure action pause: paused with the reason.
    set_image(m, V3, None);
    let (state, msg) = wait_for("update to pause", WAIT, || {
        update_state(m).filter(|(s, _)| s == "paused")
    });
    assert_eq!(state, "paused");
    assert!(
        msg.contains("update paused due to failure or early termination of task"),
        "{msg}"
    );
    // It stopped early: at most two batches were touched (the second may start before the
    // first batch's failure is reported), so v2 tasks still serve.
    assert!(running_by_image(m).1 >= 2, "{:?}", running_by_image(m));

    // Back to v2 explicitly, then v3 again with failure action rollback: returns to v2 alone.
    set_image(m, V2, None);
    wait_for("v2 everywhere again", WAIT, || {
        (update_state(m)?.0 == "completed" && running_by_image(m) == (0, 6)).then_some(())
    });
    let rollback_cfg = json!({
        "parallelism": 2, "delay_ms": 0, "monitor_ms": 500, "failure_action": "rollback"
    });
    set_image(m, V3, Some(rollback_cfg));
    let (_, state) = sample_until(m, &["rollback_completed", "rollback_paused"], &c);
    assert_eq!(state, "rollback_completed", "{:?}", update_state(m));
    let s = api(m, "/v1/services/web", None).unwrap();
    assert_eq!(s["spec"]["task"]["container"]["image"], V2);
    wait_all_v(m, 6, 0, 6);
}

#[test]
fn start_first_keeps_capacity_and_force_replaces_every_task_once() {
    let (_cleanup, c) = cluster(52, 1);
    let m = &c.nodes[0];
    let cfg = json!({ "parallelism": 1, "monitor_ms": 300, "order": "start-first" });
    create(m, web(4, cfg));
    wait_all_v(m, 4, 4, 0);

    set_image(m, V2, None);
    let (min_running, state) = sample_until(m, &["completed", "paused"], &c);
    assert_eq!(state, "completed");
    assert!(
        min_running >= 4,
        "start-first dropped to {min_running} of 4"
    );
    wait_all_v(m, 4, 0, 4);

    // --force: same spec, every task replaced exactly once.
    let before: Vec<String> = live_ids(m);
    update(m, "web", |s| {
        let f = s["task"]["force_update"].as_u64().unwrap_or(0);
        s["task"]["force_update"] = json!(f + 1);
    });
    wait_for("forced update to complete", WAIT * 2, || {
        let ids = live_ids(m);
        let fresh = ids.iter().all(|i| !before.contains(i));
        (update_state(m)?.0 == "completed" && fresh && running_by_image(m) == (0, 4)).then_some(())
    });
    let all = tasks(m, "web");
    let mut forced_slots: Vec<u64> = all
        .iter()
        .filter(|t| t["spec"]["force_update"] == 1)
        .filter_map(|t| t["slot"].as_u64())
        .collect();
    forced_slots.sort_unstable();
    assert_eq!(
        forced_slots,
        vec![1, 2, 3, 4],
        "one new task per slot: {all:#?}"
    );
}

fn live_ids(n: &Node) -> Vec<String> {
    tasks(n, "web")
        .iter()
        .filter(|t| t["desired_state"] == "running")
        .filter_map(|t| t["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_new_leader_finishes_an_update_started_by_the_old_one() {
    let (_cleanup, mut c) = cluster(53, 3);
    let managers = [0, 1, 2];
    let cfg = json!({ "parallelism": 1, "delay_ms": 1500, "monitor_ms": 300 });
    create(&c.nodes[0], web(4, cfg));
    wait_all_v(&c.nodes[0], 4, 4, 0);

    let leader = wait_for("a leader", WAIT, || c.leader(&managers));
    set_image(&c.nodes[leader], V2, None);
    // Let the first batch go, then kill the leader mid-update.
    wait_for("the update to start", WAIT, || {
        let (_, v2) = running_by_image(&c.nodes[leader]);
        (v2 >= 1).then_some(())
    });
    assert_eq!(update_state(&c.nodes[leader]).unwrap().0, "updating");
    c.nodes[leader].kill9();
    let rest: Vec<usize> = managers.iter().copied().filter(|&i| i != leader).collect();
    let new = wait_for("a new leader", WAIT, || c.leader(&rest));
    let n = &c.nodes[new];
    wait_for("the new leader to complete the update", WAIT * 2, || {
        (update_state(n)?.0 == "completed").then_some(())
    });
    // The old leader's tasks are on a dead node: all 4 v2 tasks run on the live nodes.
    wait_for("4 v2 tasks", WAIT, || {
        (running_by_image(n).1 == 4).then_some(())
    });
}
