//! `GET /v1/events` (issue 21): the events this manager derived from the Raft commands it
//! applied (`swarm_store::events`), as newline-delimited JSON. With `since`, the kept ones
//! from then on come first; then new ones as they are applied, until `until` passes, the
//! client goes, or the node stops.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Query;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use swarm_api::event::{Event, EventQuery};
use tokio::sync::{broadcast, mpsc};

use crate::error::ManagerError;
use crate::extract::Call;
use crate::node::Node;

fn now_nano() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub(crate) async fn stream(
    Call(n, p): Call,
    Query(q): Query<EventQuery>,
) -> Result<Response, ManagerError> {
    crate::auth::control_peer(&n, p)?;
    n.require_manager()?;
    let Some(log) = n.events.get().cloned() else {
        return Err(ManagerError::NotFound("this node keeps no events".into()));
    };
    let (kept, rx) = log.replay_and_subscribe();
    let backlog: Vec<Event> = match q.since {
        Some(_) => kept.into_iter().filter(|e| q.matches(e)).collect(),
        None => Vec::new(),
    };
    let (tx, out) = mpsc::channel::<Event>(256);
    tokio::spawn(forward(n, q, backlog, rx, tx));
    let body = futures_util::stream::unfold(out, |mut out| async move {
        let e = out.recv().await?;
        let mut bytes = serde_json::to_vec(&e).unwrap_or_default();
        bytes.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(bytes), out))
    });
    let mut res = Body::from_stream(body).into_response();
    res.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(res)
}

/// Sends the backlog, then the new events that match, until `until`, the client or the node
/// goes.
async fn forward(
    n: Arc<Node>,
    q: EventQuery,
    backlog: Vec<Event>,
    mut rx: broadcast::Receiver<Event>,
    tx: mpsc::Sender<Event>,
) {
    for e in backlog {
        if tx.send(e).await.is_err() {
            return;
        }
    }
    let stopped = n.stopped();
    tokio::pin!(stopped);
    loop {
        let left = q
            .until
            .map(|u| Duration::from_nanos(u.saturating_sub(now_nano())));
        if left == Some(Duration::ZERO) {
            return;
        }
        let until = tokio::time::sleep(left.unwrap_or(Duration::from_secs(3600)));
        tokio::select! {
            _ = &mut stopped => return,
            _ = tx.closed() => return,
            _ = until, if left.is_some() => return,
            r = rx.recv() => match r {
                Ok(e) if q.matches(&e) => {
                    if tx.send(e).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(k)) => {
                    tracing::warn!(missed = k, "events stream too slow; events dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
