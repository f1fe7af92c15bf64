//! Network partitions of a 5-manager cluster with iptables on loopback (needs root, as in CI):
//! the minority cannot commit, the majority can, and the minority converges after healing.

mod common;

use common::partition::{ip, Partition};
use common::{wait_for, Cluster, WAIT};

fn label(c: &Cluster, i: usize, key: &str) -> Option<String> {
    let nodes = c.nodes[i].nodes()?;
    let n = nodes.iter().find(|n| n["hostname"] == "m1")?;
    n["labels"][key].as_str().map(str::to_string)
}

#[test]
fn minority_cannot_commit_majority_can() {
    let mut c = Cluster::new(36);
    let m1 = c.init("m1");
    let mut managers = vec![m1];
    for name in ["m2", "m3", "m4", "m5"] {
        managers.push(c.join(name, "manager", m1));
    }
    let leader = wait_for("leader", WAIT, || c.leader(&managers));
    let other = managers.iter().copied().find(|&i| i != leader).unwrap();
    let minority = [leader, other];
    let majority: Vec<usize> = managers
        .iter()
        .copied()
        .filter(|i| !minority.contains(i))
        .collect();
    let ips = |set: &[usize]| {
        set.iter()
            .map(|&i| ip(&c.nodes[i].addr))
            .collect::<Vec<_>>()
    };

    let cut = Partition::new(&ips(&minority), &ips(&majority));
    // The majority elects a leader among itself and commits.
    let new = wait_for("majority leader", WAIT, || c.leader(&majority));
    assert!(majority.contains(&new));
    let o = wait_for("majority write", WAIT, || {
        let o = c.nodes[majority[0]].cli(&["node", "update", "m1", "--label-add", "side=majority"]);
        o.ok.then_some(o)
    });
    assert!(o.ok);
    // The old leader's side cannot commit: "no quorum"; its reads still answer.
    let o = wait_for("minority write refused", WAIT, || {
        let o = c.nodes[leader].cli(&["node", "update", "m1", "--label-add", "side=minority"]);
        (!o.ok).then_some(o)
    });
    assert!(o.stderr.contains("no quorum"), "{o:?}");
    assert!(c.nodes[other].nodes().is_some(), "reads on the minority");
    assert_eq!(label(&c, leader, "side"), None);

    // Heal: the minority catches up with the majority's writes.
    drop(cut);
    wait_for("minority converges", WAIT, || {
        minority
            .iter()
            .all(|&i| label(&c, i, "side").as_deref() == Some("majority"))
            .then_some(())
    });
    let l = wait_for("one leader after healing", WAIT, || c.leader(&managers));
    assert!(managers.contains(&l));
}
