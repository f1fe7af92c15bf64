//! Cluster events (`swarmd events`, issue 21): what changed in the replicated state, as
//! `docker events` reports swarm objects (type, action, actor id and attributes, time).
//!
//! Every manager derives them from the Raft commands it applies and keeps the last ones in a
//! bounded ring; `GET /v1/events` streams them as NDJSON ([`EVENTS_PATH`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The events route (NDJSON stream; query [`EventQuery`]).
pub const EVENTS_PATH: &str = "/v1/events";

/// Kinds of objects that have events.
pub const EVENT_TYPES: &[&str] = &["node", "service", "task", "network", "secret", "config"];

/// Actions.
pub const EVENT_ACTIONS: &[&str] = &["create", "update", "remove"];

/// One event, in docker's JSON shape (`Type`, `Action`, `Actor`, `scope`, `time`, `timeNano`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The object kind (one of [`EVENT_TYPES`]).
    #[serde(rename = "Type")]
    pub kind: String,
    /// `create`, `update` or `remove`.
    #[serde(rename = "Action")]
    pub action: String,
    /// The object.
    #[serde(rename = "Actor")]
    pub actor: Actor,
    /// Always `swarm`.
    pub scope: String,
    /// Unix seconds.
    pub time: u64,
    /// Unix nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: u64,
    /// Position in this manager's stream (the Raft log index it came from), for ordering.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The object an event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The object's id.
    #[serde(rename = "ID")]
    pub id: String,
    /// `name` and, where they apply, the old and new values of what changed.
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// An event at `time_nano` (Unix nanoseconds).
    pub fn new(kind: &str, action: &str, id: &str, name: &str, time_nano: u64) -> Event {
        let mut attributes = BTreeMap::new();
        if !name.is_empty() {
            attributes.insert("name".to_string(), name.to_string());
        }
        Event {
            kind: kind.to_string(),
            action: action.to_string(),
            actor: Actor {
                id: id.to_string(),
                attributes,
            },
            scope: "swarm".to_string(),
            time: time_nano / 1_000_000_000,
            time_nano,
            index: 0,
        }
    }
}

/// The query of [`EVENTS_PATH`]: a time window and filters (each list: any of its values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Replay the kept events from this time on (Unix nanoseconds); none: only new events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Stop at this time (Unix nanoseconds); the stream ends then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// Object kinds, comma separated (empty: all).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub types: String,
    /// Actions, comma separated (empty: all).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actions: String,
}

impl EventQuery {
    /// Whether `e` passes the filters and the window.
    pub fn matches(&self, e: &Event) -> bool {
        let any = |list: &str, v: &str| list.is_empty() || list.split(',').any(|x| x == v);
        any(&self.types, &e.kind)
            && any(&self.actions, &e.action)
            && self.since.is_none_or(|s| e.time_nano >= s)
            && self.until.is_none_or(|u| e.time_nano <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_is_dockers_and_filters_combine() {
        let e = Event::new("service", "create", "abc", "web", 1_796_137_445_123_456_789);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["Type"], "service");
        assert_eq!(v["Action"], "create");
        assert_eq!(v["Actor"]["ID"], "abc");
        assert_eq!(v["Actor"]["Attributes"]["name"], "web");
        assert_eq!(v["scope"], "swarm");
        assert_eq!(v["time"], 1_796_137_445u64);
        let q = EventQuery {
            types: "node,service".into(),
            actions: "create".into(),
            since: Some(e.time_nano),
            until: None,
        };
        assert!(q.matches(&e));
        assert!(!EventQuery {
            actions: "remove".into(),
            ..q.clone()
        }
        .matches(&e));
        assert!(!EventQuery {
            since: Some(e.time_nano + 1),
            ..q.clone()
        }
        .matches(&e));
        assert!(!EventQuery {
            types: "task".into(),
            ..q
        }
        .matches(&e));
    }
}
