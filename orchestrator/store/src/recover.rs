//! `--force-new-cluster`: turn one surviving manager's store into a one-voter cluster, keeping
//! its data.
//!
//! The state machine is brought up to date with every entry left in the local log (as etcd does),
//! its membership is rewritten to `{survivor}`, other managers are dropped from the state, and the
//! log and snapshot are cleared (`purged` = last applied). On start, openraft sees a single-voter
//! membership containing itself and elects itself.

use std::collections::{BTreeMap, BTreeSet};

use openraft::{BasicNode, Entry, EntryPayload, Membership, StoredMembership};

use crate::db::{key, Db, LOGS, META};
use crate::error::StoreError;
use crate::state_machine::Applied;
use crate::types::TypeConfig;

/// Rewrites the store in `db` so that `survivor` (reachable at `addr`) is the only voter.
pub fn force_new_cluster(db: &Db, survivor: u64, addr: &str) -> Result<(), StoreError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt {
        what: what.into(),
        message: e.to_string(),
    };
    let dberr = |e: &dyn std::fmt::Display| StoreError::Db {
        path: "state".into(),
        message: e.to_string(),
    };
    let mut applied: Applied = db
        .get(key::SM)
        .map_err(|e| corrupt("state machine", &e))?
        .unwrap_or_default();
    // Replay what is left in the log past last_applied.
    {
        let tx = db.raw().begin_read().map_err(|e| dberr(&e))?;
        let t = tx.open_table(LOGS).map_err(|e| dberr(&e))?;
        let from = applied.last_applied.map(|l| l.index + 1).unwrap_or(0);
        for item in t.range(from..).map_err(|e| dberr(&e))? {
            let (_, v) = item.map_err(|e| dberr(&e))?;
            let entry: Entry<TypeConfig> =
                serde_json::from_slice(v.value()).map_err(|e| corrupt("log entry", &e))?;
            applied.last_applied = Some(entry.log_id);
            if let EntryPayload::Normal(cmd) = &entry.payload {
                applied.state.apply(cmd);
            }
        }
    }
    let Some(last) = applied.last_applied else {
        return Err(StoreError::Empty(
            "this state directory never joined a cluster; use `swarmd init` without --force-new-cluster".into(),
        ));
    };
    if !applied.state.nodes.contains_key(&survivor) {
        return Err(StoreError::Empty(format!(
            "node {} is not in its own stored state",
            swarm_api::node::format_node_id(survivor)
        )));
    }
    applied.state.keep_single_manager(survivor);
    let voters = BTreeSet::from([survivor]);
    let nodes = BTreeMap::from([(survivor, BasicNode::new(addr))]);
    applied.membership = StoredMembership::new(Some(last), Membership::new(vec![voters], nodes));

    let sm = serde_json::to_vec(&applied).map_err(|e| corrupt("state machine", &e))?;
    let purged = serde_json::to_vec(&last).map_err(|e| corrupt("log id", &e))?;
    let committed = serde_json::to_vec(&Some(last)).map_err(|e| corrupt("log id", &e))?;
    let tx = db.raw().begin_write().map_err(|e| dberr(&e))?;
    {
        let mut logs = tx.open_table(LOGS).map_err(|e| dberr(&e))?;
        logs.retain(|_, _| false).map_err(|e| dberr(&e))?;
        let mut m = tx.open_table(META).map_err(|e| dberr(&e))?;
        m.insert(key::SM, sm.as_slice()).map_err(|e| dberr(&e))?;
        m.insert(key::PURGED, purged.as_slice())
            .map_err(|e| dberr(&e))?;
        m.insert(key::COMMITTED, committed.as_slice())
            .map_err(|e| dberr(&e))?;
        m.remove(key::SNAPSHOT_META).map_err(|e| dberr(&e))?;
        m.remove(key::SNAPSHOT_DATA).map_err(|e| dberr(&e))?;
    }
    tx.commit().map_err(|e| dberr(&e))?;
    Ok(())
}
