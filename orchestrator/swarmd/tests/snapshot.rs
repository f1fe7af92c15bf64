//! Snapshots and log compaction with real processes: after the leader compacted its log, a new
//! manager catches up through a snapshot, and keeps the state across a kill -9 restart.

mod common;

use common::{wait_for, Cluster, WAIT};

#[test]
fn new_manager_catches_up_from_snapshot_after_compaction() {
    let mut c = Cluster::new(37);
    c.extra = vec!["--snapshot-every".into(), "10".into()];
    let m1 = c.init("m1");
    for k in 0..40 {
        let o = c.nodes[m1].cli(&["node", "update", "m1", "--label-add", &format!("k{k}=v{k}")]);
        assert!(o.ok, "{o:?}");
    }
    let info = wait_for("compaction", WAIT, || {
        let info = c.nodes[m1].info()?;
        (info["purged"].as_u64()? > 0).then_some(info)
    });
    assert!(info["snapshot"].as_u64().unwrap_or(0) > 0, "{info}");

    let m2 = c.join("m2", "manager", m1);
    let has_all = |c: &Cluster, i: usize| {
        let nodes = c.nodes[i].nodes()?;
        let n = nodes.iter().find(|n| n["hostname"] == "m1")?;
        (n["labels"].as_object()?.len() == 40).then_some(())
    };
    wait_for("m2 has the state", WAIT, || has_all(&c, m2));
    let info2 = c.nodes[m2].info().unwrap();
    assert!(
        info2["snapshot"].as_u64().is_some(),
        "m2 installed a snapshot: {info2}"
    );

    c.nodes[m2].kill9();
    c.nodes[m2].run();
    c.nodes[m2].wait_up();
    wait_for("m2 state after restart", WAIT, || has_all(&c, m2));
}
