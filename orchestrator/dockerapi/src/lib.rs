//! The Docker Engine API for swarm mode on swarmd managers, so the real `docker` CLI (28.x,
//! API 1.50) drives a swarmd cluster: `docker node|service|network|secret|config ...`,
//! `docker stack deploy|ls|services|ps|rm` (the CLI reads the compose file itself and calls
//! these routes), `docker info`.
//!
//! Background: swarmd's own API (`/v1/...`, snake_case, milliseconds, verb routes) is not
//! docker's. This crate is a translation layer, not a second API: every docker request is
//! converted (PascalCase models of `bollard_stubs`, moby's published swagger, to swarmd's
//! `swarm_api` types, [`convert`]) and sent in process to the manager's own routes
//! ([`backend`]), so authorisation, validation, leader forwarding and read barriers are the
//! ones swarmd's CLI gets. Nothing new is stored.
//!
//! Design:
//! - [`router`] answers docker's unversioned paths (`/_ping`, `/info`, `/services/create`,
//!   ...); [`versioned`] in front of it strips docker's `/v1.NN` prefix (and refuses a version
//!   newer than [`API_VERSION`] as docker does). [`mount`] puts both behind the manager's own
//!   router as its fallback: swarmd's routes are `/v1/...` and `/raft/...` and never start
//!   with `/v1.` or one of docker's first segments, so both APIs share the TLS port.
//! - Unsupported fields: a field the request sets that does not survive the round trip
//!   docker → swarmd → docker is refused with 400 naming it ([`leftover`]); zero values the
//!   CLI always sends pass.
//! - Errors are docker's `{"message": ...}` with docker's status codes ([`error`]).
//!
//! Limits: no jobs, plugins, images or containers; a node's `Version.Index` is checked
//! against the state read, not inside the write (a racing change is not detected); swarm
//! spec changes other than token rotation are refused.

pub mod backend;
pub mod convert;
pub mod error;
pub mod events;
pub mod file_objects;
pub mod filters;
pub mod leftover;
pub mod logs;
pub mod networks;
pub mod nodes;
pub mod services;
pub mod swarm;
pub mod system;
pub mod tasks;
pub mod time;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use swarm_api::config::ConfigSpec;
use swarm_api::secret::SecretSpec;
use tower::ServiceExt;

pub use backend::{Backend, Caller};
pub use error::DockerError;

/// The API version answered (docker 28.2's).
pub const API_VERSION: &str = "1.50";
/// The oldest API version accepted.
pub const MIN_API_VERSION: &str = "1.24";

/// What the handlers share.
pub struct Docker {
    /// The manager's own routes.
    pub backend: Backend,
    /// The docker socket of this node, shown by `/info`.
    pub socket: Option<String>,
}

/// Shared state of the handlers.
pub type S = axum::extract::State<Arc<Docker>>;

/// Docker's routes at their unversioned paths.
pub fn router(docker: Docker) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .route("/swarm", get(swarm::inspect))
        .route("/swarm/update", post(swarm::update))
        .route("/swarm/leave", post(swarm::leave))
        .route("/swarm/unlockkey", get(swarm::unlock_key))
        .route("/swarm/unlock", post(swarm::unlock))
        .route("/swarm/init", post(swarm::init))
        .route("/swarm/join", post(swarm::join))
        .route("/nodes", get(nodes::list))
        .route("/nodes/:id", get(nodes::inspect).delete(nodes::remove))
        .route("/nodes/:id/update", post(nodes::update))
        .route("/services", get(services::list))
        .route("/services/create", post(services::create))
        .route(
            "/services/:id",
            get(services::inspect).delete(services::remove),
        )
        .route("/services/:id/update", post(services::update))
        .route("/services/:id/logs", get(logs::service_logs))
        .route("/tasks", get(tasks::list))
        .route("/tasks/:id", get(tasks::inspect))
        .route("/tasks/:id/logs", get(logs::task_logs))
        .route("/networks", get(networks::list))
        .route("/networks/create", post(networks::create))
        .route("/networks/prune", post(networks::prune))
        .route(
            "/networks/:id",
            get(networks::inspect).delete(networks::remove),
        )
        .merge(file_objects::routes::<SecretSpec>("/secrets"))
        .merge(file_objects::routes::<ConfigSpec>("/configs"))
        .route("/distribution/*name", get(system::distribution))
        .route("/events", get(events::events))
        .fallback(system::unknown)
        .with_state(Arc::new(docker))
        .layer(axum::middleware::map_response(system::docker_headers))
        .layer(axum::middleware::from_fn(log_request))
}

async fn log_request(req: Request, next: axum::middleware::Next) -> Response {
    tracing::debug!(method = %req.method(), path = %req.uri().path(), "docker API");
    next.run(req).await
}

/// Docker's `/vX.Y` prefix: the path without it, or an error for a version this API does not
/// speak. Paths without the prefix are returned as they are.
pub fn strip_version(path: &str) -> Result<Option<&str>, DockerError> {
    let Some(rest) = path.strip_prefix("/v") else {
        return Ok(None);
    };
    let (ver, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let Some((major, minor)) = ver.split_once('.') else {
        return Ok(None);
    };
    let (Ok(major), Ok(minor)) = (major.parse::<u32>(), minor.parse::<u32>()) else {
        return Ok(None);
    };
    let (max_major, max_minor) = (1, 50);
    if (major, minor) > (max_major, max_minor) {
        return Err(DockerError::bad_request(format!(
            "client version {major}.{minor} is too new. Maximum supported API version is {API_VERSION}"
        )));
    }
    if (major, minor) < (1, 24) {
        return Err(DockerError::bad_request(format!(
            "client version {major}.{minor} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
        )));
    }
    Ok(Some(tail))
}

/// `docker` in front: strips the version prefix, then answers with `docker`'s routes.
pub fn versioned(docker: Router) -> Router {
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let docker = docker.clone();
        async move { Ok::<_, std::convert::Infallible>(dispatch(docker, req).await) }
    }))
}

async fn dispatch(docker: Router, mut req: Request) -> Response {
    // Who is calling, as the connection said, before any routing adds its own extensions.
    let caller = Caller(req.extensions().clone());
    req.extensions_mut().insert(caller);
    let path = req.uri().path().to_string();
    match strip_version(&path) {
        Err(e) => return e.into_response(),
        Ok(Some(tail)) => {
            let pq = match req.uri().query() {
                Some(q) => format!("{tail}?{q}"),
                None => tail.to_string(),
            };
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = pq.parse().ok();
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
        Ok(None) => {}
    }
    match docker.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// The manager's own router with docker's behind it: what swarmd's routes do not answer
/// goes to docker's ([`versioned`]).
pub fn mount(own: Router, docker: Router) -> Router {
    own.fallback_service(versioned(docker))
}
