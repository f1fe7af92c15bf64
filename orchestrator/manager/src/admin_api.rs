//! Admin certificates: `POST /v1/admin/cert` has the local root of a manager sign a user's CSR as
//! an admin client certificate of the cluster CA (`swarmd admin-cert`); `GET /v1/admin/certs`
//! lists the certificates signed so far and `POST /v1/admin/certs/revoke` revokes them
//! (`swarmd admin-cert ls | revoke`).
//!
//! Only the node's unix socket may sign: whoever can log into a manager as root is the cluster's
//! administrator; the TLS API never hands out certificates (an admin cannot mint more admins
//! remotely, a node certificate cannot become an admin). Listing and revoking are control-API
//! calls: an admin whose colleague lost a laptop revokes that certificate from their own
//! machine. Each signature is committed to the replicated state before the certificate is
//! handed out, so every certificate in use can be listed and revoked.

use axum::Json;
use swarm_api::admin::{
    match_admin_certs, AdminCertRecord, AdminCertRequest, AdminCertResponse,
    RevokeAdminCertRequest, RevokeAdminCertResponse,
};
use swarm_api::command::Command;

use crate::ca::{sign_admin_csr, CertKey};
use crate::error::ManagerError;
use crate::extract::{Answer, Call, Control};
use crate::server::Peer;

pub(crate) async fn admin_cert(
    Call(n, p): Call,
    Json(req): Json<AdminCertRequest>,
) -> Answer<AdminCertResponse> {
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
    let signed = sign_admin_csr(&ca, &req.csr_pem, &req.name, req.days)?;
    n.write(Command::AdminCertIssued {
        record: AdminCertRecord {
            serial: signed.serial.clone(),
            name: req.name.clone(),
            not_after: signed.not_after.clone(),
            revoked: false,
        },
    })
    .await?;
    tracing::info!(
        admin = %req.name,
        serial = %signed.serial,
        days = req.days,
        not_after = %signed.not_after,
        "signed an admin certificate"
    );
    Ok(Json(AdminCertResponse {
        cert_pem: signed.cert_pem,
        ca_cert_pem: cluster.ca_cert_pem,
        name: req.name,
        not_after: signed.not_after,
        serial: signed.serial,
    }))
}

pub(crate) async fn list(Control(n): Control) -> Answer<Vec<AdminCertRecord>> {
    Ok(Json(n.snapshot().admin_certs.into_values().collect()))
}

pub(crate) async fn revoke(
    Control(n): Control,
    Json(req): Json<RevokeAdminCertRequest>,
) -> Answer<RevokeAdminCertResponse> {
    let state = n.snapshot();
    let matched: Vec<AdminCertRecord> = match_admin_certs(state.admin_certs.values(), &req.key)
        .into_iter()
        .cloned()
        .collect();
    if matched.is_empty() {
        return Err(ManagerError::NotFound(format!(
            "no admin certificate has serial or name {:?}; list them with `swarmd admin-cert ls`",
            req.key
        )));
    }
    n.write(Command::RevokeAdminCerts {
        serials: matched.iter().map(|r| r.serial.clone()).collect(),
    })
    .await?;
    tracing::warn!(key = %req.key, count = matched.len(), "revoked admin certificates");
    let revoked = matched
        .into_iter()
        .map(|r| AdminCertRecord { revoked: true, ..r })
        .collect();
    Ok(Json(RevokeAdminCertResponse { revoked }))
}
