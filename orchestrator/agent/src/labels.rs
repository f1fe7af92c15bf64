//! Label and environment names put on task containers.
//!
//! The labels are the ones Docker Swarm mode uses, so tools that group containers by
//! service (cAdvisor, Prometheus relabelling, `docker ps --filter label=...`) work unchanged.

/// The service's name.
pub const SERVICE_NAME: &str = "com.docker.swarm.service.name";
/// The service's id.
pub const SERVICE_ID: &str = "com.docker.swarm.service.id";
/// The task's id.
pub const TASK_ID: &str = "com.docker.swarm.task.id";
/// The task's name (`<service>.<slot>.<task id>`).
pub const TASK_NAME: &str = "com.docker.swarm.task.name";
/// The node's id.
pub const NODE_ID: &str = "com.docker.swarm.node.id";

/// Environment: the task id.
pub const ENV_TASK_ID: &str = "SWARM_TASK_ID";
/// Environment: the task slot (replicated services).
pub const ENV_TASK_SLOT: &str = "SWARM_TASK_SLOT";
/// Environment: the service id.
pub const ENV_SERVICE_ID: &str = "SWARM_SERVICE_ID";
/// Environment: the service name.
pub const ENV_SERVICE_NAME: &str = "SWARM_SERVICE_NAME";
/// Environment: the node id.
pub const ENV_NODE_ID: &str = "SWARM_NODE_ID";
/// Environment: the node hostname.
pub const ENV_NODE_HOSTNAME: &str = "SWARM_NODE_HOSTNAME";
