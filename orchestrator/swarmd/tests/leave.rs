//! `swarmd leave` with real processes: a manager leaves (Raft membership shrinks), a worker
//! leaves, both wipe their state; `node rm` of a Down worker.

mod common;

use std::time::Duration;

use common::{wait_for, Cluster, WAIT};

#[test]
fn manager_and_worker_leave_and_rm() {
    let mut c = Cluster::new(38);
    let m1 = c.init("m1");
    let m2 = c.join("m2", "manager", m1);
    let m3 = c.join("m3", "manager", m1);
    let w1 = c.join("w1", "worker", m1);
    let w2 = c.join("w2", "worker", m1);

    // A manager leaves: two voters remain and the node is gone from the list.
    let o = c.nodes[m3].cli(&["leave"]);
    assert!(o.ok, "{o:?}\n{}", c.logs());
    wait_for("m3 gone", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        let voters = c.nodes[m2].info()?["voters"].as_array()?.len();
        (nodes.iter().all(|n| n["hostname"] != "m3") && voters == 2).then_some(())
    });
    wait_for("m3 state wiped", WAIT, || {
        (!c.nodes[m3].dir.join("node.json").exists()).then_some(())
    });
    // Writes still work with 2 managers.
    let o = c.nodes[m2].cli(&["node", "update", "w1", "--label-add", "a=b"]);
    assert!(o.ok, "{o:?}");

    // A worker leaves.
    let o = c.nodes[w1].cli(&["leave", "--format", "json"]);
    assert!(o.ok, "{o:?}");
    assert_eq!(o.json()["left"], true);
    wait_for("w1 gone", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        nodes.iter().all(|n| n["hostname"] != "w1").then_some(())
    });

    // A worker that dies is marked Down, then `node rm` (no --force needed) removes it.
    c.nodes[w2].kill9();
    wait_for("w2 Down", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        let n = nodes.iter().find(|n| n["hostname"] == "w2")?;
        (n["status"] == "down").then_some(())
    });
    let o = c.nodes[m1].cli(&["node", "rm", "w2"]);
    assert!(o.ok, "{o:?}");
    std::thread::sleep(Duration::from_millis(200));
    let nodes = c.nodes[m1].nodes().unwrap();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
}

#[test]
fn a_demoted_manager_leaves_like_a_worker() {
    let mut c = Cluster::new(39);
    let m1 = c.init("m1");
    c.join("m2", "manager", m1);
    let m3 = c.join("m3", "manager", m1);

    let o = c.nodes[m1].cli(&["node", "demote", "m3"]);
    assert!(o.ok, "{o:?}");
    wait_for("m3 a worker in m3's own state", WAIT, || {
        let info = c.nodes[m3].info()?;
        (info["role"] == "worker").then_some(())
    });
    let o = c.nodes[m3].cli(&["leave"]);
    assert!(o.ok, "leave after demote: {o:?}\n{}", c.logs());
    wait_for("m3 gone", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        (nodes.len() == 2 && nodes.iter().all(|n| n["hostname"] != "m3")).then_some(())
    });
    // Writes go on with the two managers left.
    let o = c.nodes[m1].cli(&["node", "update", "m2", "--label-add", "a=b"]);
    assert!(o.ok, "{o:?}");
}
