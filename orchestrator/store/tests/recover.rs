//! `force_new_cluster` on a real redb store: committed-but-unapplied entries are replayed, the
//! membership becomes the survivor alone, other managers leave the state, the log is cleared.

use std::collections::{BTreeMap, BTreeSet};

use openraft::storage::{RaftLogStorage, RaftStateMachine};
use openraft::{BasicNode, CommittedLeaderId, Entry, EntryPayload, LogId, Membership};
use swarm_api::cluster::ClusterInfo;
use swarm_api::command::Command;
use swarm_api::node::Role;
use swarm_store::db::LOGS;
use swarm_store::recover::force_new_cluster;
use swarm_store::{Db, LogStore, StateMachine, TypeConfig};
use swarm_testkit::node;

fn entry(index: u64, payload: EntryPayload<TypeConfig>) -> Entry<TypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload,
    }
}

#[tokio::test]
async fn survivor_keeps_data_and_becomes_sole_voter() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = Db::open(&dir.path().join("raft.redb")).unwrap();
    let nodes: BTreeMap<u64, BasicNode> = (1..=3)
        .map(|i| (i, BasicNode::new(format!("a{i}"))))
        .collect();
    let membership = Membership::new(vec![BTreeSet::from([1, 2, 3])], nodes);
    let cluster = ClusterInfo {
        id: "c".into(),
        ca_cert_pem: "cert".into(),
        ca_key_pem: "key".into(),
        worker_secret: "w".into(),
        manager_secret: "m".into(),
    };
    let entries = vec![
        entry(0, EntryPayload::Membership(membership)),
        entry(
            1,
            EntryPayload::Normal(Command::InitCluster {
                cluster,
                node: node(1, Role::Manager),
            }),
        ),
        entry(
            2,
            EntryPayload::Normal(Command::AddNode {
                node: node(2, Role::Manager),
            }),
        ),
        entry(
            3,
            EntryPayload::Normal(Command::AddNode {
                node: node(3, Role::Manager),
            }),
        ),
        entry(
            4,
            EntryPayload::Normal(Command::AddNode {
                node: node(4, Role::Worker),
            }),
        ),
    ];
    {
        let tx = db.raw().begin_write().unwrap();
        {
            let mut t = tx.open_table(LOGS).unwrap();
            for e in &entries {
                t.insert(e.log_id.index, serde_json::to_vec(e).unwrap().as_slice())
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    // Apply only the first three entries; the rest stays in the log.
    let mut sm = StateMachine::open(db.clone()).unwrap();
    sm.apply(entries[..3].to_vec()).await.unwrap();
    drop(sm);

    force_new_cluster(&db, 1, "127.0.0.1:9").unwrap();

    let mut sm = StateMachine::open(db.clone()).unwrap();
    let (applied, membership) = sm.applied_state().await.unwrap();
    assert_eq!(applied.map(|l| l.index), Some(4));
    let voters: Vec<u64> = membership.membership().voter_ids().collect();
    assert_eq!(voters, vec![1]);
    let state = sm.shared().read().unwrap().state.clone();
    let ids: Vec<u64> = state.nodes.keys().copied().collect();
    assert_eq!(
        ids,
        vec![1, 4],
        "other managers dropped, unapplied worker kept"
    );
    let mut log = LogStore::new(db.clone());
    let ls = log.get_log_state().await.unwrap();
    assert_eq!(ls.last_log_id.map(|l| l.index), Some(4));
    assert_eq!(ls.last_purged_log_id.map(|l| l.index), Some(4));
}

#[test]
fn refuses_an_empty_store() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = Db::open(&dir.path().join("raft.redb")).unwrap();
    let err = force_new_cluster(&db, 1, "127.0.0.1:9").unwrap_err();
    assert!(err.to_string().contains("never joined"), "{err}");
}
