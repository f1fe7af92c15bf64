//! The redb database holding the Raft log, vote, committed index, state machine and snapshot.

use std::path::Path;
use std::sync::Arc;

use openraft::AnyError;
use redb::{Database, Durability, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::StoreError;

/// Log entries by index (JSON).
pub const LOGS: TableDefinition<u64, &[u8]> = TableDefinition::new("logs");
/// Small records by name (JSON or raw bytes).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Keys of [`META`].
pub mod key {
    /// The current vote.
    pub const VOTE: &str = "vote";
    /// The last committed log id (a hint; may lag).
    pub const COMMITTED: &str = "committed";
    /// The last purged log id.
    pub const PURGED: &str = "purged";
    /// The applied state machine (last applied, membership, state).
    pub const SM: &str = "sm";
    /// Metadata of the current snapshot.
    pub const SNAPSHOT_META: &str = "snapshot_meta";
    /// Data of the current snapshot.
    pub const SNAPSHOT_DATA: &str = "snapshot_data";
}

/// A shared handle on the database file.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
}

/// Turns any displayable error into openraft's error payload.
pub fn any(e: impl std::fmt::Display) -> AnyError {
    AnyError::error(e.to_string())
}

impl Db {
    /// Opens or creates the database at `path` and its tables.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let err = |e: &dyn std::fmt::Display| StoreError::Db {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let db = Database::create(path).map_err(|e| err(&e))?;
        let tx = db.begin_write().map_err(|e| err(&e))?;
        tx.open_table(LOGS).map_err(|e| err(&e))?;
        tx.open_table(META).map_err(|e| err(&e))?;
        tx.commit().map_err(|e| err(&e))?;
        Ok(Db {
            inner: Arc::new(db),
        })
    }

    /// The underlying database.
    pub fn raw(&self) -> &Database {
        &self.inner
    }

    /// Reads raw bytes of a meta record.
    pub fn get_raw(&self, k: &str) -> Result<Option<Vec<u8>>, AnyError> {
        let tx = self.inner.begin_read().map_err(any)?;
        let t = tx.open_table(META).map_err(any)?;
        let v = t.get(k).map_err(any)?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    /// Reads and decodes a JSON meta record.
    pub fn get<T: DeserializeOwned>(&self, k: &str) -> Result<Option<T>, AnyError> {
        match self.get_raw(k)? {
            Some(b) => Ok(Some(serde_json::from_slice(&b).map_err(any)?)),
            None => Ok(None),
        }
    }

    /// Writes JSON meta records in one transaction; `sync` decides whether it is fsynced now.
    pub fn put<T: Serialize>(&self, records: &[(&str, &T)], sync: bool) -> Result<(), AnyError> {
        let encoded: Vec<(&str, Vec<u8>)> = records
            .iter()
            .map(|(k, v)| Ok((*k, serde_json::to_vec(v).map_err(any)?)))
            .collect::<Result<_, AnyError>>()?;
        let raw: Vec<(&str, &[u8])> = encoded.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        self.put_raw(&raw, sync)
    }

    /// Writes raw meta records in one transaction.
    pub fn put_raw(&self, records: &[(&str, &[u8])], sync: bool) -> Result<(), AnyError> {
        let mut tx = self.inner.begin_write().map_err(any)?;
        tx.set_durability(durability(sync));
        {
            let mut t = tx.open_table(META).map_err(any)?;
            for (k, v) in records {
                t.insert(*k, *v).map_err(any)?;
            }
        }
        tx.commit().map_err(any)
    }

    /// Deletes meta records.
    pub fn delete(&self, keys: &[&str], sync: bool) -> Result<(), AnyError> {
        let mut tx = self.inner.begin_write().map_err(any)?;
        tx.set_durability(durability(sync));
        {
            let mut t = tx.open_table(META).map_err(any)?;
            for k in keys {
                t.remove(*k).map_err(any)?;
            }
        }
        tx.commit().map_err(any)
    }

    /// Makes every earlier commit durable: an empty commit with fsync.
    pub fn sync(&self) -> Result<(), AnyError> {
        let mut tx = self.inner.begin_write().map_err(any)?;
        tx.set_durability(Durability::Immediate);
        tx.commit().map_err(any)
    }

    /// The last log entry's index and bytes, if any.
    pub fn last_log(&self) -> Result<Option<Vec<u8>>, AnyError> {
        let tx = self.inner.begin_read().map_err(any)?;
        let t = tx.open_table(LOGS).map_err(any)?;
        let last = t.last().map_err(any)?;
        Ok(last.map(|(_, v)| v.value().to_vec()))
    }
}

fn durability(sync: bool) -> Durability {
    if sync {
        Durability::Immediate
    } else {
        Durability::None
    }
}
