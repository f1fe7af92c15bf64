//! The Raft log and vote on redb (`RaftLogStorage`). Appends and votes are fsynced before
//! openraft is told they are durable.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, OptionalSend, RaftLogReader, StorageIOError, Vote};

use crate::db::{any, key, Db, LOGS};
use crate::types::{LogId, StorageError, TypeConfig};

/// Log storage handle; cheap to clone (it is also its own log reader).
#[derive(Clone)]
pub struct LogStore {
    db: Db,
}

impl LogStore {
    /// Log storage on `db`.
    pub fn new(db: Db) -> Self {
        LogStore { db }
    }
}

fn rl(e: impl std::fmt::Display) -> StorageIOError<u64> {
    StorageIOError::read_logs(any(e))
}

fn wl(e: impl std::fmt::Display) -> StorageIOError<u64> {
    StorageIOError::write_logs(any(e))
}

fn bound_start(b: Bound<&u64>) -> u64 {
    match b {
        Bound::Included(x) => *x,
        Bound::Excluded(x) => x.saturating_add(1),
        Bound::Unbounded => 0,
    }
}

fn bound_end(b: Bound<&u64>) -> Option<u64> {
    match b {
        Bound::Included(x) => Some(x.saturating_add(1)),
        Bound::Excluded(x) => Some(*x),
        Bound::Unbounded => None,
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError> {
        let start = bound_start(range.start_bound());
        let end = bound_end(range.end_bound());
        let tx = self.db.raw().begin_read().map_err(rl)?;
        let t = tx.open_table(LOGS).map_err(rl)?;
        let iter = match end {
            Some(end) if end <= start => return Ok(Vec::new()),
            Some(end) => t.range(start..end),
            None => t.range(start..),
        }
        .map_err(rl)?;
        let mut out = Vec::new();
        for item in iter {
            let (_, v) = item.map_err(rl)?;
            let entry: Entry<TypeConfig> = serde_json::from_slice(v.value()).map_err(rl)?;
            out.push(entry);
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let purged: Option<LogId> = self
            .db
            .get(key::PURGED)
            .map_err(StorageIOError::read_logs)?;
        let last = match self.db.last_log().map_err(StorageIOError::read_logs)? {
            Some(b) => {
                let e: Entry<TypeConfig> = serde_json::from_slice(&b).map_err(rl)?;
                Some(e.log_id)
            }
            None => purged,
        };
        Ok(LogState {
            last_purged_log_id: purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError> {
        self.db
            .put(&[(key::VOTE, vote)], true)
            .map_err(|e| StorageIOError::write_vote(e).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError> {
        self.db
            .get(key::VOTE)
            .map_err(|e| StorageIOError::read_vote(e).into())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.db
            .put(&[(key::COMMITTED, &committed)], false)
            .map_err(|e| StorageIOError::write(e).into())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let v: Option<Option<LogId>> = self.db.get(key::COMMITTED).map_err(StorageIOError::read)?;
        Ok(v.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
    {
        let tx = self.db.raw().begin_write().map_err(wl)?;
        {
            let mut t = tx.open_table(LOGS).map_err(wl)?;
            for entry in entries {
                let bytes = serde_json::to_vec(&entry).map_err(wl)?;
                t.insert(entry.log_id.index, bytes.as_slice()).map_err(wl)?;
            }
        }
        tx.commit().map_err(wl)?;
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let tx = self.db.raw().begin_write().map_err(wl)?;
        {
            let mut t = tx.open_table(LOGS).map_err(wl)?;
            t.retain_in(log_id.index.., |_, _| false).map_err(wl)?;
        }
        tx.commit().map_err(wl)?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let tx = self.db.raw().begin_write().map_err(wl)?;
        {
            let bytes = serde_json::to_vec(&Some(log_id)).map_err(wl)?;
            let mut m = tx.open_table(crate::db::META).map_err(wl)?;
            m.insert(key::PURGED, bytes.as_slice()).map_err(wl)?;
            let mut t = tx.open_table(LOGS).map_err(wl)?;
            t.retain_in(..=log_id.index, |_, _| false).map_err(wl)?;
        }
        tx.commit().map_err(wl)?;
        Ok(())
    }
}
