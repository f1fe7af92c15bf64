//! The running node: its Raft instance, the last applied state, and the write path with leader
//! forwarding and fail-fast "no quorum".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use openraft::{BasicNode, ChangeMembers, Raft, RaftMetrics, ServerState};
use rustls::ClientConfig;
use serde::{Deserialize, Serialize};
use swarm_api::admin::AdminCertRecord;
use swarm_api::client::{Client, Target};
use swarm_api::command::{ApplyError, Command, CommandResponse};
use swarm_api::error::{ClientError, ErrorKind};
use swarm_api::node::{format_node_id, ManagerStatus, NodeId, NodeStatus, NodeView, Role};
use swarm_api::routes;
use swarm_store::state::ClusterState;
use swarm_store::{SharedState, TypeConfig};
use tokio::sync::watch;

use crate::error::ManagerError;
use crate::liveness::Liveness;
use crate::quorum::Voter;
use crate::settings::Settings;

/// Membership changes executed on the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MembershipOp {
    /// Add a node as learner, wait until it caught up, then make it a voter.
    AddVoter {
        /// Node id.
        id: NodeId,
        /// Its address.
        addr: String,
    },
    /// Remove a voter (it stops receiving the log).
    RemoveVoter {
        /// Node id.
        id: NodeId,
    },
    /// Make a voter a learner (`node demote`): it keeps receiving the log, so it learns its new
    /// role and goes on as a worker; leaving or `node rm` removes it from the group.
    DemoteVoter {
        /// Node id.
        id: NodeId,
    },
}

/// A running swarmd node.
pub struct Node {
    /// This node's id.
    pub id: NodeId,
    /// Raft (every node runs one; workers stay outside the membership).
    pub raft: Raft<TypeConfig>,
    /// The last applied state.
    pub state: SharedState,
    /// Timing settings.
    pub settings: Settings,
    /// Client TLS config with this node's certificate (replaced when the role changes, see
    /// [`Node::set_client_tls`]).
    client_tls: crate::network::SharedTls,
    /// Local IP for outgoing connections (the advertise IP).
    pub local_ip: Option<std::net::IpAddr>,
    /// Heartbeat bookkeeping (used while leader).
    pub liveness: Mutex<Liveness>,
    /// Set to `true` to stop the daemon (after `leave`).
    pub shutdown: watch::Sender<bool>,
    /// Manager addresses this node sends heartbeats to.
    pub managers: Mutex<Vec<String>>,
    /// Set when the node left the cluster and should wipe its state on exit.
    pub left: std::sync::atomic::AtomicBool,
    /// Held while a heartbeat is in flight; its flag is `true` while the node is leaving (no
    /// heartbeat is sent then). See [`Node::pause_heartbeats`].
    pub heartbeat_gate: tokio::sync::Mutex<bool>,
    /// The local task executor, once started (absent on nodes without a Docker engine).
    pub agent: std::sync::OnceLock<Arc<dyn crate::agent_handle::AgentHandle>>,
    /// The cluster data key (managers), see [`crate::keyring`].
    pub keys: crate::keyring::Keyring,
    /// The unix socket of the Docker-compatible API, once it listens.
    pub docker_socket: std::sync::OnceLock<String>,
    /// The metrics this node serves, when it serves them ([`crate::metrics`]).
    pub metrics_registry: std::sync::OnceLock<Arc<swarm_metrics::Registry>>,
    /// The events this node derives from what it applies ([`crate::events_api`]).
    pub events: std::sync::OnceLock<Arc<swarm_store::events::EventLog>>,
    peers: Mutex<BTreeMap<String, Arc<Client>>>,
}

impl Node {
    /// Wraps a started Raft instance.
    pub fn new(
        id: NodeId,
        raft: Raft<TypeConfig>,
        state: SharedState,
        settings: Settings,
        client_tls: crate::network::SharedTls,
        local_ip: Option<std::net::IpAddr>,
    ) -> Self {
        Node {
            id,
            raft,
            state,
            settings,
            client_tls,
            local_ip,
            liveness: Mutex::new(Liveness::default()),
            shutdown: watch::channel(false).0,
            managers: Mutex::new(Vec::new()),
            left: std::sync::atomic::AtomicBool::new(false),
            heartbeat_gate: tokio::sync::Mutex::new(false),
            agent: std::sync::OnceLock::new(),
            keys: Default::default(),
            docker_socket: std::sync::OnceLock::new(),
            metrics_registry: std::sync::OnceLock::new(),
            events: std::sync::OnceLock::new(),
            peers: Mutex::new(BTreeMap::new()),
        }
    }

    /// Asks the daemon to stop.
    pub fn stop(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes when the daemon is asked to stop.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    }

    /// Current Raft metrics.
    pub fn metrics(&self) -> RaftMetrics<u64, BasicNode> {
        self.raft.metrics().borrow().clone()
    }

    /// A copy of the last applied cluster state.
    pub fn snapshot(&self) -> ClusterState {
        self.state
            .read()
            .map(|a| a.state.clone())
            .unwrap_or_default()
    }

    /// The record of the admin certificate with this serial, if the managers signed it.
    pub fn admin_cert(&self, serial: &str) -> Option<AdminCertRecord> {
        self.state
            .read()
            .ok()
            .and_then(|a| a.state.admin_certs.get(serial).cloned())
    }

    /// This node's role in the state (`None` before it appears there).
    pub fn role(&self) -> Option<Role> {
        self.state
            .read()
            .ok()
            .and_then(|a| a.state.nodes.get(&self.id).map(|n| n.role))
    }

    /// Fails unless this node is a manager.
    pub fn require_manager(&self) -> Result<(), ManagerError> {
        match self.role() {
            Some(Role::Manager) => Ok(()),
            _ if self
                .metrics()
                .membership_config
                .membership()
                .voter_ids()
                .any(|v| v == self.id) =>
            {
                Ok(())
            }
            _ => Err(ManagerError::NotManager),
        }
    }

    /// Raft voters.
    pub fn voters(&self) -> BTreeSet<NodeId> {
        self.metrics()
            .membership_config
            .membership()
            .voter_ids()
            .collect()
    }

    /// Raft members (voters and learners).
    pub fn members(&self) -> BTreeSet<NodeId> {
        self.metrics()
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .collect()
    }

    /// Voters with their reachability, for the quorum guards.
    pub fn voter_health(&self) -> Vec<Voter> {
        let state = self.snapshot();
        let leader = self.metrics().current_leader;
        self.voters()
            .into_iter()
            .map(|id| Voter {
                id,
                reachable: Some(id) == leader
                    || state
                        .nodes
                        .get(&id)
                        .is_some_and(|n| n.status == NodeStatus::Ready),
            })
            .collect()
    }

    /// Stops sending heartbeats (`pause = true`) once the one in flight, if any, has been
    /// answered, or sends them again (`false`). A leaving worker pauses them before it asks to
    /// be marked Down: a heartbeat the leader handled after that Down would bring the node
    /// back Ready (the leader takes a beat after a Down as the node's return).
    pub async fn pause_heartbeats(&self, pause: bool) {
        *self.heartbeat_gate.lock().await = pause;
    }

    /// All nodes with their manager status.
    pub fn node_views(&self) -> Vec<NodeView> {
        let leader = self.metrics().current_leader;
        // Under the read lock: no copy of the whole state per call (it is on every write path).
        let Ok(applied) = self.state.read() else {
            return Vec::new();
        };
        applied
            .state
            .nodes
            .values()
            .map(|n| NodeView {
                version: applied.state.node_version(n.id),
                node: n.clone(),
                manager_status: (n.role == Role::Manager).then(|| {
                    if Some(n.id) == leader {
                        ManagerStatus::Leader
                    } else if n.status == NodeStatus::Ready {
                        ManagerStatus::Reachable
                    } else {
                        ManagerStatus::Unreachable
                    }
                }),
            })
            .collect()
    }

    /// Whether this node currently believes a leader holds quorum.
    pub fn has_quorum(&self) -> bool {
        let m = self.metrics();
        match m.current_leader {
            Some(l) if l == self.id => self.leader_has_quorum(&m),
            Some(_) => true,
            None => false,
        }
    }

    fn leader_has_quorum(&self, m: &RaftMetrics<u64, BasicNode>) -> bool {
        if m.state != ServerState::Leader {
            return false;
        }
        let voters: Vec<_> = m.membership_config.membership().voter_ids().collect();
        if voters.len() <= 1 {
            return true;
        }
        let limit = (self.settings.election_max * 3).as_millis() as u64;
        m.millis_since_quorum_ack.is_some_and(|ms| ms <= limit)
    }

    pub(crate) fn leader_addr(
        &self,
        m: &RaftMetrics<u64, BasicNode>,
        leader: NodeId,
    ) -> Option<String> {
        m.membership_config
            .membership()
            .get_node(&leader)
            .map(|n| n.addr.clone())
    }

    /// A cached mTLS client for another node.
    pub fn peer(&self, addr: &str) -> Arc<Client> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers
            .entry(addr.to_string())
            .or_insert_with(|| {
                Arc::new(
                    Client::new(Target::Tls {
                        addr: addr.to_string(),
                        config: self
                            .client_tls
                            .read()
                            .unwrap_or_else(|e| e.into_inner())
                            .clone(),
                    })
                    .with_timeout(self.settings.write_timeout)
                    .with_local_ip(self.local_ip),
                )
            })
            .clone()
    }

    /// Presents another certificate from now on (a new role's): new connections to other
    /// nodes use `cfg` (the cached clients, with their open connections and TLS sessions of
    /// the old certificate, are dropped), and so do Raft's connections to peers it starts
    /// replicating to (a new learner accepts only a manager certificate).
    pub fn set_client_tls(&self, cfg: Arc<ClientConfig>) {
        *self.client_tls.write().unwrap_or_else(|e| e.into_inner()) = cfg;
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn no_quorum(&self) -> ManagerError {
        let voters = self.voters().len();
        ManagerError::NoQuorum(format!(
            "no leader with a majority of the {voters} managers (need {}); writes are refused until \
             enough managers are back. Reads show the last known state. If the lost managers \
             cannot come back, run `swarmd init --force-new-cluster` on a surviving manager",
            crate::quorum::majority(voters.max(1))
        ))
    }

    /// Commits a command through the leader (forwarding if needed). Fails with "no quorum" when
    /// no leader with a majority commits it within the write timeout; its outcome is then
    /// unknown (it may still commit). A command refused after an attempt whose outcome is unknown
    /// (its refusal may come from that attempt's own effect, as for a compare-and-set) fails
    /// the same way instead of as a conflict.
    pub async fn write(&self, cmd: Command) -> Result<(), ManagerError> {
        let deadline = Instant::now() + self.settings.write_timeout;
        let mut uncertain = false;
        loop {
            let m = self.metrics();
            let attempt = match m.current_leader {
                Some(l) if l == self.id => self.write_local(cmd.clone()).await,
                Some(l) => match self.leader_addr(&m, l) {
                    Some(addr) => match self
                        .peer(&addr)
                        .post::<_, CommandResponse>(routes::RAFT_WRITE.pattern, &cmd)
                        .await
                        .map_err(ManagerError::from)
                    {
                        Ok(resp) => {
                            let index = resp.index;
                            let done = apply_result(resp);
                            if done.is_ok() {
                                self.await_own_apply(index, deadline).await;
                            }
                            done
                        }
                        Err(e) => Err(e),
                    },
                    None => Err(self.no_quorum()),
                },
                None => Err(self.no_quorum()),
            };
            match attempt {
                Err(e) if retryable(&e) && Instant::now() < deadline => {
                    uncertain |= !never_sent(&e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) if retryable(&e) => return Err(self.no_quorum()),
                // (a conflict from the leader, or forwarded from it)
                Err(e) if uncertain && e.kind() == ErrorKind::Conflict => {
                    return Err(ManagerError::NoQuorum(format!(
                        "the write's outcome is unknown: an attempt was cut off, and the retry \
                         was refused ({e}), perhaps because the first attempt took effect; \
                         read the object again"
                    )))
                }
                other => return other,
            }
        }
    }

    /// After a write the leader committed for us: waits (until `deadline`) for this node to
    /// have applied it too, so what the client reads next through this manager includes it.
    /// The write has taken effect either way; a follower that lags past the deadline answers
    /// anyway (the next read may then miss it, as with any stale local read).
    async fn await_own_apply(&self, index: Option<u64>, deadline: Instant) {
        let Some(index) = index else { return };
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = self
            .raft
            .wait(Some(left.max(Duration::from_millis(1))))
            .applied_index_at_least(Some(index), "read your own write")
            .await;
    }

    /// Commits on this node, which must be the leader with quorum.
    pub async fn write_local(&self, cmd: Command) -> Result<(), ManagerError> {
        self.write_local_at(cmd).await.map(|_| ())
    }

    /// [`Node::write_local`], answering the log index the command was committed at.
    pub async fn write_local_at(&self, cmd: Command) -> Result<u64, ManagerError> {
        let m = self.metrics();
        if m.current_leader != Some(self.id) || !self.leader_has_quorum(&m) {
            return Err(self.no_quorum());
        }
        match tokio::time::timeout(self.settings.write_timeout, self.raft.client_write(cmd)).await {
            Err(_) => Err(self.no_quorum()),
            Ok(Ok(resp)) => apply_result(resp.data).map(|()| resp.log_id.index),
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => {
                Err(self.no_quorum())
            }
            Ok(Err(e)) => Err(ManagerError::Raft(e.to_string())),
        }
    }

    /// Runs a membership change on the leader (forwarding if needed).
    pub async fn membership(&self, op: MembershipOp) -> Result<(), ManagerError> {
        let deadline = Instant::now() + self.settings.write_timeout * 4;
        loop {
            let m = self.metrics();
            let attempt = match m.current_leader {
                Some(l) if l == self.id => self.membership_local(op.clone()).await,
                Some(l) => match self.leader_addr(&m, l) {
                    Some(addr) => self
                        .peer(&addr)
                        .post::<_, ()>(routes::RAFT_MEMBERSHIP.pattern, &op)
                        .await
                        .map_err(ManagerError::from),
                    None => Err(self.no_quorum()),
                },
                None => Err(self.no_quorum()),
            };
            match attempt {
                Err(e) if retryable(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// Runs a membership change; this node must be the leader.
    pub async fn membership_local(&self, op: MembershipOp) -> Result<(), ManagerError> {
        let m = self.metrics();
        if m.current_leader != Some(self.id) || !self.leader_has_quorum(&m) {
            return Err(self.no_quorum());
        }
        let raft_err = |e: &dyn std::fmt::Display| ManagerError::Raft(e.to_string());
        let timeout = self.settings.write_timeout * 3;
        match op {
            MembershipOp::AddVoter { id, addr } => {
                let node = BasicNode::new(addr);
                retry_in_progress(timeout, || self.raft.add_learner(id, node.clone(), true))
                    .await
                    .map_err(|_| {
                        ManagerError::Raft(format!(
                            "node {} did not catch up with the log in time",
                            format_node_id(id)
                        ))
                    })?
                    .map_err(|e| raft_err(&e))?;
                let change = ChangeMembers::AddVoterIds(BTreeSet::from([id]));
                self.change_members(change, false, timeout).await?;
            }
            MembershipOp::DemoteVoter { id } => {
                if !self.voters().contains(&id) {
                    return Ok(());
                }
                let change = ChangeMembers::RemoveVoters(BTreeSet::from([id]));
                self.change_members(change, true, timeout).await?;
            }
            MembershipOp::RemoveVoter { id } => {
                let mut change = ChangeMembers::RemoveVoters(BTreeSet::from([id]));
                if !self.voters().contains(&id) {
                    change = ChangeMembers::RemoveNodes(BTreeSet::from([id]));
                    if !self.members().contains(&id) {
                        return Ok(());
                    }
                }
                self.change_members(change, false, timeout).await?;
            }
        }
        Ok(())
    }

    /// One membership change, waiting out a change that is still in flight (a join's second
    /// phase, say) instead of failing the caller's command.
    async fn change_members(
        &self,
        change: ChangeMembers<NodeId, BasicNode>,
        retain: bool,
        timeout: Duration,
    ) -> Result<(), ManagerError> {
        retry_in_progress(timeout, || {
            self.raft.change_membership(change.clone(), retain)
        })
        .await
        .map_err(|_| self.no_quorum())?
        .map(|_| ())
        .map_err(|e| ManagerError::Raft(e.to_string()))
    }
}

/// Runs a membership call until it succeeds, fails for another reason than "a configuration
/// change is in progress", or `timeout` passes (the outer `Err`).
async fn retry_in_progress<T, F, Fut>(
    timeout: Duration,
    mut call: F,
) -> Result<
    Result<T, RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>>,
    tokio::time::error::Elapsed,
>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<
        Output = Result<T, RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>>,
    >,
{
    tokio::time::timeout(timeout, async {
        loop {
            match call().await {
                Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                    ChangeMembershipError::InProgress(_),
                ))) => tokio::time::sleep(Duration::from_millis(50)).await,
                other => return other,
            }
        }
    })
    .await
}

pub(crate) fn retryable(e: &ManagerError) -> bool {
    match e {
        ManagerError::NoQuorum(_) => true,
        ManagerError::Client(c) => {
            matches!(
                c,
                ClientError::Connect { .. } | ClientError::Tls { .. } | ClientError::Http { .. }
            ) || c.kind() == Some(ErrorKind::NoQuorum)
        }
        _ => false,
    }
}

/// Whether a failed attempt surely never reached the leader (so it cannot have taken effect).
fn never_sent(e: &ManagerError) -> bool {
    matches!(
        e,
        ManagerError::Client(ClientError::Connect { .. } | ClientError::Tls { .. })
    )
}

fn apply_result(resp: CommandResponse) -> Result<(), ManagerError> {
    match resp.error {
        None => Ok(()),
        Some(
            e @ (ApplyError::NodeNotFound { .. }
            | ApplyError::ServiceNotFound { .. }
            | ApplyError::FileObjectNotFound { .. }),
        ) => Err(ManagerError::NotFound(e.to_string())),
        Some(e) => Err(ManagerError::Conflict(e.to_string())),
    }
}
