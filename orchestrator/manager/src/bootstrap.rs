//! Creating a node's state: `init` (new cluster), `join` (token + CSR), `--force-new-cluster`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use openraft::BasicNode;
use swarm_api::client::{Client, Target};
use swarm_api::cluster::ClusterInfo;
use swarm_api::command::Command;
use swarm_api::control::{JoinRequest, JoinResponse};
use swarm_api::node::{Availability, Node as NodeRecord, NodeStatus, Role};
use swarm_api::routes;
use swarm_api::tls::pinned_client_config;
use swarm_api::token::JoinToken;

use crate::ca::{host_of, new_key_and_csr, new_root_ca, sign_node_csr, CertKey};
use crate::error::ManagerError;
use crate::node::Node;
use crate::random::{cluster_id, random_u64, token_secret};
use crate::state_dir::{Certs, Identity, StateDir};

/// Where a new node lives and how it is reached.
#[derive(Debug, Clone)]
pub struct NodeAddrs {
    /// Address others reach this node at (`ip:port`).
    pub advertise_addr: String,
    /// Address to listen on.
    pub listen_addr: String,
    /// Host name to show.
    pub hostname: String,
    /// Availability the node starts with (`--availability`).
    pub availability: Availability,
    /// Labels the node starts with (`--label`).
    pub labels: BTreeMap<String, String>,
}

/// What the first manager commits once Raft is up.
pub struct PendingInit {
    cluster: ClusterInfo,
    node: NodeRecord,
}

fn refuse_existing(dir: &StateDir) -> Result<(), ManagerError> {
    if dir.exists() {
        return Err(ManagerError::Conflict(format!(
            "{} already holds a swarmd node; restart it with `swarmd run --state-dir {}` or \
             remove the directory to start over",
            dir.root().display(),
            dir.root().display()
        )));
    }
    dir.create()
}

/// Writes the state directory of a new cluster's first manager: root CA, node cert, tokens.
pub fn prepare_init(dir: &StateDir, addrs: &NodeAddrs) -> Result<PendingInit, ManagerError> {
    refuse_existing(dir)?;
    let cid = cluster_id();
    let ca = new_root_ca(&cid)?;
    let id = random_u64().max(1);
    let (key_pem, csr) = new_key_and_csr()?;
    let cert_pem = sign_node_csr(&ca, &csr, id, Role::Manager, host_of(&addrs.advertise_addr))?;
    dir.save_certs(&Certs {
        ca_pem: ca.cert_pem.clone(),
        node: CertKey { cert_pem, key_pem },
    })?;
    crate::keyring::save_key(
        &crate::keyring::key_path(dir.root()),
        &crate::data_key::Key::random(),
    )?;
    dir.save_identity(&Identity {
        node_id: id,
        hostname: addrs.hostname.clone(),
        advertise_addr: addrs.advertise_addr.clone(),
        listen_addr: addrs.listen_addr.clone(),
        managers: vec![addrs.advertise_addr.clone()],
    })?;
    Ok(PendingInit {
        cluster: ClusterInfo {
            id: cid,
            ca_cert_pem: ca.cert_pem,
            ca_key_pem: ca.key_pem,
            worker_secret: token_secret(),
            manager_secret: token_secret(),
        },
        node: NodeRecord {
            id,
            hostname: addrs.hostname.clone(),
            addr: addrs.advertise_addr.clone(),
            role: Role::Manager,
            availability: addrs.availability,
            status: NodeStatus::Ready,
            labels: addrs.labels.clone(),
            description: Default::default(),
        },
    })
}

/// Initialises Raft with this node as the only voter and commits the cluster record.
pub async fn finish_init(node: &Node, pending: PendingInit) -> Result<(), ManagerError> {
    let members = BTreeMap::from([(node.id, BasicNode::new(pending.node.addr.clone()))]);
    node.raft
        .initialize(members)
        .await
        .map_err(|e| ManagerError::Raft(e.to_string()))?;
    let cmd = Command::InitCluster {
        cluster: pending.cluster,
        node: pending.node,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match node.write_local(cmd.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Joins a cluster: pins the CA from the token, sends a CSR, stores the signed certificate.
pub async fn prepare_join(
    dir: &StateDir,
    token: &str,
    manager_addr: &str,
    addrs: &NodeAddrs,
) -> Result<Role, ManagerError> {
    let parsed = JoinToken::parse(token).map_err(|e| ManagerError::BadRequest(e.to_string()))?;
    refuse_existing(dir)?;
    let result = async {
        let client = Client::new(Target::Tls {
            addr: manager_addr.to_string(),
            config: pinned_client_config(&parsed.fingerprint)?,
        });
        let (key_pem, csr_pem) = new_key_and_csr()?;
        let resp: JoinResponse = client
            .send(
                &routes::JOIN,
                &[],
                &JoinRequest {
                    token: token.to_string(),
                    csr_pem,
                    hostname: addrs.hostname.clone(),
                    addr: addrs.advertise_addr.clone(),
                    availability: addrs.availability,
                    labels: addrs.labels.clone(),
                },
            )
            .await?;
        dir.save_certs(&Certs {
            ca_pem: resp.ca_cert_pem,
            node: CertKey {
                cert_pem: resp.cert_pem,
                key_pem,
            },
        })?;
        if let Some(k) = resp
            .data_key
            .as_ref()
            .and_then(|k| crate::data_key::Key::from_bytes(&k.0))
        {
            crate::keyring::save_key(&crate::keyring::key_path(dir.root()), &k)?;
        }
        let mut managers = resp.managers;
        if managers.is_empty() {
            managers.push(manager_addr.to_string());
        }
        dir.save_identity(&Identity {
            node_id: resp.node_id,
            hostname: addrs.hostname.clone(),
            advertise_addr: addrs.advertise_addr.clone(),
            listen_addr: addrs.listen_addr.clone(),
            managers,
        })?;
        Ok(resp.role)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_dir_all(dir.root().join("certs"));
    }
    result
}

/// After a manager joined and its server runs: asks the leader to make it a voter.
pub async fn finish_join_manager(node: &Node) -> Result<(), ManagerError> {
    let managers = node.managers.lock().map(|m| m.clone()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut last = None;
        for addr in &managers {
            match node.peer(addr).send(&routes::JOIN_VOTER, &[], &()).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        if Instant::now() > deadline {
            return Err(last
                .map(ManagerError::from)
                .unwrap_or_else(|| ManagerError::NoQuorum("no manager known".into())));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Rewrites a stopped manager's store into a one-manager cluster (`init --force-new-cluster`).
pub fn force_new_cluster(dir: &StateDir) -> Result<(), ManagerError> {
    let mut identity = dir.load_identity()?;
    {
        let db = swarm_store::Db::open(&dir.db_path())?;
        swarm_store::recover::force_new_cluster(&db, identity.node_id, &identity.advertise_addr)?;
    }
    identity.managers = vec![identity.advertise_addr.clone()];
    dir.save_identity(&identity)
}
