//! The on-disk layout of a node's state directory.
//!
//! ```text
//! D/node.json        identity: node id, host name, addresses, known managers
//! D/certs/ca.pem     cluster root CA certificate
//! D/certs/node.pem   this node's certificate
//! D/certs/node-key.pem  this node's private key (mode 0600)
//! D/raft.redb        Raft log, vote, state machine, snapshot
//! D/swarmd.sock      local control socket (mode 0600)
//! ```

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use swarm_api::node::NodeId;

use crate::ca::CertKey;
use crate::error::ManagerError;

/// A node's persistent identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Node id (also Raft id).
    pub node_id: NodeId,
    /// Host name shown in `node ls`.
    pub hostname: String,
    /// Address other nodes reach this node at.
    pub advertise_addr: String,
    /// Address the API listens on.
    pub listen_addr: String,
    /// Manager addresses known at the last contact.
    pub managers: Vec<String>,
}

/// The node's TLS material.
#[derive(Clone)]
pub struct Certs {
    /// Root CA (PEM).
    pub ca_pem: String,
    /// Node certificate and key.
    pub node: CertKey,
}

/// Paths inside a state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ManagerError + '_ {
    move |cause| ManagerError::Io {
        path: path.display().to_string(),
        cause,
    }
}

impl StateDir {
    /// The state directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StateDir { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Raft database file.
    pub fn db_path(&self) -> PathBuf {
        self.root.join("raft.redb")
    }

    /// The local control socket.
    pub fn socket_path(&self) -> PathBuf {
        self.root.join("swarmd.sock")
    }

    /// The unix socket of the Docker-compatible API (`DOCKER_HOST=unix://...`).
    pub fn docker_socket_path(&self) -> PathBuf {
        self.root.join("docker.sock")
    }

    fn identity_path(&self) -> PathBuf {
        self.root.join("node.json")
    }

    fn certs_dir(&self) -> PathBuf {
        self.root.join("certs")
    }

    /// Whether this directory already holds a node.
    pub fn exists(&self) -> bool {
        self.identity_path().exists()
    }

    /// Creates the directory (mode 0700).
    pub fn create(&self) -> Result<(), ManagerError> {
        fs::create_dir_all(self.certs_dir()).map_err(io_err(&self.root))?;
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700))
            .map_err(io_err(&self.root))
    }

    /// Saves the identity.
    pub fn save_identity(&self, id: &Identity) -> Result<(), ManagerError> {
        let path = self.identity_path();
        let json = serde_json::to_vec_pretty(id).map_err(|e| ManagerError::Io {
            path: path.display().to_string(),
            cause: std::io::Error::other(e),
        })?;
        write_atomic(&path, &json, 0o600)
    }

    /// Loads the identity.
    pub fn load_identity(&self) -> Result<Identity, ManagerError> {
        let path = self.identity_path();
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        serde_json::from_slice(&bytes).map_err(|e| ManagerError::Io {
            path: path.display().to_string(),
            cause: std::io::Error::other(e),
        })
    }

    /// Saves CA certificate, node certificate and node key (0600).
    pub fn save_certs(&self, certs: &Certs) -> Result<(), ManagerError> {
        let d = self.certs_dir();
        fs::create_dir_all(&d).map_err(io_err(&d))?;
        write_atomic(&d.join("ca.pem"), certs.ca_pem.as_bytes(), 0o644)?;
        write_atomic(&d.join("node.pem"), certs.node.cert_pem.as_bytes(), 0o644)?;
        write_atomic(
            &d.join("node-key.pem"),
            certs.node.key_pem.as_bytes(),
            0o600,
        )
    }

    /// Loads the certificates.
    pub fn load_certs(&self) -> Result<Certs, ManagerError> {
        load_certs_from(&self.certs_dir())
    }
}

/// Loads `ca.pem`, `node.pem`, `node-key.pem` from a directory (e.g. for `--host` clients).
pub fn load_certs_from(dir: &Path) -> Result<Certs, ManagerError> {
    let read = |name: &str| {
        let p = dir.join(name);
        fs::read_to_string(&p).map_err(|cause| ManagerError::Io {
            path: p.display().to_string(),
            cause,
        })
    };
    Ok(Certs {
        ca_pem: read("ca.pem")?,
        node: CertKey {
            cert_pem: read("node.pem")?,
            key_pem: read("node-key.pem")?,
        },
    })
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ManagerError> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io_err(path))
}
