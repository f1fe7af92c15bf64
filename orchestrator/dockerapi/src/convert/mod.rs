//! Explicit conversions between the Engine API's models (`bollard_stubs::models`) and
//! swarmd's own types (`swarm_api`), one file per object. Pure: no I/O.

pub mod file_object;
pub mod network;
pub mod node;
pub mod service;
pub mod task;

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Converts between two enums that serialise to the same strings (swarmd's and docker's
/// `"running"`, `"on-failure"`, `"vip"`, ...); None for docker's empty variant or a value the
/// other side does not have.
pub fn same_name<T: Serialize, U: DeserializeOwned>(v: &T) -> Option<U> {
    let value = serde_json::to_value(v).ok()?;
    if value.as_str() == Some("") {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// A docker label map as swarmd's.
pub fn labels_in(m: &Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    m.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// swarmd's label map as docker's (always present, as docker answers `{}`).
pub fn labels_out(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A list, or None when empty (docker leaves empty lists out).
pub fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// A string, or None when empty.
pub fn non_empty_str(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A version object `{"Index": n}`.
pub fn version(index: u64) -> Option<bollard_stubs::models::ObjectVersion> {
    Some(bollard_stubs::models::ObjectVersion { index: Some(index) })
}
