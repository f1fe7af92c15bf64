//! How a user's key names an object (pure): its id, else its name, else a unique id prefix,
//! as docker resolves `docker service inspect KEY` (and the same for networks, secrets and
//! configs).

use std::collections::BTreeMap;

/// Why [`find_by_key`] (and [`crate::state::ClusterState::find_service`]) found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindError {
    /// No object matches.
    NotFound,
    /// Several objects' ids start with the key.
    Ambiguous,
}

/// The object of `map` (by id) that `key` names: the id itself, else the one whose `name_of`
/// is `key`, else the only id starting with `key` (an empty key is no prefix).
pub fn find_by_key<'a, T>(
    map: &'a BTreeMap<String, T>,
    key: &str,
    name_of: impl Fn(&T) -> &str,
) -> Result<&'a T, FindError> {
    if let Some(v) = map.get(key) {
        return Ok(v);
    }
    if let Some(v) = map.values().find(|v| name_of(v) == key) {
        return Ok(v);
    }
    let mut by_prefix = map.iter().filter(|(id, _)| id.starts_with(key));
    match (by_prefix.next(), by_prefix.next()) {
        (Some((_, v)), None) if !key.is_empty() => Ok(v),
        (Some(_), Some(_)) => Err(FindError::Ambiguous),
        _ => Err(FindError::NotFound),
    }
}
