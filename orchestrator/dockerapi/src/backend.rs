//! Calls into the manager's own API, in process: the compatible API translates a docker
//! request into one or more swarmd routes (`swarm_api::routes`) and sends them to the
//! manager's router with the caller's request extensions (who is calling), so the same
//! handlers authorise, validate, forward writes to the leader and read through the read
//! barrier as for swarmd's own clients. No state is read or written here directly. The
//! manager's errors come back as docker's (`503` for "not a manager").

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, Method, Request};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use swarm_api::error::ErrorBody;
use swarm_api::routes::{Route, Verb};
use tower::ServiceExt;

use crate::error::{DockerError, Result};

/// The manager's own router (swarmd's `/v1/...` routes, state applied).
#[derive(Clone)]
pub struct Backend {
    inner: Router,
}

/// The extensions of the docker request as the connection gave them, before routing (the
/// caller's identity among them; not the docker route's path parameters), passed on to every
/// call into the manager's routes.
#[derive(Clone)]
pub struct Caller(pub Extensions);

#[axum::async_trait]
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller(Extensions::new())))
    }
}

impl Backend {
    /// Wraps the manager's router.
    pub fn new(inner: Router) -> Self {
        Backend { inner }
    }

    /// Calls `route` with its parameters filled in.
    pub async fn send<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        caller: &Caller,
        route: &Route<Req, Resp>,
        params: &[&str],
        body: &Req,
    ) -> Result<Resp> {
        self.send_to(caller, route, route.path(params), body).await
    }

    /// Calls `route` on the object `key` (an id, a unique id prefix or a name): a 404 is
    /// docker's "`kind` `key` not found".
    pub async fn send_key<Resp: DeserializeOwned>(
        &self,
        caller: &Caller,
        route: &Route<(), Resp>,
        kind: &str,
        key: &str,
    ) -> Result<Resp> {
        self.send(caller, route, &[key], &()).await.map_err(|e| {
            if e.status == 404 {
                DockerError::not_found(format!("{kind} {key} not found"))
            } else {
                e
            }
        })
    }

    /// Calls a streamed `route` (GET) at `path`: the answer's body as it comes.
    pub async fn stream<Resp>(
        &self,
        caller: &Caller,
        route: &Route<(), Resp>,
        path: String,
    ) -> Result<Body> {
        let req = Request::builder()
            .method(match route.verb {
                Verb::Get => Method::GET,
                Verb::Post => Method::POST,
            })
            .uri(path)
            .body(Body::empty())
            .map_err(|e| DockerError::internal(e.to_string()))?;
        Ok(self.answer(caller, req).await?.into_body())
    }

    /// Sends `req` with the caller's extensions to the manager's router: its answer when the
    /// status is 2xx, else the manager's error as docker's.
    async fn answer(&self, caller: &Caller, mut req: Request<Body>) -> Result<Response> {
        req.extensions_mut().extend(caller.0.clone());
        let res = self
            .inner
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| DockerError::internal(e.to_string()))?;
        let status = res.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(res);
        }
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
        Err(answer_error(status, message))
    }

    /// Calls `route` at `path` (built from the route, perhaps with a query).
    pub async fn send_to<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        caller: &Caller,
        route: &Route<Req, Resp>,
        path: String,
        body: &Req,
    ) -> Result<Resp> {
        let (method, bytes) = match route.verb {
            Verb::Get => (Method::GET, Vec::new()),
            Verb::Post => (
                Method::POST,
                serde_json::to_vec(body).map_err(|e| DockerError::internal(e.to_string()))?,
            ),
        };
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from(bytes))
            .map_err(|e| DockerError::internal(e.to_string()))?;
        let bytes = self
            .answer(caller, req)
            .await?
            .into_body()
            .collect()
            .await
            .map_err(|e| DockerError::internal(e.to_string()))?
            .to_bytes();
        serde_json::from_slice(&bytes)
            .map_err(|e| DockerError::internal(format!("decoding the manager's answer: {e}")))
    }
}

/// The manager's error answer as docker's: swarmd's "not a manager" (421) is docker's 503 with
/// docker's message; others keep their status and message.
fn answer_error(status: u16, message: String) -> DockerError {
    if status == 421 {
        DockerError::new(
            503,
            "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
        )
    } else {
        DockerError::new(status, message)
    }
}
