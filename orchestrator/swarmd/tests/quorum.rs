//! Quorum behaviour with real processes: demote/rm guards, losing the majority (writes refused,
//! reads served), and recovery with `init --force-new-cluster`.

mod common;

use common::{wait_for, Cluster, WAIT};

#[test]
fn guards_majority_loss_and_force_new_cluster() {
    let (mut c, [m1, m2, m3, w1]) = Cluster::start(32, ["m1", "m2", "m3", "w1"]);
    let o = c.nodes[m1].cli(&["node", "update", "w1", "--label-add", "keep=me"]);
    assert!(o.ok, "{o:?}");

    // rm of a manager is refused: demote first.
    let o = c.nodes[m1].cli(&["node", "rm", "--force", "m2"]);
    assert!(!o.ok && o.stderr.contains("demote it first"), "{o:?}");

    // Lose m3: demoting a healthy manager would leave 1 of 2 reachable -> refused, with advice.
    c.nodes[m3].kill9();
    // Both m1 (which demotes) and m2 (which leaves) judge from their own copy of the state.
    for judge in [m1, m2] {
        wait_for("m3 Down", WAIT, || {
            let nodes = c.nodes[judge].nodes()?;
            let n = nodes.iter().find(|n| n["hostname"] == "m3")?;
            (n["status"] == "down").then_some(())
        });
    }
    let o = c.nodes[m1].cli(&["node", "demote", "m2"]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stderr.contains("quorum") && o.stderr.contains("Restore"),
        "{o:?}"
    );
    // A manager leaving would also break quorum.
    // Docker's refusal names what it costs: 1 of the 3 managers left reachable.
    let o = c.nodes[m2].cli(&["leave"]);
    assert!(
        !o.ok
            && o.stderr.contains(
                "Removing this node leaves 1 managers out of 3. Without a Raft quorum your \
                 swarm will be inaccessible."
            ),
        "{o:?}"
    );

    // Lose the majority: writes fail with "no quorum", reads still answer.
    c.nodes[m2].kill9();
    let o = wait_for("writes refused", WAIT, || {
        let o = c.nodes[m1].cli(&["node", "update", "w1", "--label-add", "x=y"]);
        (!o.ok).then_some(o)
    });
    assert!(o.stderr.contains("no quorum"), "{o:?}");
    let nodes = c.nodes[m1].nodes().expect("reads served without quorum");
    assert_eq!(nodes.len(), 4);
    let o = c.nodes[w1].cli(&["info", "--format", "json"]);
    assert!(o.ok, "{o:?}");

    // Recover: force a new cluster from the survivor; data kept, other managers dropped.
    c.nodes[m1].kill9();
    let dir = c.nodes[m1].dir.display().to_string();
    c.nodes[m1].spawn_args(&["init", "--force-new-cluster"]);
    c.nodes[m1].wait_up();
    let nodes = wait_for("recovered cluster", WAIT, || {
        let nodes = c.nodes[m1].nodes()?;
        (nodes.len() == 2).then_some(nodes)
    });
    let w = nodes
        .iter()
        .find(|n| n["hostname"] == "w1")
        .expect("worker kept");
    assert_eq!(w["labels"]["keep"], "me");
    let me = nodes.iter().find(|n| n["hostname"] == "m1").unwrap();
    assert_eq!(me["manager_status"], "leader");
    let o = c.nodes[m1].cli(&["node", "update", "w1", "--label-add", "after=recovery"]);
    assert!(o.ok, "write after recovery: {o:?}\n{}", c.logs());
    // The worker kept heartbeating to m1 and is Ready; a new manager can join.
    let m4 = c.join("m4", "manager", m1);
    wait_for("m4 sees two voters", WAIT, || {
        let info = c.nodes[m4].info()?;
        (info["voters"].as_array()?.len() == 2).then_some(())
    });
    assert!(!dir.is_empty());
}
