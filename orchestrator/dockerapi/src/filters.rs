//! Docker's `filters` query parameter: JSON `{"name":{"web":true}}` (or the older
//! `{"name":["web"]}`), matched as moby does: `id` and `name` by prefix, labels as `key` or
//! `key=value`, anything else exactly.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{DockerError, Result};

/// Parsed filters: each key with its accepted values (any of them may match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, BTreeSet<String>>);

impl Filters {
    /// Parses the `filters` query value (absent or empty: no filter); refuses keys that are not
    /// in `known` with docker's message.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self> {
        let raw = raw.unwrap_or("").trim();
        if raw.is_empty() {
            return Ok(Filters::default());
        }
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| DockerError::bad_request(format!("invalid filters {raw:?}: {e}")))?;
        let Some(obj) = value.as_object() else {
            return Err(DockerError::bad_request(format!(
                "invalid filters {raw:?}: expected a JSON object"
            )));
        };
        let mut out = BTreeMap::new();
        for (key, v) in obj {
            if !known.contains(&key.as_str()) {
                return Err(DockerError::bad_request(format!(
                    "invalid filter '{key}' (supported: {})",
                    known.join(", ")
                )));
            }
            let values: BTreeSet<String> = match v {
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, on)| on.as_bool() != Some(false))
                    .map(|(k, _)| k.clone())
                    .collect(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    return Err(DockerError::bad_request(format!(
                        "invalid filter '{key}': expected {{\"value\": true}}"
                    )))
                }
            };
            out.insert(key.clone(), values);
        }
        Ok(Filters(out))
    }

    /// The values given for `key` (None when the key is not filtered on).
    pub fn get(&self, key: &str) -> Option<&BTreeSet<String>> {
        self.0.get(key)
    }

    /// Whether `key` is filtered on.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// True unless `key` is filtered and no value satisfies `pred`.
    pub fn any(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        self.get(key).is_none_or(|vs| vs.iter().any(|v| pred(v)))
    }

    /// `key` matched by prefix (moby's `id` and `name` filters).
    pub fn prefix(&self, key: &str, actual: &str) -> bool {
        self.any(key, |v| actual.starts_with(v))
    }

    /// `key` matched exactly, case-insensitively.
    pub fn exact(&self, key: &str, actual: &str) -> bool {
        self.any(key, |v| v.eq_ignore_ascii_case(actual))
    }

    /// The `label` filter: every value given (`key` or `key=value`) must hold.
    pub fn labels<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.get("label").is_none_or(|vs| {
            vs.iter().all(|v| match v.split_once('=') {
                Some((k, want)) => labels(k) == Some(want),
                None => labels(v).is_some(),
            })
        })
    }
}

/// A docker query boolean: `1`, `true` or `True` (absent or anything else: false).
pub fn truthy(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true" | "True"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_shapes_and_matches_like_moby() {
        let f = Filters::parse(
            Some(r#"{"name":{"we":true},"label":["tier=front","x"]}"#),
            &["name", "label"],
        )
        .unwrap();
        assert!(f.prefix("name", "web"));
        assert!(!f.prefix("name", "db"));
        assert!(f.prefix("id", "anything"));
        let labels = |k: &str| match k {
            "tier" => Some("front"),
            "x" => Some(""),
            _ => None,
        };
        assert!(f.labels(labels));
        assert!(!f.labels(|_| None));
        let e = Filters::parse(Some(r#"{"colour":{"red":true}}"#), &["name"]).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.message.contains("invalid filter 'colour'"),
            "{}",
            e.message
        );
        assert_eq!(Filters::parse(None, &[]).unwrap(), Filters::default());
    }
}
