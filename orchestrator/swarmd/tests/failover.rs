//! Three managers and a worker as real processes: leader failover, writes continue, full restart
//! keeps the state, promote/demote.

mod common;

use common::{wait_for, Cluster, WAIT};

fn label_of(nodes: &[serde_json::Value], host: &str, key: &str) -> Option<String> {
    let n = nodes.iter().find(|n| n["hostname"] == host)?;
    n["labels"][key].as_str().map(str::to_string)
}

#[test]
fn leader_failover_restart_and_promote() {
    let (mut c, [m1, m2, m3, w1]) = Cluster::start(31, ["m1", "m2", "m3", "w1"]);

    // docker-like listing: 3 managers (one leader), one worker; workers have no manager status.
    let nodes = c.nodes[m2].nodes().expect("node ls on a follower");
    assert_eq!(nodes.len(), 4);
    let leaders = nodes
        .iter()
        .filter(|n| n["manager_status"] == "leader")
        .count();
    assert_eq!(leaders, 1, "{nodes:?}");
    let w = nodes.iter().find(|n| n["hostname"] == "w1").unwrap();
    assert_eq!(w["role"], "worker");
    assert!(w["manager_status"].is_null());
    // A worker does not serve the control API.
    let o = c.nodes[w1].cli(&["node", "ls"]);
    assert!(!o.ok && o.stderr.contains("not a swarm manager"), "{o:?}");

    // kill -9 the leader: a new leader is elected and writes continue.
    let managers = [m1, m2, m3];
    let old = wait_for("a leader", WAIT, || c.leader(&managers));
    c.nodes[old].kill9();
    let rest: Vec<usize> = managers.iter().copied().filter(|&i| i != old).collect();
    let new = wait_for("a new leader", WAIT, || c.leader(&rest));
    assert_ne!(new, old);
    let o = c.nodes[rest[0]].cli(&["node", "update", "w1", "--label-add", "zone=a"]);
    assert!(o.ok, "write after failover: {o:?}\n{}", c.logs());
    // The dead manager is reported Down / Unreachable.
    let old_name = c.nodes[old].name.clone();
    wait_for("old leader Down", WAIT, || {
        let nodes = c.nodes[new].nodes()?;
        let n = nodes.iter().find(|n| n["hostname"] == old_name.as_str())?;
        (n["status"] == "down" && n["manager_status"] == "unreachable").then_some(())
    });

    // Restart every manager (kill -9 the rest too): the state is intact.
    for &i in &rest {
        c.nodes[i].kill9();
    }
    for &i in &managers {
        c.nodes[i].run();
    }
    let leader = wait_for("leader after restart", WAIT, || c.leader(&managers));
    let nodes = c.nodes[leader].nodes().unwrap();
    assert_eq!(nodes.len(), 4);
    assert_eq!(label_of(&nodes, "w1", "zone").as_deref(), Some("a"));
    let o = c.nodes[m3].cli(&[
        "node",
        "update",
        "w1",
        "--label-add",
        "zone=b",
        "--availability",
        "drain",
    ]);
    assert!(o.ok, "write after restart: {o:?}");
    wait_for("label replicated to m1", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        (label_of(&nodes, "w1", "zone").as_deref() == Some("b")).then_some(())
    });

    // Promote the worker: it becomes a Raft voter; demote it again.
    let o = c.nodes[m1].cli(&["node", "promote", "w1"]);
    assert!(o.ok, "promote: {o:?}\n{}", c.logs());
    let w1_id = c.nodes[w1].id();
    wait_for("w1 voter", WAIT, || {
        let info = c.nodes[m2].info()?;
        let voters = info["voters"].as_array()?;
        (voters.len() == 4 && voters.iter().any(|v| v.as_str() == Some(w1_id.as_str())))
            .then_some(())
    });
    let o = c.nodes[m1].cli(&["node", "demote", "w1"]);
    assert!(o.ok, "demote: {o:?}");
    wait_for("w1 no longer a voter", WAIT, || {
        let info = c.nodes[m2].info()?;
        (info["voters"].as_array()?.len() == 3).then_some(())
    });
    let nodes = c.nodes[m1].nodes().unwrap();
    let w = nodes.iter().find(|n| n["hostname"] == "w1").unwrap();
    assert_eq!(w["role"], "worker");
}
