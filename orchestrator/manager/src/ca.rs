//! The cluster certificate authority: root CA creation, node keys and CSRs, CSR signing, and
//! reading a peer's identity (node id, role) back from its certificate.
//!
//! Node certificates carry the node id (16 hex digits) as CN and the role as OU, plus the node's
//! advertise IP as subject alternative name, so they serve as both TLS server and client certs.
//! Admin certificates carry the user's name as CN and OU `admin`, are client-only (EKU clientAuth),
//! expire after a bounded number of days and have a random 128-bit serial number, by which they
//! are recorded and revoked.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use swarm_api::admin::{validate_admin_days, validate_admin_name, ADMIN_OU};
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

/// Signs `csr_pem` with the CA as `CN=cn, OU=ou, O=swarmd` (the CSR's own subject is
/// replaced), with the authority key identifier; `fill` sets the rest of the certificate.
fn sign_csr(
    ca: &CertKey,
    csr_pem: &str,
    cn: &str,
    ou: &str,
    fill: impl FnOnce(&mut CertificateParams) -> Result<(), ManagerError>,
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
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationalUnitName, ou);
    dn.push(DnType::OrganizationName, "swarmd");
    params.distinguished_name = dn;
    params.use_authority_key_identifier_extension = true;
    fill(&mut params)?;
    csr.params = params;
    let cert = csr.signed_by(&ca_cert, &ca_key).map_err(ca_err)?;
    Ok(cert.pem())
}

/// Signs a node's CSR with the CA: CN = node id, OU = role, SAN = the node's advertise host,
/// and for a manager also `127.0.0.1` and `localhost`: the names a client dials through a
/// local tunnel to it (the docker CLI over an SSH-forwarded port verifies the name it dials;
/// every name is still bound to this cluster's CA).
pub fn sign_node_csr(
    ca: &CertKey,
    csr_pem: &str,
    node_id: NodeId,
    role: Role,
    host: &str,
) -> Result<String, ManagerError> {
    let san = match host.parse::<IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(
            host.to_string()
                .try_into()
                .map_err(|_| ManagerError::BadRequest(format!("invalid host name {host:?}")))?,
        ),
    };
    let (cn, ou) = (format_node_id(node_id), role.to_string());
    let mut sans = vec![san];
    if role == Role::Manager {
        sans.push(SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
        sans.push(SanType::DnsName(
            "localhost"
                .to_string()
                .try_into()
                .map_err(|_| ManagerError::BadRequest("invalid host name localhost".into()))?,
        ));
        sans.dedup();
    }
    sign_csr(ca, csr_pem, &cn, &ou, |params| {
        params.subject_alt_names = sans;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.not_after = rcgen::date_time_ymd(2036, 1, 1);
        Ok(())
    })
}

/// A signed admin certificate.
#[derive(Debug, Clone)]
pub struct SignedAdmin {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Serial number, 32 hex digits.
    pub serial: String,
}

/// A random positive 128-bit serial with no leading zero byte, so its hex form is canonical.
fn admin_serial() -> Result<[u8; 16], ManagerError> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| ManagerError::Ca("no randomness for a serial number".into()))?;
    b[0] = (b[0] & 0x7f) | 0x40;
    Ok(b)
}

/// The hex serial of a certificate's DER serial bytes (leading zero bytes dropped).
pub fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    raw[start..].iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs a user's CSR as an admin client certificate: CN = `name`, OU = `admin`, valid from five
/// minutes ago (clock skew) for `days` days, client authentication only, a random serial.
pub fn sign_admin_csr(
    ca: &CertKey,
    csr_pem: &str,
    name: &str,
    days: u32,
) -> Result<SignedAdmin, ManagerError> {
    validate_admin_name(name).map_err(ManagerError::BadRequest)?;
    validate_admin_days(days).map_err(ManagerError::BadRequest)?;
    let now = time::OffsetDateTime::now_utc();
    let not_after = now + time::Duration::days(i64::from(days));
    let not_after_text = not_after
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(ca_err)?;
    let serial = admin_serial()?;
    let cert_pem = sign_csr(ca, csr_pem, name, ADMIN_OU, |params| {
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = not_after;
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        Ok(())
    })?;
    Ok(SignedAdmin {
        cert_pem,
        not_after: not_after_text,
        serial: serial_hex(&serial),
    })
}

/// Who a client certificate of the cluster CA names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertIdentity {
    /// A node: id from the CN, role from the OU.
    Node(NodeId, Role),
    /// An admin: the user's name from the CN (OU `admin`) and the serial number (hex).
    Admin {
        /// The user's name.
        name: String,
        /// The certificate's serial number.
        serial: String,
    },
}

/// The identity in a certificate of the cluster CA (node or admin); `None` for anything else.
pub fn cert_identity(cert_der: &[u8]) -> Option<CertIdentity> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let subject = cert.subject();
    let cn = subject.iter_common_name().next()?.as_str().ok()?;
    let ou = subject.iter_organizational_unit().next()?.as_str().ok()?;
    match ou {
        "manager" => Some(CertIdentity::Node(parse_node_id(cn)?, Role::Manager)),
        "worker" => Some(CertIdentity::Node(parse_node_id(cn)?, Role::Worker)),
        ADMIN_OU if validate_admin_name(cn).is_ok() => Some(CertIdentity::Admin {
            name: cn.to_string(),
            serial: serial_hex(cert.raw_serial()),
        }),
        _ => None,
    }
}

/// The identity in a node certificate: (node id, role); `None` for admin and other certificates.
pub fn identity_of(cert_der: &[u8]) -> Option<(NodeId, Role)> {
    match cert_identity(cert_der)? {
        CertIdentity::Node(id, role) => Some((id, role)),
        CertIdentity::Admin { .. } => None,
    }
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

    #[test]
    fn admin_certificates_name_the_user_and_are_bounded() {
        let ca = new_root_ca("test").unwrap();
        let (_key, csr) = new_key_and_csr().unwrap();
        let signed = sign_admin_csr(&ca, &csr, "alice", 30).unwrap();
        let not_after = signed.not_after.clone();
        let der = swarm_api::tls::certs_from_pem(&signed.cert_pem, "cert").unwrap();
        assert_eq!(signed.serial.len(), 32, "{}", signed.serial);
        assert_eq!(
            cert_identity(der[0].as_ref()),
            Some(CertIdentity::Admin {
                name: "alice".into(),
                serial: signed.serial.clone(),
            })
        );
        let again = sign_admin_csr(&ca, &csr, "alice", 30).unwrap();
        assert_ne!(
            again.serial, signed.serial,
            "each certificate has its own serial"
        );
        assert_eq!(identity_of(der[0].as_ref()), None, "an admin is not a node");
        let (_, cert) = x509_parser::parse_x509_certificate(der[0].as_ref()).unwrap();
        let life = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
        assert_eq!(life, 30 * 86_400 + 300);
        assert!(not_after.starts_with(&cert.validity().not_after.to_datetime().year().to_string()));
        assert!(sign_admin_csr(&ca, &csr, "alice", 0).is_err());
        assert!(sign_admin_csr(&ca, &csr, "alice", 366).is_err());
        assert!(sign_admin_csr(&ca, &csr, "bob,OU=manager", 1).is_err());
        assert!(sign_admin_csr(&ca, "garbage", "alice", 1).is_err());
    }
}
