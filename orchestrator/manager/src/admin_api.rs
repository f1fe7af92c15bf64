//! Admin certificates (`POST /v1/admin/cert`): the local root of a manager signs a user's CSR as
//! an admin client certificate of the cluster CA (`swarmd admin-cert`).
//!
//! Only the node's unix socket may call it: whoever can log into a manager as root is the cluster's
//! administrator; the TLS API never hands out certificates (an admin cannot mint more admins
//! remotely, a node certificate cannot become an admin).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use swarm_api::admin::{AdminCertRequest, AdminCertResponse};

use crate::ca::{sign_admin_csr, CertKey};
use crate::error::ManagerError;
use crate::node::Node;
use crate::server::Peer;

/// The admin routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new().route("/v1/admin/cert", post(admin_cert))
}

async fn admin_cert(
    State(n): State<Arc<Node>>,
    Extension(p): Extension<Peer>,
    Json(req): Json<AdminCertRequest>,
) -> Result<Json<AdminCertResponse>, ManagerError> {
    if p != Peer::Local {
        return Err(ManagerError::Forbidden(
            "admin certificates are only signed on a manager's local socket: run \
             `swarmd admin-cert` on the manager"
                .into(),
        ));
    }
    n.require_manager()?;
    let cluster = n.snapshot().cluster.ok_or_else(|| {
        ManagerError::Conflict("this manager has no cluster state yet; retry".into())
    })?;
    let ca = CertKey {
        cert_pem: cluster.ca_cert_pem.clone(),
        key_pem: cluster.ca_key_pem.clone(),
    };
    let (cert_pem, not_after) = sign_admin_csr(&ca, &req.csr_pem, &req.name, req.days)?;
    tracing::info!(admin = %req.name, days = req.days, %not_after, "signed an admin certificate");
    Ok(Json(AdminCertResponse {
        cert_pem,
        ca_cert_pem: cluster.ca_cert_pem,
        name: req.name,
        not_after,
    }))
}
