//! The cluster side: this manager's swarmd through its node-local socket
//! (`STATE_DIR/swarmd.sock`, the typed client of `swarm-api`), read into a [`View`] and driven
//! one [`Step`](crate::plan::Step) at a time.

use std::collections::BTreeMap;
use std::path::Path;

use swarm_api::client::{Client, Target};
use swarm_api::control::UpdateNodeRequest;
use swarm_api::error::ClientError;
use swarm_api::node::{format_node_id, Availability, NodeId, Role};

use crate::plan::{NodeFacts, View, INSTANCE_LABEL};

/// This manager's swarmd.
pub struct Swarm {
    client: Client,
}

impl Swarm {
    /// The swarmd whose state dir is `state_dir`.
    pub fn local(state_dir: &Path) -> Self {
        Swarm {
            client: Client::new(Target::Unix(state_dir.join("swarmd.sock"))),
        }
    }

    /// Whether this node leads, without reading the rest.
    pub async fn leads(&self) -> Result<bool, ClientError> {
        let info = self.client.info().await?;
        Ok(info.role == Role::Manager && info.leader == Some(info.node_id))
    }

    /// The membership, and (when `with_tasks`) the live tasks per node.
    pub async fn view(&self, with_tasks: bool) -> Result<View, ClientError> {
        let info = self.client.info().await?;
        let nodes = self
            .client
            .nodes()
            .ls()
            .await?
            .into_iter()
            .map(|v| NodeFacts {
                id: v.node.id,
                instance_id: v.node.labels.get(INSTANCE_LABEL).cloned(),
                addr: v.node.addr,
                role: v.node.role,
                availability: v.node.availability,
                status: v.node.status,
                manager: v.manager_status,
            })
            .collect();
        let mut live_tasks = BTreeMap::new();
        if with_tasks {
            for s in self.client.services().ls().await? {
                for t in self.client.services().tasks(&s.service.id).await? {
                    let Some(node) = t
                        .node_id
                        .as_deref()
                        .and_then(swarm_api::node::parse_node_id)
                    else {
                        continue;
                    };
                    if !t.status.state.is_terminal() {
                        *live_tasks.entry(node).or_insert(0) += 1;
                    }
                }
            }
        }
        Ok(View {
            me: info.node_id,
            leader: info.leader,
            nodes,
            live_tasks,
        })
    }

    /// `node update --availability drain`.
    pub async fn drain(&self, id: NodeId) -> Result<(), ClientError> {
        let req = UpdateNodeRequest {
            availability: Some(Availability::Drain),
            label_add: BTreeMap::new(),
            label_rm: Vec::new(),
        };
        self.client
            .nodes()
            .update(&format_node_id(id), &req)
            .await
            .map(drop)
    }

    /// `node demote` (the managers' quorum guard applies).
    pub async fn demote(&self, id: NodeId) -> Result<(), ClientError> {
        self.client
            .nodes()
            .demote(&format_node_id(id))
            .await
            .map(drop)
    }

    /// `node rm [--force]`.
    pub async fn remove(&self, id: NodeId, force: bool) -> Result<(), ClientError> {
        self.client.nodes().rm(&format_node_id(id), force).await
    }

    /// The current join tokens: (manager, worker). Secrets.
    pub async fn tokens(&self) -> Result<(String, String), ClientError> {
        let m = self.client.join_token(Role::Manager, false).await?;
        let w = self.client.join_token(Role::Worker, false).await?;
        Ok((m.token, w.token))
    }
}
