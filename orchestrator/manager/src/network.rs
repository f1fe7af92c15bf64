//! openraft's network over HTTPS with mutual TLS: one persistent connection per peer stream.

use std::sync::Arc;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use rustls::ClientConfig;
use serde::de::DeserializeOwned;
use serde::Serialize;
use swarm_api::client::{Client, Target};
use swarm_api::error::ClientError;
use swarm_api::routes;
use swarm_store::TypeConfig;

/// Creates a [`PeerNetwork`] per target node.
#[derive(Clone)]
pub struct Network {
    tls: SharedTls,
    local_ip: Option<std::net::IpAddr>,
}

/// The node's client TLS config, replaced when its role (and so its certificate) changes.
pub type SharedTls = Arc<std::sync::RwLock<Arc<ClientConfig>>>;

impl Network {
    /// A network presenting this node's client certificate (the one in `tls` when a peer's
    /// connection is made), connecting from `local_ip`.
    pub fn new(tls: SharedTls, local_ip: Option<std::net::IpAddr>) -> Self {
        Network { tls, local_ip }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerNetwork;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Self::Network {
        PeerNetwork {
            target,
            client: Client::new(Target::Tls {
                addr: node.addr.clone(),
                config: self.tls.read().unwrap_or_else(|e| e.into_inner()).clone(),
            })
            .with_local_ip(self.local_ip),
        }
    }
}

/// The connection to one peer.
pub struct PeerNetwork {
    target: u64,
    client: Client,
}

type RpcErr<E> = RPCError<u64, BasicNode, RaftError<u64, E>>;

impl PeerNetwork {
    async fn call<Req, Resp, E>(
        &self,
        path: &str,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RpcErr<E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let fut = self
            .client
            .post::<_, Result<Resp, RaftError<u64, E>>>(path, req);
        let res = match tokio::time::timeout(option.hard_ttl(), fut).await {
            Ok(r) => r,
            Err(_) => {
                self.client.reset().await;
                let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "raft rpc timed out");
                return Err(RPCError::Unreachable(Unreachable::new(&e)));
            }
        };
        match res {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            Err(e @ (ClientError::Connect { .. } | ClientError::Tls { .. })) => {
                Err(RPCError::Unreachable(Unreachable::new(&e)))
            }
            Err(e) => Err(RPCError::Network(NetworkError::new(&e))),
        }
    }
}

impl RaftNetwork<TypeConfig> for PeerNetwork {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RpcErr<openraft::error::Infallible>> {
        self.call(routes::RAFT_APPEND.pattern, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RpcErr<InstallSnapshotError>> {
        self.call(routes::RAFT_SNAPSHOT.pattern, &rpc, &option)
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RpcErr<openraft::error::Infallible>> {
        self.call(routes::RAFT_VOTE.pattern, &rpc, &option).await
    }
}
