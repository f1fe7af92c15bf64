//! The manager's route table: every route of [`swarm_api::routes`] beside its handler, in one
//! place. A route is mounted with the method its definition says ([`Route::verb`]), so a
//! handler cannot be mounted as `GET` for a route the client posts to.
//!
//! Who may call a handler is decided by what it takes first ([`crate::extract`]).

use std::sync::Arc;

use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;
use swarm_api::config::ConfigSpec;
use swarm_api::routes::{self, Route, Verb};
use swarm_api::secret::SecretSpec;

use crate::node::Node;
use crate::secret_api::ManagedKind;
use crate::{
    admin_api, dispatcher, events_api, join_api, lock_api, log_stream, metrics, network_api,
    node_api, promotion, raft_api, secret_api, service_api,
};

/// A router being built, mounting routes by their definitions.
struct Table(Router<Arc<Node>>);

impl Table {
    /// Mounts `handler` at `route`'s pattern with `route`'s method.
    fn at<Req, Resp, H, T>(self, route: &Route<Req, Resp>, handler: H) -> Self
    where
        H: Handler<T, Arc<Node>>,
        T: 'static,
    {
        let method = match route.verb {
            Verb::Get => get(handler),
            Verb::Post => post(handler),
        };
        Table(self.0.route(route.pattern, method))
    }

    /// The routes of one kind of file object but `create` (which differs per kind).
    fn file_objects<S: ManagedKind>(self) -> Self {
        self.at(&S::LIST, secret_api::list::<S>)
            .at(&S::INSPECT, secret_api::inspect::<S>)
            .at(&S::UPDATE, secret_api::update::<S>)
            .at(&S::RM, secret_api::remove::<S>)
    }
}

/// Every route of a node (the node runtime gives the state: `routes().with_state(node)`).
pub fn routes() -> Router<Arc<Node>> {
    Table(Router::new())
        .at(&routes::RAFT_APPEND, raft_api::append)
        .at(&routes::RAFT_VOTE, raft_api::vote)
        .at(&routes::RAFT_SNAPSHOT, raft_api::snapshot)
        .at(&routes::RAFT_WRITE, raft_api::write)
        .at(&routes::RAFT_READ_INDEX, raft_api::read_index)
        .at(&routes::RAFT_MEMBERSHIP, raft_api::membership)
        .at(&routes::RAFT_HEARTBEAT, raft_api::heartbeat)
        .at(&routes::INFO, node_api::info)
        .at(&routes::NODES, node_api::list)
        .at(&routes::NODE, node_api::inspect)
        .at(&routes::NODE_UPDATE, node_api::update)
        .at(&routes::NODE_PROMOTE, node_api::promote)
        .at(&routes::NODE_DEMOTE, node_api::demote)
        .at(&routes::NODE_RM, node_api::remove)
        .at(&routes::JOIN_TOKEN, node_api::join_token)
        .at(&routes::LEAVE, node_api::leave)
        .at(&routes::JOIN, join_api::join)
        .at(&routes::JOIN_VOTER, join_api::become_voter)
        .at(&routes::HEARTBEAT, join_api::heartbeat)
        .at(&routes::SELF_LEAVE, join_api::self_leave)
        .at(&routes::SERVICES, service_api::list)
        .at(&routes::SERVICE_CREATE, service_api::create)
        .at(&routes::SERVICE, service_api::inspect)
        .at(&routes::SERVICE_UPDATE, service_api::update)
        .at(&routes::SERVICE_ROLLBACK, service_api::rollback)
        .at(&routes::SERVICE_RM, service_api::remove)
        .at(&routes::SERVICE_TASKS, service_api::tasks)
        .at(&routes::SERVICE_LOGS, service_api::logs)
        .at(&routes::SERVICE_LOG_STREAM, log_stream::service_stream)
        .at(&routes::AGENT_TASK_LOG_STREAM, log_stream::agent_stream)
        .at(&routes::NETWORKS, network_api::list)
        .at(&routes::NETWORK_CREATE, network_api::create)
        .at(&routes::NETWORK_PRUNE, network_api::prune)
        .at(&routes::NETWORK, network_api::inspect)
        .at(&routes::NETWORK_RM, network_api::remove)
        .at(&routes::SECRET_CREATE, secret_api::create_secret)
        .at(&routes::CONFIG_CREATE, secret_api::create_config)
        .file_objects::<SecretSpec>()
        .file_objects::<ConfigSpec>()
        .at(&routes::SWARM_UPDATE, lock_api::update)
        .at(&routes::SWARM_UNLOCK_KEY, lock_api::unlock_key)
        .at(&routes::SWARM_UNLOCK, lock_api::unlock)
        .at(&routes::DATA_KEY, promotion::data_key)
        .at(&routes::DISPATCHER_SYNC, dispatcher::sync)
        .at(&routes::AGENT_TASK_LOGS, dispatcher::agent_logs)
        .at(&routes::ADMIN_CERT, admin_api::admin_cert)
        .at(&routes::ADMIN_CERTS, admin_api::list)
        .at(&routes::ADMIN_REVOKE, admin_api::revoke)
        .at(&routes::EVENTS, events_api::stream)
        .0
        .route("/metrics", get(metrics::scrape))
}
