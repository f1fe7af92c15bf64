//! Admin client certificates: request and answer of `POST /v1/admin/cert` (local socket only).
//!
//! An admin certificate is a TLS client certificate of the cluster CA with OU `admin` and the
//! user's name as CN. The control API accepts it like a manager's certificate; the node endpoints
//! (Raft, join, heartbeat, dispatcher) refuse it. The private key never leaves the user's machine:
//! only the CSR travels.

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
}
