//! The Raft state machine on redb (`RaftStateMachine`): applies committed commands to the
//! in-memory [`ClusterState`] (pure), persists it, and builds/installs snapshots.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, OptionalSend, RaftSnapshotBuilder, SnapshotMeta,
    StorageIOError, StoredMembership,
};
use serde::{Deserialize, Serialize};
use swarm_api::command::CommandResponse;

use crate::db::{any, key, Db};
use crate::state::ClusterState;
use crate::types::{LogId, StorageError, TypeConfig};

/// The applied state: what the state machine persists and snapshots.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Applied {
    /// Last applied log id.
    pub last_applied: Option<LogId>,
    /// Last applied membership.
    pub membership: StoredMembership<u64, BasicNode>,
    /// The cluster state.
    pub state: ClusterState,
}

/// Read access to the applied state for the control API (last known state, even without quorum).
pub type SharedState = Arc<RwLock<Applied>>;

/// Persist the applied state at least every this many entries. In between, a restart re-applies
/// the committed entries from the (durable) log.
pub const PERSIST_EVERY: u64 = 64;

fn now_nano() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// State machine handle; cheap to clone (it is also its own snapshot builder).
#[derive(Clone)]
pub struct StateMachine {
    db: Db,
    applied: SharedState,
    /// Log index of the last persisted applied state (+1; 0 = never).
    persisted: Arc<AtomicU64>,
    /// The events derived from what this replica applies.
    events: Arc<crate::events::EventLog>,
}

impl StateMachine {
    /// Loads the state machine persisted in `db` (empty if none).
    pub fn open(db: Db) -> Result<Self, StorageError> {
        let applied: Applied = db
            .get(key::SM)
            .map_err(StorageIOError::read_state_machine)?
            .unwrap_or_default();
        let persisted = applied.last_applied.map(|l| l.index + 1).unwrap_or(0);
        Ok(StateMachine {
            db,
            applied: Arc::new(RwLock::new(applied)),
            persisted: Arc::new(AtomicU64::new(persisted)),
            events: Arc::default(),
        })
    }

    /// The events this replica derives from what it applies ([`crate::events`]).
    pub fn events(&self) -> Arc<crate::events::EventLog> {
        self.events.clone()
    }

    /// The applied state, shared with the control API.
    pub fn shared(&self) -> SharedState {
        self.applied.clone()
    }

    fn snapshot_of(
        applied: &Applied,
    ) -> Result<(SnapshotMeta<u64, BasicNode>, Vec<u8>), StorageError> {
        let data = serde_json::to_vec(&applied.state).map_err(rsm)?;
        let id = match applied.last_applied {
            Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, data.len()),
            None => format!("empty-{}", data.len()),
        };
        let meta = SnapshotMeta {
            last_log_id: applied.last_applied,
            last_membership: applied.membership.clone(),
            snapshot_id: id,
        };
        Ok((meta, data))
    }

    fn store_snapshot(
        &self,
        meta: &SnapshotMeta<u64, BasicNode>,
        data: &[u8],
    ) -> Result<(), StorageError> {
        let werr = |e| StorageIOError::write_snapshot(Some(meta.signature()), e);
        let meta_bytes = serde_json::to_vec(meta).map_err(|e| werr(any(&e)))?;
        self.db
            .put_raw(
                &[
                    (key::SNAPSHOT_META, &meta_bytes),
                    (key::SNAPSHOT_DATA, data),
                ],
                true,
            )
            .map_err(wsm)?;
        Ok(())
    }
}

fn rsm(e: impl std::fmt::Display) -> StorageIOError<u64> {
    StorageIOError::read_state_machine(any(e))
}

fn wsm(e: impl std::fmt::Display) -> StorageIOError<u64> {
    StorageIOError::write_state_machine(any(e))
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let (meta, data, sm) = {
            let applied = self.applied.read().map_err(rsm)?;
            let (meta, data) = Self::snapshot_of(&applied)?;
            (meta, data, serde_json::to_vec(&*applied).map_err(rsm)?)
        };
        // The applied state must never be older than the snapshot: the log before it is purged.
        self.db
            .put_raw(&[(key::SM, &sm)], false)
            .map_err(StorageIOError::write_state_machine)?;
        let next = meta.last_log_id.map(|l| l.index + 1).unwrap_or(0);
        self.persisted.fetch_max(next, Ordering::SeqCst);
        self.store_snapshot(&meta, &data)?;
        crate::metrics::snapshot_size(data.len());
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId>, StoredMembership<u64, BasicNode>), StorageError> {
        let a = self.applied.read().map_err(rsm)?;
        Ok((a.last_applied, a.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResponse>, StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
    {
        let mut out = Vec::new();
        let mut events = Vec::new();
        let to_persist = {
            let mut a = self.applied.write().map_err(wsm)?;
            let mut membership_changed = false;
            for entry in entries {
                if swarm_metrics::enabled() {
                    crate::metrics::METRICS.applied_entries.inc();
                }
                a.last_applied = Some(entry.log_id);
                match entry.payload {
                    EntryPayload::Blank => out.push(CommandResponse::default()),
                    EntryPayload::Normal(cmd) => {
                        let mut cands = Vec::new();
                        crate::events::candidates(&cmd, &a.state, &mut cands);
                        out.push(a.state.apply(&cmd));
                        let now = now_nano();
                        events.extend(cands.iter().filter_map(|c| {
                            let mut e = crate::events::confirm(c, &a.state, now)?;
                            e.index = entry.log_id.index;
                            Some(e)
                        }));
                    }
                    EntryPayload::Membership(m) => {
                        a.membership = StoredMembership::new(Some(entry.log_id), m);
                        membership_changed = true;
                        out.push(CommandResponse::default());
                    }
                }
            }
            let next = a.last_applied.map(|l| l.index + 1).unwrap_or(0);
            let due = next >= self.persisted.load(Ordering::SeqCst) + PERSIST_EVERY;
            if due || membership_changed {
                Some((next, serde_json::to_vec(&*a).map_err(wsm)?))
            } else {
                None
            }
        };
        if let Some((next, bytes)) = to_persist {
            // Durable with the next fsynced log write; on restart openraft re-applies from here.
            self.db
                .put_raw(&[(key::SM, &bytes)], false)
                .map_err(StorageIOError::write_state_machine)?;
            self.persisted.store(next, Ordering::SeqCst);
        }
        self.events.push(events);
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let sig = meta.signature();
        let rerr =
            |e: &dyn std::fmt::Display| StorageIOError::read_snapshot(Some(sig.clone()), any(e));
        let state: ClusterState = serde_json::from_slice(&data).map_err(|e| rerr(&e))?;
        let new = Applied {
            last_applied: meta.last_log_id,
            membership: meta.last_membership.clone(),
            state,
        };
        let bytes = serde_json::to_vec(&new).map_err(|e| rerr(&e))?;
        self.store_snapshot(meta, &data)?;
        crate::metrics::snapshot_size(data.len());
        self.db
            .put_raw(&[(key::SM, &bytes)], true)
            .map_err(StorageIOError::write_state_machine)?;
        let next = new.last_applied.map(|l| l.index + 1).unwrap_or(0);
        *self.applied.write().map_err(|e| rerr(&e))? = new;
        self.persisted.store(next, Ordering::SeqCst);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        let rerr = |e| StorageIOError::read_snapshot(None, e);
        let meta: Option<SnapshotMeta<u64, BasicNode>> =
            self.db.get(key::SNAPSHOT_META).map_err(rerr)?;
        let Some(meta) = meta else { return Ok(None) };
        let data = self
            .db
            .get_raw(key::SNAPSHOT_DATA)
            .map_err(rerr)?
            .unwrap_or_default();
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
