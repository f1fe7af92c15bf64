//! The Raft log and vote on redb (`RaftLogStorage`), with group commit.
//!
//! `append` writes the entries without fsync (they are readable at once) and hands openraft's
//! flush callback to a flusher thread. The flusher takes every pending callback, makes all
//! earlier writes durable with one fsynced commit, and only then reports them flushed. So
//! concurrent client writes share one fsync instead of paying one each. Votes, truncation and
//! purging are fsynced before they return.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::mpsc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, OptionalSend, RaftLogReader, StorageIOError, Vote};
use redb::Durability;

use crate::db::{any, key, Db, LOGS};
use crate::metrics::METRICS;
use crate::types::{LogId, StorageError, TypeConfig};

/// Log storage handle; cheap to clone (it is also its own log reader).
#[derive(Clone)]
pub struct LogStore {
    db: Db,
    flusher: mpsc::Sender<LogFlushed<TypeConfig>>,
}

impl LogStore {
    /// Log storage on `db`; starts its flusher thread (it ends when the last handle is dropped).
    pub fn new(db: Db) -> Self {
        let (tx, rx) = mpsc::channel::<LogFlushed<TypeConfig>>();
        let flush_db = db.clone();
        std::thread::Builder::new()
            .name("raft-log-flush".into())
            .spawn(move || flusher(flush_db, rx))
            .map(drop)
            .unwrap_or_else(|e| panic!("cannot start the log flusher thread: {e}"));
        LogStore { db, flusher: tx }
    }
}

/// Group commit: one fsync for every callback that is waiting.
fn flusher(db: Db, rx: mpsc::Receiver<LogFlushed<TypeConfig>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let t = swarm_metrics::start();
        let res = db.sync().map_err(|e| std::io::Error::other(e.to_string()));
        METRICS.fsync_seconds.observe_since(t);
        for cb in batch {
            cb.log_io_completed(match &res {
                Ok(()) => Ok(()),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            });
        }
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
        crate::metrics::committed(committed.map(|c| c.index));
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
        let t0 = swarm_metrics::start();
        let mut n = 0;
        let mut tx = self.db.raw().begin_write().map_err(wl)?;
        tx.set_durability(Durability::None);
        {
            let mut t = tx.open_table(LOGS).map_err(wl)?;
            for entry in entries {
                let bytes = serde_json::to_vec(&entry).map_err(wl)?;
                t.insert(entry.log_id.index, bytes.as_slice()).map_err(wl)?;
                n += 1;
            }
        }
        tx.commit().map_err(wl)?;
        if t0.is_some() {
            METRICS.append_seconds.observe_since(t0);
            METRICS.appended_entries.inc_by(n);
        }
        if let Err(mpsc::SendError(cb)) = self.flusher.send(callback) {
            // The flusher is gone (shutting down): flush inline.
            let res = self
                .db
                .sync()
                .map_err(|e| std::io::Error::other(e.to_string()));
            cb.log_io_completed(res);
        }
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
