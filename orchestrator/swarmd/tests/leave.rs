//! `swarmd leave` with real processes, as Docker behaves: a manager's `leave` is refused without
//! `--force` (Docker's message), then leaves with it (Raft membership shrinks); a worker leaves
//! and stays listed as Down until `node rm` (no `--force` needed); both wipe their state.

mod common;

use std::time::Duration;

use common::{wait_for, Cluster, WAIT};

#[test]
fn manager_and_worker_leave_and_rm() {
    let (mut c, [m1, m2, m3, w1, w2]) = Cluster::start(38, ["m1", "m2", "m3", "w1", "w2"]);

    // A manager's leave without --force is refused with Docker's message, and changes nothing.
    let o = c.nodes[m3].cli(&["leave"]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stderr.contains(
            "You are attempting to leave the swarm on a node that is participating as a \
             manager. The only way to restore a swarm that has lost consensus is to \
             reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message."
        ),
        "{o:?}"
    );
    assert_eq!(
        c.nodes[m2].info().unwrap()["voters"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(c.nodes[m3].dir.join("node.json").exists());
    // With --force it leaves: two voters remain and the node is gone from the list.
    let o = c.nodes[m3].cli(&["leave", "--force"]);
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

    // A worker leaves (as Docker: no --force needed) and stays listed as Down.
    let o = c.nodes[w1].cli(&["leave", "--format", "json"]);
    assert!(o.ok, "{o:?}");
    assert_eq!(o.json()["left"], true);
    wait_for("w1 state wiped", WAIT, || {
        (!c.nodes[w1].dir.join("node.json").exists()).then_some(())
    });
    wait_for("w1 listed as Down", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        let n = nodes.iter().find(|n| n["hostname"] == "w1");
        assert!(n.is_some(), "a worker that left stays listed: {nodes:?}");
        (n?["status"] == "down").then_some(())
    });
    // Seen from another manager, and after more than a Down period (1.5 s here) in which no
    // heartbeat could have made it Ready, it is still there, Down.
    std::thread::sleep(Duration::from_millis(2000));
    let nodes = c.nodes[m2].nodes().unwrap();
    let n = nodes
        .iter()
        .find(|n| n["hostname"] == "w1")
        .expect("w1 listed");
    assert_eq!(n["status"], "down", "{nodes:?}");
    // `node rm` removes it without --force, as it is Down.
    let o = c.nodes[m1].cli(&["node", "rm", "w1"]);
    assert!(o.ok, "{o:?}");
    assert_eq!(o.stdout.trim(), "w1");
    wait_for("w1 gone after node rm", WAIT, || {
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
    let (c, [m1, _m2, m3]) = Cluster::start(39, ["m1", "m2", "m3"]);

    let o = c.nodes[m1].cli(&["node", "demote", "m3"]);
    assert!(o.ok, "{o:?}");
    wait_for("m3 a worker in m3's own state", WAIT, || {
        let info = c.nodes[m3].info()?;
        (info["role"] == "worker").then_some(())
    });
    let o = c.nodes[m3].cli(&["leave"]);
    assert!(o.ok, "leave after demote: {o:?}\n{}", c.logs());
    // Out of the Raft group, still listed (Down) until `node rm`.
    wait_for("m3 Down and no voter", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        let m3 = nodes.iter().find(|n| n["hostname"] == "m3")?;
        let voters = c.nodes[m1].info()?["voters"].as_array()?.len();
        (m3["status"] == "down" && voters == 2).then_some(())
    });
    let o = c.nodes[m1].cli(&["node", "rm", "m3"]);
    assert!(o.ok, "{o:?}");
    wait_for("m3 gone", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        (nodes.len() == 2 && nodes.iter().all(|n| n["hostname"] != "m3")).then_some(())
    });
    // Writes go on with the two managers left.
    let o = c.nodes[m1].cli(&["node", "update", "m2", "--label-add", "a=b"]);
    assert!(o.ok, "{o:?}");
}
