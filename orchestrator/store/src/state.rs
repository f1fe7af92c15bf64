//! The replicated cluster state and the pure function that applies commands to it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use swarm_api::admin::AdminCertRecord;
use swarm_api::cluster::ClusterInfo;
use swarm_api::command::{ApplyError, Command, CommandResponse};
use swarm_api::config::ConfigSpec;
use swarm_api::node::{Node, NodeId, NodeStatus, Role};
use swarm_api::secret::SecretSpec;
use swarm_api::service::Service;
use swarm_api::task::Task;

/// Everything the managers agree on. One map per kind of object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    /// CA and tokens; `None` until the first manager initialised the cluster.
    pub cluster: Option<ClusterInfo>,
    /// All nodes by id.
    pub nodes: BTreeMap<NodeId, Node>,
    /// All services by id.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// All tasks by id, including stopped ones kept as history.
    #[serde(default)]
    pub tasks: BTreeMap<String, Task>,
    /// Admin certificates signed by the managers, by serial.
    #[serde(default)]
    pub admin_certs: BTreeMap<String, AdminCertRecord>,
    /// Overlay networks by id (issue 15).
    #[serde(default)]
    pub networks: BTreeMap<String, swarm_api::network::Network>,
    /// Each task's addresses on its networks, by task id.
    #[serde(default)]
    pub network_attachments: BTreeMap<String, Vec<swarm_api::network::Attachment>>,
    /// Each vip-mode service's virtual IPs, by service id.
    #[serde(default)]
    pub service_vips: BTreeMap<String, Vec<swarm_api::network::VirtualIp>>,
    /// Nodes that left (`swarmd leave`), listed Down until `node rm`; never Ready again.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub left: BTreeSet<NodeId>,
    /// Secrets by id, values sealed (issue 16).
    #[serde(default)]
    pub secrets: BTreeMap<String, crate::secret_record::StoredSecret>,
    /// Configs by id.
    #[serde(default)]
    pub configs: BTreeMap<String, swarm_api::config::Config>,
    /// Each node's version, bumped by every applied change to the node (role, availability,
    /// labels, status, description): docker's `Version.Index`, which `docker node update`
    /// sends back. A node without an entry (a state written before versions) is at 1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_versions: BTreeMap<NodeId, u64>,
    /// The autolock record; `None`: autolock off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<swarm_api::swarm_lock::LockInfo>,
}

impl ClusterState {
    /// Applies one command. Pure and deterministic: the same command on the same state gives the
    /// same result on every replica. A rejected command leaves the state unchanged.
    pub fn apply(&mut self, cmd: &Command) -> CommandResponse {
        let error = self.try_apply(cmd).err();
        self.sync_networks();
        CommandResponse { error, index: None }
    }

    fn try_apply(&mut self, cmd: &Command) -> Result<(), ApplyError> {
        match cmd {
            Command::InitCluster { cluster, node } => {
                if self.cluster.is_some() {
                    return Err(ApplyError::AlreadyInitialised);
                }
                self.cluster = Some(cluster.clone());
                self.nodes.insert(node.id, node.clone());
            }
            Command::AddNode { node } => {
                self.require_cluster()?;
                if self.nodes.contains_key(&node.id) {
                    return Err(ApplyError::NodeExists { id: node.id });
                }
                self.nodes.insert(node.id, node.clone());
            }
            Command::RemoveNode { id } => {
                self.nodes
                    .remove(id)
                    .ok_or(ApplyError::NodeNotFound { id: *id })?;
                self.left.remove(id);
            }
            Command::UpdateNode {
                id,
                availability,
                label_add,
                label_rm,
            } => {
                let node = self.node_mut(*id)?;
                if let Some(a) = availability {
                    node.availability = *a;
                }
                for k in label_rm {
                    node.labels.remove(k);
                }
                for (k, v) in label_add {
                    node.labels.insert(k.clone(), v.clone());
                }
            }
            Command::SetRole { id, role } => self.node_mut(*id)?.role = *role,
            Command::SetStatus { id, status } => {
                if *status == NodeStatus::Ready && self.left.contains(id) {
                    return Err(ApplyError::NodeLeft { id: *id });
                }
                self.node_mut(*id)?.status = *status;
            }
            Command::NodeLeft { id } => {
                self.node_mut(*id)?.status = NodeStatus::Down;
                self.left.insert(*id);
            }
            Command::RotateToken { role, secret } => {
                let c = self.cluster.as_mut().ok_or(ApplyError::NotInitialised)?;
                match role {
                    Role::Manager => c.manager_secret = secret.0.clone(),
                    Role::Worker => c.worker_secret = secret.0.clone(),
                }
            }
            Command::SetNodeDescription { id, description } => {
                self.node_mut(*id)?.description = description.clone();
            }
            Command::CreateService { service } => self.create_service(service)?,
            Command::UpdateService {
                service,
                expected_version,
            } => self.update_service(service, *expected_version)?,
            Command::RemoveService { id } => self.remove_service(id)?,
            Command::SetUpdateStatus { service_id, status } => {
                self.set_update_status(service_id, status)?;
            }
            Command::RollbackService { service_id, status } => {
                self.rollback_service(service_id, status)?;
            }
            Command::CreateTasks { tasks } => self.create_tasks(tasks),
            Command::Schedule {
                at_ms,
                assigned,
                pending,
            } => self.schedule(*at_ms, assigned, pending),
            Command::SetDesiredState {
                at_ms,
                task_ids,
                state,
            } => self.set_desired(*at_ms, task_ids, *state),
            Command::ReportTaskStatus { node_id, reports } => self.report(*node_id, reports),
            Command::DeleteTasks { ids } => self.delete_tasks(ids),
            Command::AdminCertIssued { record } => {
                self.require_cluster()?;
                self.admin_certs
                    .insert(record.serial.clone(), record.clone());
            }
            Command::RevokeAdminCerts { serials } => {
                if let Some(missing) = serials.iter().find(|s| !self.admin_certs.contains_key(*s)) {
                    return Err(ApplyError::AdminCertNotFound {
                        serial: missing.clone(),
                    });
                }
                for s in serials {
                    if let Some(r) = self.admin_certs.get_mut(s) {
                        r.revoked = true;
                    }
                }
            }
            Command::CreateNetwork { network } => self.create_network(network)?,
            Command::RemoveNetwork { id } => self.remove_network(id)?,
            Command::CreateSecret { secret, sealed } => self.create_secret(secret, sealed)?,
            Command::UpdateSecretLabels {
                id,
                expected_version,
                labels,
                at_ms,
            } => self.update_labels::<SecretSpec>(id, *expected_version, labels, *at_ms)?,
            Command::RemoveSecret { id } => self.remove_file_object::<SecretSpec>(id)?,
            Command::CreateConfig { config } => self.create_config(config)?,
            Command::UpdateConfigLabels {
                id,
                expected_version,
                labels,
                at_ms,
            } => self.update_labels::<ConfigSpec>(id, *expected_version, labels, *at_ms)?,
            Command::RemoveConfig { id } => self.remove_file_object::<ConfigSpec>(id)?,
            Command::SetAutolock { lock } => {
                self.require_cluster()?;
                self.lock.clone_from(lock);
            }
            Command::Batch { commands } => {
                let mut first = Ok(());
                for c in commands {
                    let r = self.try_apply(c);
                    if first.is_ok() {
                        first = r;
                    }
                }
                return first;
            }
        }
        self.node_changed(cmd);
        Ok(())
    }

    pub(crate) fn require_cluster(&self) -> Result<&ClusterInfo, ApplyError> {
        self.cluster.as_ref().ok_or(ApplyError::NotInitialised)
    }

    /// A node's version (docker's `Version.Index`): 1 until its first change.
    pub fn node_version(&self, id: NodeId) -> u64 {
        self.node_versions.get(&id).copied().unwrap_or(1)
    }

    /// Bumps the version of the node an applied command changed.
    fn node_changed(&mut self, cmd: &Command) {
        let id = match cmd {
            Command::InitCluster { node, .. } | Command::AddNode { node } => {
                self.node_versions.insert(node.id, 1);
                return;
            }
            Command::RemoveNode { id } => {
                self.node_versions.remove(id);
                return;
            }
            Command::UpdateNode { id, .. }
            | Command::SetRole { id, .. }
            | Command::SetStatus { id, .. }
            | Command::NodeLeft { id }
            | Command::SetNodeDescription { id, .. } => *id,
            _ => return,
        };
        let v = self.node_version(id) + 1;
        self.node_versions.insert(id, v);
    }

    fn node_mut(&mut self, id: NodeId) -> Result<&mut Node, ApplyError> {
        self.nodes
            .get_mut(&id)
            .ok_or(ApplyError::NodeNotFound { id })
    }

    /// Managers in the state.
    pub fn managers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values().filter(|n| n.role == Role::Manager)
    }

    /// For `--force-new-cluster`: drops every other manager (they are no longer Raft members).
    pub fn keep_single_manager(&mut self, survivor: NodeId) {
        self.nodes
            .retain(|id, n| *id == survivor || n.role != Role::Manager);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Availability, NodeStatus};
    use swarm_testkit::node;

    fn cluster() -> ClusterInfo {
        ClusterInfo {
            id: "c".into(),
            ca_cert_pem: "cert".into(),
            ca_key_pem: "key".into(),
            worker_secret: "w".into(),
            manager_secret: "m".into(),
        }
    }

    /// Initialises the cluster with manager 1.
    fn init(s: &mut ClusterState) {
        s.apply(&Command::InitCluster {
            cluster: cluster(),
            node: node(1, Role::Manager),
        });
    }

    /// A cluster of manager 1 and node 2 with `role`.
    fn two_nodes(role: Role) -> ClusterState {
        let mut s = ClusterState::default();
        init(&mut s);
        s.apply(&Command::AddNode {
            node: node(2, role),
        });
        s
    }

    #[test]
    fn init_add_update_remove() {
        let mut s = ClusterState::default();
        let add = Command::AddNode {
            node: node(2, Role::Worker),
        };
        assert_eq!(s.apply(&add).error, Some(ApplyError::NotInitialised));
        let init = Command::InitCluster {
            cluster: cluster(),
            node: node(1, Role::Manager),
        };
        assert_eq!(s.apply(&init).error, None);
        assert_eq!(s.apply(&init).error, Some(ApplyError::AlreadyInitialised));
        assert_eq!(s.apply(&add).error, None);
        assert_eq!(s.apply(&add).error, Some(ApplyError::NodeExists { id: 2 }));
        let upd = Command::UpdateNode {
            id: 2,
            availability: Some(Availability::Drain),
            label_add: [("zone".to_string(), "a".to_string())].into(),
            label_rm: vec![],
        };
        assert_eq!(s.apply(&upd).error, None);
        assert_eq!(s.nodes[&2].availability, Availability::Drain);
        assert_eq!(s.nodes[&2].labels["zone"], "a");
        let rm_label = Command::UpdateNode {
            id: 2,
            availability: None,
            label_add: BTreeMap::new(),
            label_rm: vec!["zone".into()],
        };
        s.apply(&rm_label);
        assert!(s.nodes[&2].labels.is_empty());
        assert_eq!(s.apply(&Command::RemoveNode { id: 2 }).error, None);
        assert_eq!(
            s.apply(&Command::RemoveNode { id: 2 }).error,
            Some(ApplyError::NodeNotFound { id: 2 })
        );
    }

    #[test]
    fn a_node_version_moves_with_each_applied_change_only() {
        let mut s = two_nodes(Role::Worker);
        assert_eq!((s.node_version(1), s.node_version(2)), (1, 1));
        let upd = |id| Command::UpdateNode {
            id,
            availability: Some(Availability::Pause),
            label_add: BTreeMap::new(),
            label_rm: vec![],
        };
        s.apply(&upd(2));
        s.apply(&Command::SetRole {
            id: 2,
            role: Role::Manager,
        });
        assert_eq!((s.node_version(1), s.node_version(2)), (1, 3));
        // A refused change moves nothing; a batch moves each node it changed.
        assert!(s.apply(&upd(9)).error.is_some());
        assert_eq!(s.node_versions.get(&9), None);
        s.apply(&Command::Batch {
            commands: vec![
                upd(1),
                Command::SetStatus {
                    id: 2,
                    status: NodeStatus::Down,
                },
            ],
        });
        assert_eq!((s.node_version(1), s.node_version(2)), (2, 4));
        s.apply(&Command::RemoveNode { id: 2 });
        assert_eq!(s.node_versions.get(&2), None);
    }

    #[test]
    fn admin_certificates_are_recorded_and_revoked_all_or_nothing() {
        let mut s = ClusterState::default();
        let rec = |serial: &str| AdminCertRecord {
            serial: serial.into(),
            name: "alice".into(),
            not_after: "2027-01-01T00:00:00Z".into(),
            revoked: false,
        };
        let issue = |serial: &str| Command::AdminCertIssued {
            record: rec(serial),
        };
        assert_eq!(
            s.apply(&issue("a1")).error,
            Some(ApplyError::NotInitialised)
        );
        init(&mut s);
        assert_eq!(s.apply(&issue("a1")).error, None);
        assert_eq!(s.apply(&issue("a2")).error, None);
        let revoke = |serials: &[&str]| Command::RevokeAdminCerts {
            serials: serials.iter().map(|x| x.to_string()).collect(),
        };
        assert_eq!(
            s.apply(&revoke(&["a1", "zz"])).error,
            Some(ApplyError::AdminCertNotFound {
                serial: "zz".into()
            })
        );
        assert!(
            !s.admin_certs["a1"].revoked,
            "a refused revocation changes nothing"
        );
        assert_eq!(s.apply(&revoke(&["a1"])).error, None);
        assert!(s.admin_certs["a1"].revoked && !s.admin_certs["a2"].revoked);
    }

    #[test]
    fn rotate_and_roles() {
        let mut s = two_nodes(Role::Manager);
        s.apply(&Command::RotateToken {
            role: Role::Worker,
            secret: swarm_api::command::Secret("w2".into()),
        });
        assert_eq!(s.cluster.as_ref().unwrap().worker_secret, "w2");
        let cmd = Command::RotateToken {
            role: Role::Worker,
            secret: swarm_api::command::Secret("topsecret".into()),
        };
        assert!(!format!("{cmd:?}").contains("topsecret"));
        assert_eq!(s.cluster.as_ref().unwrap().manager_secret, "m");
        s.apply(&Command::SetStatus {
            id: 2,
            status: NodeStatus::Down,
        });
        assert_eq!(s.nodes[&2].status, NodeStatus::Down);
        s.keep_single_manager(1);
        assert_eq!(s.managers().count(), 1);
    }

    #[test]
    fn a_node_that_left_is_never_ready_again_until_removed() {
        let mut s = two_nodes(Role::Worker);
        assert_eq!(s.apply(&Command::NodeLeft { id: 2 }).error, None);
        assert_eq!(s.nodes[&2].status, NodeStatus::Down);
        // A late heartbeat's Ready is refused, on every replica alike.
        let ready = Command::SetStatus {
            id: 2,
            status: NodeStatus::Ready,
        };
        assert_eq!(s.apply(&ready).error, Some(ApplyError::NodeLeft { id: 2 }));
        assert_eq!(s.nodes[&2].status, NodeStatus::Down);
        // Removed, the id is forgotten with the node.
        assert_eq!(s.apply(&Command::RemoveNode { id: 2 }).error, None);
        assert!(s.left.is_empty());
        assert_eq!(
            s.apply(&Command::NodeLeft { id: 2 }).error,
            Some(ApplyError::NodeNotFound { id: 2 })
        );
    }
}
