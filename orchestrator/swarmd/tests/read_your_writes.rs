//! A client reads its own writes on the manager it wrote through, even when that manager is a
//! follower: a write forwarded to the leader is answered only once the follower has applied it
//! (the leader's answer carries the log index). Without that, `node update` through a follower
//! answered the node as it was before, and `secret create` through one answered "not found".

mod common;

use common::{api, wait_for, Cluster, WAIT};

#[test]
fn writes_through_a_follower_are_visible_there_at_once() {
    let (c, [m1, m2, m3]) = Cluster::start(73, ["m1", "m2", "m3"]);
    let leader = wait_for("a leader", WAIT, || c.leader(&[m1, m2, m3]));
    let follower = [m1, m2, m3].into_iter().find(|&i| i != leader).unwrap();
    for round in 0..50 {
        // The answer of `node update` is the node read on the follower right after the write.
        let body = serde_json::json!({
            "availability": null,
            "label_add": {"round": round.to_string()},
            "label_rm": [],
        });
        let view = api(&c.nodes[follower], "/v1/nodes/m1/update", Some(body))
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            view["labels"]["round"],
            round.to_string(),
            "round {round}: the follower answered a state without its own write: {view}"
        );
    }
}
