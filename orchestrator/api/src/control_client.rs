//! The typed control API client: `client.services().create(&spec)`, `client.nodes().ls()`, ...
//!
//! Each verb is one call of [`Client::send`] with a route of [`crate::routes`], so the path,
//! the method, the body and the answer come from the route table. The views borrow the
//! [`Client`], which keeps its one connection.

use crate::admin::{
    AdminCertRecord, AdminCertRequest, AdminCertResponse, RevokeAdminCertRequest,
    RevokeAdminCertResponse,
};
use crate::client::Client;
use crate::control::{
    ForceRequest, InfoResponse, JoinTokenRequest, JoinTokenResponse, UpdateNodeRequest,
};
use crate::error::ClientError;
use crate::network::NetworkSpec;
use crate::network_api::{NetworkView, PruneResponse};
use crate::node::{NodeView, Role};
use crate::routes::{self, with_tail};
use crate::service::{Service, ServiceSpec};
use crate::service_api::{LogStreamQuery, ServiceListEntry, TaskLogLine, UpdateServiceRequest};
use crate::task::Task;

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// The node verbs.
    pub fn nodes(&self) -> Nodes<'_> {
        Nodes(self)
    }

    /// The service verbs.
    pub fn services(&self) -> Services<'_> {
        Services(self)
    }

    /// The network verbs.
    pub fn networks(&self) -> Networks<'_> {
        Networks(self)
    }

    /// The admin certificate verbs (local socket only).
    pub fn admin(&self) -> Admin<'_> {
        Admin(self)
    }

    /// `GET /v1/info`: this node and the cluster.
    pub async fn info(&self) -> Result<InfoResponse> {
        self.send(&routes::INFO, &[], &()).await
    }

    /// Shows (or rotates, then shows) the join token of `role`.
    pub async fn join_token(&self, role: Role, rotate: bool) -> Result<JoinTokenResponse> {
        let req = JoinTokenRequest { role, rotate };
        self.send(&routes::JOIN_TOKEN, &[], &req).await
    }

    /// This node leaves the cluster.
    pub async fn leave(&self, force: bool) -> Result<()> {
        self.send(&routes::LEAVE, &[], &ForceRequest { force })
            .await
    }
}

/// The network verbs of a [`Client`]; `key` is an id, a unique id prefix or a name.
pub struct Networks<'a>(&'a Client);

impl Networks<'_> {
    /// Every network, with its services and addresses.
    pub async fn ls(&self) -> Result<Vec<NetworkView>> {
        self.0.send(&routes::NETWORKS, &[], &()).await
    }

    /// Creates a network.
    pub async fn create(&self, spec: &NetworkSpec) -> Result<NetworkView> {
        self.0.send(&routes::NETWORK_CREATE, &[], spec).await
    }

    /// One network.
    pub async fn inspect(&self, key: &str) -> Result<NetworkView> {
        self.0.send(&routes::NETWORK, &[key], &()).await
    }

    /// Removes a network no service uses.
    pub async fn rm(&self, key: &str) -> Result<()> {
        self.0.send(&routes::NETWORK_RM, &[key], &()).await
    }

    /// Removes every unused network; answers what went.
    pub async fn prune(&self) -> Result<PruneResponse> {
        self.0.send(&routes::NETWORK_PRUNE, &[], &()).await
    }
}

/// The node verbs of a [`Client`]; `key` is an id, a unique id prefix or a host name.
pub struct Nodes<'a>(&'a Client);

impl Nodes<'_> {
    /// Every node.
    pub async fn ls(&self) -> Result<Vec<NodeView>> {
        self.0.send(&routes::NODES, &[], &()).await
    }

    /// One node.
    pub async fn inspect(&self, key: &str) -> Result<NodeView> {
        self.0.send(&routes::NODE, &[key], &()).await
    }

    /// Changes availability and labels.
    pub async fn update(&self, key: &str, req: &UpdateNodeRequest) -> Result<NodeView> {
        self.0.send(&routes::NODE_UPDATE, &[key], req).await
    }

    /// Makes a worker a manager.
    pub async fn promote(&self, key: &str) -> Result<NodeView> {
        self.0.send(&routes::NODE_PROMOTE, &[key], &()).await
    }

    /// Makes a manager a worker.
    pub async fn demote(&self, key: &str) -> Result<NodeView> {
        self.0.send(&routes::NODE_DEMOTE, &[key], &()).await
    }

    /// Removes a node from the cluster.
    pub async fn rm(&self, key: &str, force: bool) -> Result<()> {
        self.0
            .send(&routes::NODE_RM, &[key], &ForceRequest { force })
            .await
    }
}

/// The service verbs of a [`Client`]; `key` is an id, a unique id prefix or the name.
pub struct Services<'a>(&'a Client);

impl Services<'_> {
    /// Every service with its running and desired task counts.
    pub async fn ls(&self) -> Result<Vec<ServiceListEntry>> {
        self.0.send(&routes::SERVICES, &[], &()).await
    }

    /// Creates a service.
    pub async fn create(&self, spec: &ServiceSpec) -> Result<Service> {
        self.0.send(&routes::SERVICE_CREATE, &[], spec).await
    }

    /// One service.
    pub async fn inspect(&self, key: &str) -> Result<Service> {
        self.0.send(&routes::SERVICE, &[key], &()).await
    }

    /// Replaces the spec of the service at the version read.
    pub async fn update(&self, key: &str, req: &UpdateServiceRequest) -> Result<Service> {
        self.0.send(&routes::SERVICE_UPDATE, &[key], req).await
    }

    /// Goes back to the previous spec.
    pub async fn rollback(&self, key: &str) -> Result<Service> {
        self.0.send(&routes::SERVICE_ROLLBACK, &[key], &()).await
    }

    /// Removes the service (its tasks are shut down).
    pub async fn rm(&self, key: &str) -> Result<()> {
        self.0.send(&routes::SERVICE_RM, &[key], &()).await
    }

    /// The service's tasks, history included.
    pub async fn tasks(&self, key: &str) -> Result<Vec<Task>> {
        self.0.send(&routes::SERVICE_TASKS, &[key], &()).await
    }

    /// The output of the service's tasks (the last `tail` lines of each when given).
    pub async fn logs(&self, key: &str, tail: Option<usize>) -> Result<Vec<TaskLogLine>> {
        let path = with_tail(routes::SERVICE_LOGS.path(&[key]), tail);
        self.0.send_to(&routes::SERVICE_LOGS, &path, &()).await
    }

    /// The output of the service's tasks as it comes, from every node (`q.follow`: until the
    /// receiver is dropped).
    pub async fn log_stream(
        &self,
        key: &str,
        q: &LogStreamQuery,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<TaskLogLine>>> {
        let path = q.to_path(routes::SERVICE_LOG_STREAM.path(&[key]));
        self.0.lines(&path).await
    }
}

/// The admin certificate verbs of a [`Client`].
pub struct Admin<'a>(&'a Client);

impl Admin<'_> {
    /// Signs an admin CSR.
    pub async fn cert(&self, req: &AdminCertRequest) -> Result<AdminCertResponse> {
        self.0.send(&routes::ADMIN_CERT, &[], req).await
    }

    /// Every admin certificate signed.
    pub async fn certs(&self) -> Result<Vec<AdminCertRecord>> {
        self.0.send(&routes::ADMIN_CERTS, &[], &()).await
    }

    /// Revokes the admin certificate(s) matching `key`.
    pub async fn revoke(&self, key: String) -> Result<RevokeAdminCertResponse> {
        let req = RevokeAdminCertRequest { key };
        self.0.send(&routes::ADMIN_REVOKE, &[], &req).await
    }
}
