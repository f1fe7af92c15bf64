//! The admin credentials of one cluster on the user's machine: a private key (made here, mode
//! 0600, never printed), the admin certificate a manager signed for it, and the cluster CA.
//!
//! Files in the cluster's config dir (next to its SSH key): [`ADMIN_KEY_FILE`],
//! [`ADMIN_CERT_FILE`], [`ADMIN_CA_FILE`].

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, KeyPair};
use rustls::ClientConfig;

use super::ClusterApiError;

/// The admin private key (PEM, mode 0600).
pub const ADMIN_KEY_FILE: &str = "admin-key.pem";
/// The admin certificate signed by the cluster CA (PEM).
pub const ADMIN_CERT_FILE: &str = "admin.pem";
/// The cluster CA the certificate belongs to (PEM); verifies the managers.
pub const ADMIN_CA_FILE: &str = "admin-ca.pem";

/// A certificate is renewed when less than this is left of it.
const RENEW_MARGIN_SECS: i64 = 86_400;

/// The admin key, and the certificate and CA once a manager signed it. `Debug` redacts the key.
pub struct AdminCredentials {
    dir: PathBuf,
    key_pem: String,
    cert_pem: Option<String>,
    ca_pem: Option<String>,
}

impl fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("dir", &self.dir)
            .field("key_pem", &"<redacted>")
            .field("has_cert", &self.cert_pem.is_some())
            .finish()
    }
}

fn file_err(path: &Path, e: impl fmt::Display) -> ClusterApiError {
    ClusterApiError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn read_opt(path: &Path) -> Result<Option<String>, ClusterApiError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_err(path, e)),
    }
}

impl AdminCredentials {
    /// Loads the credentials in `dir`, generating the private key (ECDSA P-256, mode 0600; the
    /// dir gets mode 0700) when there is none. A key file readable by others is refused.
    pub fn load_or_create(dir: &Path) -> Result<Self, ClusterApiError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| file_err(dir, e))?;
        let key_path = dir.join(ADMIN_KEY_FILE);
        let key_pem = match read_opt(&key_path)? {
            Some(pem) => {
                let mode = std::fs::metadata(&key_path)
                    .map_err(|e| file_err(&key_path, e))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(file_err(
                        &key_path,
                        format!(
                            "the admin key is accessible by others (mode {:o}); run `chmod 600` on it",
                            mode & 0o777
                        ),
                    ));
                }
                KeyPair::from_pem(&pem).map_err(|e| {
                    file_err(
                        &key_path,
                        format!("not a usable private key ({e}); delete it to get a new one"),
                    )
                })?;
                pem
            }
            None => {
                let pem = KeyPair::generate()
                    .map_err(|e| file_err(&key_path, format!("cannot generate a key: {e}")))?
                    .serialize_pem();
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&key_path)
                    .map_err(|e| file_err(&key_path, e))?;
                f.write_all(pem.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| file_err(&key_path, e))?;
                pem
            }
        };
        Ok(AdminCredentials {
            dir: dir.to_path_buf(),
            key_pem,
            cert_pem: read_opt(&dir.join(ADMIN_CERT_FILE))?,
            ca_pem: read_opt(&dir.join(ADMIN_CA_FILE))?,
        })
    }

    /// Where the private key is.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join(ADMIN_KEY_FILE)
    }

    /// Where the certificate is.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(ADMIN_CERT_FILE)
    }

    /// A certificate signing request for the key (the signer sets the subject).
    pub fn csr_pem(&self) -> Result<String, ClusterApiError> {
        let path = self.key_path();
        let key = KeyPair::from_pem(&self.key_pem).map_err(|e| file_err(&path, e))?;
        CertificateParams::new(Vec::<String>::new())
            .and_then(|p| p.serialize_request(&key))
            .and_then(|csr| csr.pem())
            .map_err(|e| file_err(&path, format!("cannot make a CSR: {e}")))
    }

    /// Whether the stored certificate can be used with a cluster whose CA is `cluster_ca`, at
    /// `now` (seconds since the epoch).
    pub fn usable(&self, cluster_ca: &str, now: i64) -> bool {
        match (&self.cert_pem, &self.ca_pem) {
            (Some(cert), Some(ca)) => {
                ca.trim() == cluster_ca.trim() && cert_valid_until(cert, now + RENEW_MARGIN_SECS)
            }
            _ => false,
        }
    }

    /// Stores a newly signed certificate and its CA.
    pub fn store(&mut self, cert_pem: &str, ca_pem: &str) -> Result<(), ClusterApiError> {
        for (name, pem) in [(ADMIN_CERT_FILE, cert_pem), (ADMIN_CA_FILE, ca_pem)] {
            let path = self.dir.join(name);
            std::fs::write(&path, pem).map_err(|e| file_err(&path, e))?;
        }
        self.cert_pem = Some(cert_pem.to_string());
        self.ca_pem = Some(ca_pem.to_string());
        Ok(())
    }

    /// The mutual-TLS client configuration (trusts only the cluster CA, presents the admin
    /// certificate).
    pub fn tls_config(&self) -> Result<Arc<ClientConfig>, ClusterApiError> {
        let path = self.dir.join(ADMIN_CERT_FILE);
        let (Some(cert), Some(ca)) = (&self.cert_pem, &self.ca_pem) else {
            return Err(file_err(&path, "no admin certificate yet"));
        };
        swarm_api::tls::client_config(ca, cert, &self.key_pem).map_err(|e| file_err(&path, e))
    }
}

/// The files of [`AdminCredentials::export_docker_files`] in a dir, named as the docker CLI
/// expects them under `DOCKER_CERT_PATH`.
pub const DOCKER_TLS_FILES: [&str; 3] = ["ca.pem", "cert.pem", "key.pem"];

impl AdminCredentials {
    /// Writes the cluster CA, the admin certificate and the admin key into `dir` as `ca.pem`,
    /// `cert.pem` and `key.pem` (each mode 0600, the dir 0700): what the docker CLI reads from
    /// `DOCKER_CERT_PATH`. Fails when no manager has signed the certificate yet.
    pub fn export_docker_files(&self, dir: &Path) -> Result<(), ClusterApiError> {
        let (Some(cert), Some(ca)) = (&self.cert_pem, &self.ca_pem) else {
            return Err(file_err(
                &self.cert_path(),
                "no admin certificate yet (a manager signs one when the tunnel first connects)",
            ));
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| file_err(dir, e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| file_err(dir, e))?;
        let [ca_name, cert_name, key_name] = DOCKER_TLS_FILES;
        for (name, pem) in [(ca_name, ca), (cert_name, cert), (key_name, &self.key_pem)] {
            let path = dir.join(name);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| file_err(&path, e))?;
            // An older file keeps its mode on open: make sure it is private before writing.
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .and_then(|()| f.write_all(pem.as_bytes()))
                .and_then(|()| f.sync_all())
                .map_err(|e| file_err(&path, e))?;
        }
        Ok(())
    }
}

/// Whether the (first) certificate in `cert_pem` is still valid at `at` (seconds since the epoch).
pub fn cert_valid_until(cert_pem: &str, at: i64) -> bool {
    let Ok(der) = swarm_api::tls::certs_from_pem(cert_pem, "admin certificate") else {
        return false;
    };
    x509_parser::parse_x509_certificate(der[0].as_ref())
        .map(|(_, c)| c.validity().not_after.timestamp() > at)
        .unwrap_or(false)
}

/// The admin name for the certificate's CN: `user@host`, with characters outside
/// `[A-Za-z0-9._@-]` replaced by `-` and at most 64 characters (pure).
pub fn admin_name(user: Option<&str>, host: Option<&str>) -> String {
    let raw = format!(
        "{}@{}",
        user.filter(|u| !u.is_empty()).unwrap_or("admin"),
        host.filter(|h| !h.is_empty()).unwrap_or("localhost")
    );
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_and_bounded() {
        assert_eq!(admin_name(Some("alice"), Some("laptop")), "alice@laptop");
        assert_eq!(admin_name(None, None), "admin@localhost");
        assert_eq!(admin_name(Some("a b,OU=x"), Some("h")), "a-b-OU-x@h");
        let long = admin_name(Some(&"u".repeat(100)), Some("h"));
        assert_eq!(long.len(), 64);
        assert!(swarm_api::admin::validate_admin_name(&long).is_ok());
    }

    #[test]
    fn key_is_private_and_reused_and_certificates_follow_the_ca() {
        let dir = tempfile::tempdir().unwrap();
        let creds = AdminCredentials::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(creds.key_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!format!("{creds:?}").contains("PRIVATE"));
        let again = AdminCredentials::load_or_create(dir.path()).unwrap();
        assert_eq!(again.key_pem, creds.key_pem, "the key is reused");
        assert!(creds
            .csr_pem()
            .unwrap()
            .contains("BEGIN CERTIFICATE REQUEST"));
        assert!(!creds.usable("CA", 0), "no certificate yet");
        assert!(creds
            .export_docker_files(&dir.path().join("docker"))
            .is_err());

        // A self-signed stand-in: valid for about a year from rcgen's default dates.
        let key = KeyPair::from_pem(&creds.key_pem).unwrap();
        let cert = CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .pem();
        let mut creds = creds;
        creds.store(&cert, "CA-1\n").unwrap();
        let now = 0;
        assert!(cert_valid_until(&cert, now));
        assert!(!cert_valid_until(&cert, i64::MAX / 2));
        assert!(creds.usable("CA-1", now));
        assert!(!creds.usable("CA-2", now), "another cluster CA");

        let docker = dir.path().join("docker");
        creds.export_docker_files(&docker).unwrap();
        for name in DOCKER_TLS_FILES {
            let mode = std::fs::metadata(docker.join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        assert_eq!(
            std::fs::read_to_string(docker.join("key.pem")).unwrap(),
            creds.key_pem
        );
        assert_eq!(
            std::fs::read_to_string(docker.join("cert.pem")).unwrap(),
            cert
        );
        assert_eq!(
            std::fs::read_to_string(docker.join("ca.pem")).unwrap(),
            "CA-1\n"
        );

        std::fs::set_permissions(creds.key_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = AdminCredentials::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
