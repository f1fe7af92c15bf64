//! Admin client certificates: request and answer of `POST /v1/admin/cert` (local socket only).
//!
//! An admin certificate is a TLS client certificate of the cluster CA with OU `admin` and the
//! user's name as CN. The control API accepts it like a manager's certificate; the node endpoints
//! (Raft, join, heartbeat, dispatcher) refuse it. The private key never leaves the user's machine:
//! only the CSR travels.
//!
//! Every signed certificate is recorded in the replicated state ([`AdminCertRecord`], by serial
//! number), so it can be listed and revoked (`GET /v1/admin/certs`,
//! `POST /v1/admin/certs/revoke`): a revoked certificate is refused on its next request, by
//! every manager.

use serde::{Deserialize, Serialize};

/// Organisational unit of admin certificates.
pub const ADMIN_OU: &str = "admin";

/// Default validity of an admin certificate, in days.
pub const DEFAULT_ADMIN_DAYS: u32 = 90;

/// Longest validity of an admin certificate, in days.
pub const MAX_ADMIN_DAYS: u32 = 365;

/// `POST /v1/admin/cert`: sign a client CSR as an admin certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminCertRequest {
    /// PEM certificate signing request (its subject is replaced by the signer).
    pub csr_pem: String,
    /// Who the certificate is for (becomes the CN): 1-64 of `[A-Za-z0-9._@-]`.
    pub name: String,
    /// Validity in days, 1 to [`MAX_ADMIN_DAYS`].
    pub days: u32,
}

/// The signed admin certificate and the CA to verify managers with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminCertResponse {
    /// The admin certificate (PEM).
    pub cert_pem: String,
    /// The cluster root CA (PEM).
    pub ca_cert_pem: String,
    /// The CN the certificate carries.
    pub name: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The certificate's serial number (hex): what `admin-cert revoke` takes.
    #[serde(default)]
    pub serial: String,
}

/// One admin certificate the managers signed, as kept in the replicated state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCertRecord {
    /// Serial number, 32 hex digits.
    pub serial: String,
    /// Who it is for (its CN).
    pub name: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whether it was revoked: the control API refuses it.
    pub revoked: bool,
}

/// `POST /v1/admin/certs/revoke`: revoke by serial number (or a prefix of 8 or more hex
/// digits), or every certificate of a name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeAdminCertRequest {
    /// A serial number, a serial prefix, or an admin name.
    pub key: String,
}

/// The certificates a revocation matched, now revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeAdminCertResponse {
    /// The revoked certificates.
    pub revoked: Vec<AdminCertRecord>,
}

/// The certificates `key` names among `records` (pure): the one whose serial it is or starts
/// (8 or more hex digits), else every one of that name.
pub fn match_admin_certs<'a>(
    records: impl IntoIterator<Item = &'a AdminCertRecord> + Clone,
    key: &str,
) -> Vec<&'a AdminCertRecord> {
    let key_lc = key.to_ascii_lowercase();
    let by_serial: Vec<&AdminCertRecord> = records
        .clone()
        .into_iter()
        .filter(|r| {
            r.serial == key_lc
                || (key_lc.len() >= 8
                    && key_lc.bytes().all(|b| b.is_ascii_hexdigit())
                    && r.serial.starts_with(&key_lc))
        })
        .collect();
    if !by_serial.is_empty() {
        return by_serial;
    }
    records.into_iter().filter(|r| r.name == key).collect()
}

/// Checks an admin name: 1-64 of `[A-Za-z0-9._@-]` (pure).
pub fn validate_admin_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid admin name {name:?}: use 1 to 64 letters, digits, '.', '_', '@' or '-'"
        ))
    }
}

/// Checks a validity in days: 1 to [`MAX_ADMIN_DAYS`] (pure).
pub fn validate_admin_days(days: u32) -> Result<(), String> {
    if (1..=MAX_ADMIN_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(format!(
            "invalid validity of {days} days: give 1 to {MAX_ADMIN_DAYS} days"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_days_are_bounded() {
        assert!(validate_admin_name("alice@laptop").is_ok());
        assert!(validate_admin_name("").is_err());
        assert!(validate_admin_name("a,OU=manager").is_err());
        assert!(validate_admin_name(&"a".repeat(65)).is_err());
        assert!(validate_admin_days(1).is_ok());
        assert!(validate_admin_days(MAX_ADMIN_DAYS).is_ok());
        assert!(validate_admin_days(0).is_err());
        assert!(validate_admin_days(MAX_ADMIN_DAYS + 1).is_err());
    }

    #[test]
    fn revocation_keys_match_a_serial_a_prefix_or_a_name() {
        let rec = |serial: &str, name: &str| AdminCertRecord {
            serial: serial.into(),
            name: name.into(),
            not_after: String::new(),
            revoked: false,
        };
        let all = [
            rec("4a11ce00000000000000000000000001", "alice"),
            rec("4a11ce00000000000000000000000002", "alice"),
            rec("5b0b0000000000000000000000000003", "bob"),
        ];
        let serials = |key: &str| -> Vec<&str> {
            match_admin_certs(all.iter(), key)
                .iter()
                .map(|r| &r.serial[30..])
                .collect()
        };
        assert_eq!(serials("4A11CE00000000000000000000000002"), ["02"]);
        assert_eq!(serials("5b0b0000"), ["03"]);
        assert_eq!(serials("alice"), ["01", "02"]);
        assert!(serials("4a11").is_empty(), "short prefixes are not serials");
        assert!(serials("carol").is_empty());
    }
}
