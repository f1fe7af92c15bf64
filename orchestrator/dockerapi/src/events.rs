//! `GET /events` (issue 21): the manager's cluster events (`swarmd events`, `GET /v1/events`)
//! for the docker CLI. Swarmd's events already have docker's JSON shape (`Type`, `Action`,
//! `Actor`, `scope`, `time`, `timeNano`), so the stream passes through; `since`, `until` and the
//! `type` and `event` filters map onto the manager's query.

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use swarm_api::event::{EventQuery, EVENTS_PATH};
use swarm_api::routes;

use crate::backend::Caller;
use crate::error::Result;
use crate::filters::Filters;
use crate::S;

/// The query of `GET /events`.
#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    /// Unix seconds (with a fraction) or RFC 3339.
    since: Option<String>,
    /// Unix seconds (with a fraction) or RFC 3339.
    until: Option<String>,
    /// `{"type":{"service":true},"event":{"create":true}}` (or lists).
    filters: Option<String>,
}

fn ns(field: &str, v: &Option<String>) -> Result<Option<u64>> {
    Ok(
        crate::time::parse_log_time(field, v.as_deref().unwrap_or(""))?
            .map(|n| u64::try_from(n.max(0)).unwrap_or(u64::MAX)),
    )
}

/// The manager's query for docker's (pure).
pub fn manager_query(q: &EventsQuery) -> Result<EventQuery> {
    let f = Filters::parse(q.filters.as_deref(), &["type", "event"])?;
    let join = |k: &str| {
        f.get(k)
            .map(|v| v.iter().cloned().collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    };
    Ok(EventQuery {
        since: ns("since", &q.since)?,
        until: ns("until", &q.until)?,
        types: join("type"),
        actions: join("event"),
    })
}

/// `GET /events`.
pub async fn events(st: S, c: Caller, Query(q): Query<EventsQuery>) -> Result<Response> {
    let mq = manager_query(&q)?;
    let mut parts = Vec::new();
    if let Some(s) = mq.since {
        parts.push(format!("since={s}"));
    }
    if let Some(u) = mq.until {
        parts.push(format!("until={u}"));
    }
    for (k, v) in [("types", &mq.types), ("actions", &mq.actions)] {
        if !v.is_empty() {
            parts.push(format!("{k}={v}"));
        }
    }
    let path = if parts.is_empty() {
        EVENTS_PATH.to_string()
    } else {
        format!("{EVENTS_PATH}?{}", parts.join("&"))
    };
    let body = st.backend.stream(&c, &routes::EVENTS, path).await?;
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_filters_and_times_map_onto_the_managers_query() {
        let q = EventsQuery {
            since: Some("1796137445.5".into()),
            until: None,
            filters: Some(r#"{"type":{"service":true,"node":true},"event":["remove"]}"#.into()),
        };
        let m = manager_query(&q).unwrap();
        assert_eq!(m.since, Some(1_796_137_445_500_000_000));
        assert_eq!(
            (m.types.as_str(), m.actions.as_str()),
            ("node,service", "remove")
        );
        let bad = EventsQuery {
            filters: Some(r#"{"image":{"x":true}}"#.into()),
            ..Default::default()
        };
        assert!(manager_query(&bad).is_err());
    }
}
