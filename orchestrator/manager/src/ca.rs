//! The cluster certificate authority: root CA creation, node keys and CSRs, CSR signing, and
//! reading a peer's identity (node id, role) back from its certificate.
//!
//! Node certificates carry the node id (16 hex digits) as CN and the role as OU, plus the node's
//! advertise IP as subject alternative name, so they serve as both TLS server and client certs.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use swarm_api::node::{format_node_id, parse_node_id, NodeId, Role};

use crate::error::ManagerError;

/// PEM certificate and private key. `Debug` hides the key.
#[derive(Clone)]
pub struct CertKey {
    /// Certificate (PEM).
    pub cert_pem: String,
    /// Private key (PEM). Secret.
    pub key_pem: String,
}

impl std::fmt::Debug for CertKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CertKey { key_pem: <redacted>, .. }")
    }
}

fn ca_err(e: impl std::fmt::Display) -> ManagerError {
    ManagerError::Ca(e.to_string())
}

/// Creates a new root CA (ECDSA P-256, 10 years).
pub fn new_root_ca(cluster_id: &str) -> Result<CertKey, ManagerError> {
    let key = KeyPair::generate().map_err(ca_err)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(ca_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("swarmd-ca-{cluster_id}"));
    dn.push(DnType::OrganizationName, "swarmd");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let cert = params.self_signed(&key).map_err(ca_err)?;
    Ok(CertKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A new node key and a CSR for it (the signer sets the subject).
pub fn new_key_and_csr() -> Result<(String, String), ManagerError> {
    let key = KeyPair::generate().map_err(ca_err)?;
    let params = CertificateParams::new(Vec::<String>::new()).map_err(ca_err)?;
    let csr = params.serialize_request(&key).map_err(ca_err)?;
    Ok((key.serialize_pem(), csr.pem().map_err(ca_err)?))
}

/// Signs a node's CSR with the CA: CN = node id, OU = role, SAN = the node's advertise host.
pub fn sign_node_csr(
    ca: &CertKey,
    csr_pem: &str,
    node_id: NodeId,
    role: Role,
    host: &str,
) -> Result<String, ManagerError> {
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(ca_err)?;
    let ca_cert = CertificateParams::from_ca_cert_pem(&ca.cert_pem)
        .map_err(ca_err)?
        .self_signed(&ca_key)
        .map_err(ca_err)?;
    let mut csr = CertificateSigningRequestParams::from_pem(csr_pem)
        .map_err(|e| ManagerError::BadRequest(format!("invalid CSR: {e}")))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(ca_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format_node_id(node_id));
    dn.push(DnType::OrganizationalUnitName, role.to_string());
    dn.push(DnType::OrganizationName, "swarmd");
    params.distinguished_name = dn;
    params.subject_alt_names = vec![match host.parse::<IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(
            host.to_string()
                .try_into()
                .map_err(|_| ManagerError::BadRequest(format!("invalid host name {host:?}")))?,
        ),
    }];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    params.use_authority_key_identifier_extension = true;
    csr.params = params;
    let cert = csr.signed_by(&ca_cert, &ca_key).map_err(ca_err)?;
    Ok(cert.pem())
}

/// The identity in a node certificate: (node id, role).
pub fn identity_of(cert_der: &[u8]) -> Option<(NodeId, Role)> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let subject = cert.subject();
    let cn = subject.iter_common_name().next()?.as_str().ok()?;
    let ou = subject.iter_organizational_unit().next()?.as_str().ok()?;
    let role = match ou {
        "manager" => Role::Manager,
        "worker" => Role::Worker,
        _ => return None,
    };
    Some((parse_node_id(cn)?, role))
}

/// The host part of an `ip:port` or `host:port` address.
pub fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_csr_with_identity() {
        let ca = new_root_ca("test").unwrap();
        let (_key, csr) = new_key_and_csr().unwrap();
        let pem = sign_node_csr(&ca, &csr, 0xabc, Role::Worker, "127.0.0.3").unwrap();
        let der = swarm_api::tls::certs_from_pem(&pem, "cert").unwrap();
        assert_eq!(identity_of(der[0].as_ref()), Some((0xabc, Role::Worker)));
        assert!(sign_node_csr(&ca, "garbage", 1, Role::Worker, "127.0.0.1").is_err());
    }
}
