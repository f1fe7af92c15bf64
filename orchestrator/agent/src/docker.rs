//! The Docker executor: runs tasks as containers through the Docker Engine API (bollard).
//!
//! Images: every prepare first tries to pull (bounded by `pull_timeout`); when the pull fails
//! (no registry reachable, or the registry does not know the image) a local image of that
//! name is used; when there is none the task is rejected with
//! "image X not found locally nor in registry R" — it never hangs on a pull.
//! Concurrent prepares of one image share one pull, and its result is reused for
//! [`PULL_REUSE`] ([`crate::pull_cache`]).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::models::{ContainerSummaryStateEnum, SystemInfo};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, EventsOptions, ListContainersOptions, LogsOptions,
    RemoveContainerOptions, StopContainerOptions, WaitContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use swarm_api::node::{NodeDescription, Platform};
use swarm_api::resources::{Resources, NANO_CPUS_PER_CPU};
use swarm_api::task::{BoundPort, Task};

use crate::container_config::{bound_ports, container_config, ingress_port_count};
use crate::error::AgentError;
use crate::executor::{
    ContainerState, Executor, Health, LogLine, LogStreamOptions, NodeContext, TaskContainer,
};
use crate::labels;
use crate::pull_cache::PullCache;

/// The default Docker socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// How long the result of a pull is reused by later prepares of the same image (a service's
/// tasks, a batch of an update) before the registry is asked again.
pub const PULL_REUSE: Duration = Duration::from_secs(10);

/// Runs tasks on one Docker daemon for one node.
#[derive(Debug, Clone)]
pub struct DockerExecutor {
    docker: Docker,
    node: NodeContext,
    pull_timeout: Duration,
    publish_ip: IpAddr,
    pulls: Arc<PullCache>,
    files: Option<Arc<crate::task_files::TaskFiles>>,
}

fn docker_err(op: &'static str, target: &str) -> impl FnOnce(BollardError) -> AgentError {
    let target = target.to_string();
    move |source| AgentError::Docker { op, target, source }
}

fn status_code(e: &BollardError) -> Option<u16> {
    match e {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The node description from `docker info`: `NCPU` → CPUs, `MemTotal` → memory, engine
/// labels `k=v` (a label without `=` has an empty value), `ServerVersion`.
pub fn describe_from(info: &SystemInfo) -> NodeDescription {
    let engine_labels: BTreeMap<String, String> = info
        .labels
        .iter()
        .flatten()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.clone(), String::new()),
        })
        .collect();
    NodeDescription {
        resources: Resources {
            nano_cpus: info.ncpu.unwrap_or(0).saturating_mul(NANO_CPUS_PER_CPU),
            memory_bytes: info.mem_total.unwrap_or(0),
        },
        engine_labels,
        engine_version: info.server_version.clone().unwrap_or_default(),
        platform: Platform {
            os: info.os_type.clone().unwrap_or_default(),
            architecture: info.architecture.clone().unwrap_or_default(),
        },
    }
}

/// The registry a pull of `image` asks: the first path component when it looks like a host
/// (has a `.` or `:`, or is `localhost`), else Docker Hub (`docker.io`), as Docker resolves
/// references.
pub fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first
        }
        _ => "docker.io",
    }
}

/// `name` → `name:latest` when the reference has neither tag nor digest (an untagged pull
/// would fetch every tag).
pub fn with_default_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || image.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

impl DockerExecutor {
    /// Connects to the daemon at `socket` (API version negotiated, so older engines work).
    pub async fn connect(socket: &str, node: NodeContext) -> Result<Self, AgentError> {
        let connect = |source| AgentError::Connect {
            socket: socket.to_string(),
            source,
        };
        let docker = Docker::connect_with_socket(socket, 120, bollard::API_DEFAULT_VERSION)
            .map_err(connect)?
            .negotiate_version()
            .await
            .map_err(connect)?;
        Ok(DockerExecutor {
            docker,
            node,
            pull_timeout: Duration::from_secs(60),
            publish_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            pulls: Arc::new(PullCache::new(PULL_REUSE)),
            files: None,
        })
    }

    /// Sets the IP ingress target ports are bound on (ephemeral host ports), i.e. where the
    /// routing mesh of the other nodes reaches this node's tasks: the node's advertise IP.
    /// Default 127.0.0.1 (single-host only).
    pub fn with_publish_ip(mut self, ip: IpAddr) -> Self {
        self.publish_ip = ip;
        self
    }

    /// Delivers tasks' secrets and configs as files from `files` (see [`crate::task_files`]).
    pub fn with_files(mut self, files: Arc<crate::task_files::TaskFiles>) -> Self {
        self.files = Some(files);
        self
    }

    /// The store of task files, if any.
    pub fn files(&self) -> Option<&Arc<crate::task_files::TaskFiles>> {
        self.files.as_ref()
    }

    /// The IP ingress ports are bound on.
    pub fn publish_ip(&self) -> IpAddr {
        self.publish_ip
    }

    /// The node's description from `docker info`.
    pub async fn describe(&self) -> Result<NodeDescription, AgentError> {
        let info = self
            .docker
            .info()
            .await
            .map_err(docker_err("info", "daemon"))?;
        Ok(describe_from(&info))
    }

    /// Sets how long a pull may take before the local image is used instead.
    pub fn with_pull_timeout(mut self, t: Duration) -> Self {
        self.pull_timeout = t;
        self
    }

    /// The underlying client.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// The node this executor runs tasks for.
    pub fn node(&self) -> &NodeContext {
        &self.node
    }

    async fn pull(&self, image: &str) -> Result<(), String> {
        let opts = CreateImageOptions {
            from_image: Some(with_default_tag(image)),
            ..Default::default()
        };
        let mut stream = self.docker.create_image(Some(opts), None, None);
        while let Some(item) = stream.next().await {
            item.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Pulls `image` if a registry serves it, else checks that it exists locally.
    pub async fn ensure_image(&self, image: &str) -> Result<(), AgentError> {
        let timed_pull = || async {
            match tokio::time::timeout(self.pull_timeout, self.pull(image)).await {
                Ok(r) => r,
                Err(_) => Err(format!("timed out after {} s", self.pull_timeout.as_secs())),
            }
        };
        let pull_error = match self.pulls.pull(image, timed_pull).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(404) => Err(AgentError::ImageNotFound {
                image: image.to_string(),
                registry: registry_of(image).to_string(),
                pull_error,
            }),
            Err(e) => Err(docker_err("inspect image", image)(e)),
        }
    }

    /// Ids of all containers (running or not) carrying label `key=value`.
    pub async fn containers_with_label(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<String>, AgentError> {
        let list = self.labelled(vec![format!("{key}={value}")], key).await?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }

    /// All containers (running or not) carrying every label filter of `labels` (`key` or
    /// `key=value`); `about` names what was asked in an error.
    async fn labelled(
        &self,
        labels: Vec<String>,
        about: &str,
    ) -> Result<Vec<bollard::models::ContainerSummary>, AgentError> {
        let filters = HashMap::from([("label".to_string(), labels)]);
        self.docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map_err(docker_err("list containers", about))
    }
}

impl Executor for DockerExecutor {
    async fn prepare(&self, task: &Task) -> Result<String, AgentError> {
        let image = &task.spec.container.image;
        self.ensure_image(image).await?;
        let name = task.container_name();
        let mut config = container_config(task, &self.node, self.publish_ip);
        let c = &task.spec.container;
        if !c.secrets.is_empty() || !c.configs.is_empty() {
            let files = self.files.as_ref().ok_or_else(|| {
                AgentError::Files("this node has no tmpfs for secrets and configs".into())
            })?;
            files.materialize(task)?;
            let hc = config.host_config.get_or_insert_with(Default::default);
            hc.mounts
                .get_or_insert_with(Vec::new)
                .extend(crate::task_files::binds(files.root(), task));
        }
        let opts = CreateContainerOptions {
            name: Some(name.clone()),
            ..Default::default()
        };
        match self.docker.create_container(Some(opts), config).await {
            Ok(r) => Ok(r.id),
            // Prepared before (agent restarted mid-way): reuse the container of this task.
            Err(e) if status_code(&e) == Some(409) => {
                let c = self
                    .docker
                    .inspect_container(&name, None)
                    .await
                    .map_err(docker_err("inspect container", &name))?;
                Ok(c.id.unwrap_or(name))
            }
            Err(e) => Err(docker_err("create container", &name)(e)),
        }
    }

    async fn start(&self, container_id: &str) -> Result<(), AgentError> {
        match self.docker.start_container(container_id, None).await {
            Ok(()) => Ok(()),
            Err(e) if status_code(&e) == Some(304) => Ok(()), // already started
            Err(e) => Err(docker_err("start container", container_id)(e)),
        }
    }

    async fn wait(&self, container_id: &str) -> Result<i64, AgentError> {
        let opts = WaitContainerOptions {
            condition: "not-running".to_string(),
        };
        let mut stream = self.docker.wait_container(container_id, Some(opts));
        loop {
            match stream.next().await {
                Some(Ok(r)) => return Ok(r.status_code),
                Some(Err(BollardError::DockerContainerWaitError { code, .. })) => return Ok(code),
                Some(Err(e)) => return Err(docker_err("wait container", container_id)(e)),
                // The stream ended without a status: ask the container itself.
                None => {
                    let c = self
                        .docker
                        .inspect_container(container_id, None)
                        .await
                        .map_err(docker_err("inspect container", container_id))?;
                    let state = c.state.unwrap_or_default();
                    if state.running != Some(true) {
                        return Ok(state.exit_code.unwrap_or(-1));
                    }
                    stream = self.docker.wait_container(
                        container_id,
                        Some(WaitContainerOptions {
                            condition: "not-running".to_string(),
                        }),
                    );
                }
            }
        }
    }

    async fn has_health(&self, container_id: &str) -> Result<bool, AgentError> {
        let c = self
            .docker
            .inspect_container(container_id, None)
            .await
            .map_err(docker_err("inspect container", container_id))?;
        let status = c
            .state
            .and_then(|s| s.health)
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .unwrap_or_default();
        Ok(!status.is_empty() && status != "none")
    }

    async fn health(&self, container_id: &str, healthy_ends: bool) -> Result<Health, AgentError> {
        let verdict = |status: &str| match status {
            "healthy" if healthy_ends => Some(Health::Healthy),
            "unhealthy" => Some(Health::Unhealthy),
            _ => None,
        };
        // Events from a second before the inspect on: a change between the inspect and the
        // subscription is not missed (the engine replays recent events for `since`).
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs().saturating_sub(1));
        let c = self
            .docker
            .inspect_container(container_id, None)
            .await
            .map_err(docker_err("inspect container", container_id))?;
        let Some(health) = c.state.and_then(|s| s.health) else {
            return Ok(Health::None);
        };
        let status = health.status.map(|s| s.to_string()).unwrap_or_default();
        if status.is_empty() || status == "none" {
            return Ok(Health::None);
        }
        if let Some(v) = verdict(&status) {
            return Ok(v);
        }
        let filters = HashMap::from([
            ("container".to_string(), vec![container_id.to_string()]),
            ("event".to_string(), vec!["health_status".to_string()]),
        ]);
        let mut events = self.docker.events(Some(EventsOptions {
            since: Some(since.to_string()),
            filters: Some(filters),
            ..Default::default()
        }));
        while let Some(e) = events.next().await {
            let e = e.map_err(docker_err("watch health of container", container_id))?;
            let action = e.action.unwrap_or_default();
            if let Some(v) = action.strip_prefix("health_status: ").and_then(verdict) {
                return Ok(v);
            }
        }
        // The engine closed the stream (it is stopping): no verdict.
        Ok(Health::None)
    }

    async fn stop(&self, container_id: &str, grace: Duration) -> Result<(), AgentError> {
        let opts = StopContainerOptions {
            t: Some(grace.as_secs().min(i32::MAX as u64) as i32),
            signal: None,
        };
        match self.docker.stop_container(container_id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if status_code(&e) == Some(304) => Ok(()), // already stopped
            Err(e) => Err(docker_err("stop container", container_id)(e)),
        }
    }

    async fn remove(&self, container_id: &str) -> Result<(), AgentError> {
        let opts = RemoveContainerOptions {
            force: true,
            v: true,
            link: false,
        };
        match self.docker.remove_container(container_id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if status_code(&e) == Some(404) => Ok(()),
            Err(e) => Err(docker_err("remove container", container_id)(e)),
        }
    }

    async fn logs(
        &self,
        container_id: &str,
        tail: Option<usize>,
    ) -> Result<Vec<LogLine>, AgentError> {
        let opts = LogsOptions {
            stdout: true,
            stderr: true,
            tail: tail.map_or_else(|| "all".to_string(), |n| n.to_string()),
            ..Default::default()
        };
        let mut stream = self.docker.logs(container_id, Some(opts));
        let mut lines = Vec::new();
        while let Some(item) = stream.next().await {
            let out = item.map_err(docker_err("logs", container_id))?;
            let stderr = matches!(out, bollard::container::LogOutput::StdErr { .. });
            let text = out.to_string();
            for l in text.lines() {
                lines.push(LogLine {
                    stderr,
                    text: l.to_string(),
                    time: None,
                });
            }
        }
        Ok(lines)
    }
    async fn log_stream(
        &self,
        container_id: &str,
        opts: LogStreamOptions,
        tx: tokio::sync::mpsc::Sender<LogLine>,
    ) -> Result<(), AgentError> {
        let secs = |ns: i64| i32::try_from(ns.div_euclid(1_000_000_000)).unwrap_or(i32::MAX);
        let logs = LogsOptions {
            stdout: true,
            stderr: true,
            follow: opts.follow,
            timestamps: true,
            // Whole seconds for the engine; the exact bounds are applied to each line's time.
            since: opts.since_ns.map_or(0, secs),
            until: opts.until_ns.map_or(0, |ns| secs(ns).saturating_add(1)),
            tail: opts
                .tail
                .map_or_else(|| "all".to_string(), |n| n.to_string()),
        };
        let mut stream = self.docker.logs(container_id, Some(logs));
        loop {
            let item = tokio::select! {
                i = stream.next() => i,
                _ = tx.closed() => return Ok(()),
            };
            let Some(item) = item else {
                return Ok(());
            };
            let out = item.map_err(docker_err("logs", container_id))?;
            let stderr = matches!(out, bollard::container::LogOutput::StdErr { .. });
            let text = out.to_string();
            for l in text.lines() {
                let (time, text) = crate::executor::split_time(l);
                if !crate::executor::in_bounds(time, opts) {
                    continue;
                }
                let line = LogLine {
                    stderr,
                    text: text.to_string(),
                    time: time.map(str::to_string),
                };
                if tx.send(line).await.is_err() {
                    return Ok(());
                }
            }
        }
    }

    async fn bound_ports(
        &self,
        task: &Task,
        container_id: &str,
    ) -> Result<Vec<BoundPort>, AgentError> {
        let want = ingress_port_count(task);
        if want == 0 {
            return Ok(Vec::new());
        }
        let c = self
            .docker
            .inspect_container(container_id, None)
            .await
            .map_err(docker_err("inspect container", container_id))?;
        let ports = c.network_settings.and_then(|n| n.ports).unwrap_or_default();
        let bound = bound_ports(task, &ports, self.publish_ip);
        if bound.len() != want {
            return Err(AgentError::PortsNotBound {
                container: container_id.to_string(),
                publish_ip: self.publish_ip,
                found: bound.len(),
                want,
            });
        }
        Ok(bound)
    }

    async fn task_containers(&self) -> Result<Vec<TaskContainer>, AgentError> {
        let wanted = vec![
            format!("{}={}", labels::NODE_ID, self.node.node_id),
            labels::TASK_ID.to_string(),
        ];
        let list = self.labelled(wanted, &self.node.node_id).await?;
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let l = c.labels.unwrap_or_default();
                // The daemon filtered already; checked again so a filter quirk can never
                // hand us another node's container.
                if l.get(labels::NODE_ID) != Some(&self.node.node_id) {
                    return None;
                }
                Some(TaskContainer {
                    task_id: l.get(labels::TASK_ID)?.clone(),
                    container_id: c.id?,
                    state: container_state(c.state),
                })
            })
            .collect())
    }
}

fn container_state(s: Option<ContainerSummaryStateEnum>) -> ContainerState {
    use ContainerSummaryStateEnum as S;
    match s {
        Some(S::CREATED) => ContainerState::Created,
        Some(S::RUNNING | S::PAUSED | S::RESTARTING | S::STOPPING) => ContainerState::Running,
        _ => ContainerState::Exited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_from_docker_info() {
        let info = SystemInfo {
            ncpu: Some(4),
            mem_total: Some(8 << 30),
            labels: Some(vec!["zone=a".into(), "ssd".into(), "k=v=w".into()]),
            server_version: Some("20.10.24".into()),
            os_type: Some("linux".into()),
            architecture: Some("x86_64".into()),
            ..Default::default()
        };
        let d = describe_from(&info);
        assert_eq!(d.resources.nano_cpus, 4_000_000_000);
        assert_eq!(d.resources.memory_bytes, 8 << 30);
        assert_eq!(d.engine_version, "20.10.24");
        assert_eq!(
            (d.platform.os.as_str(), d.platform.architecture.as_str()),
            ("linux", "x86_64")
        );
        assert_eq!(
            d.engine_labels,
            BTreeMap::from([
                ("zone".to_string(), "a".to_string()),
                ("ssd".to_string(), String::new()),
                ("k".to_string(), "v=w".to_string()),
            ])
        );
        assert_eq!(
            describe_from(&SystemInfo::default()),
            NodeDescription::default()
        );
    }

    #[test]
    fn default_tag() {
        assert_eq!(with_default_tag("nginx"), "nginx:latest");
        assert_eq!(with_default_tag("nginx:1.25"), "nginx:1.25");
        assert_eq!(
            with_default_tag("localhost:5000/web"),
            "localhost:5000/web:latest"
        );
        assert_eq!(
            with_default_tag("localhost:5000/web:v1"),
            "localhost:5000/web:v1"
        );
        assert_eq!(with_default_tag("web@sha256:abc"), "web@sha256:abc");
    }

    #[test]
    fn registry_as_docker_resolves_it() {
        assert_eq!(registry_of("nginx"), "docker.io");
        assert_eq!(registry_of("swarm-test/web:v1"), "docker.io");
        assert_eq!(registry_of("10.213.0.1:5000/web"), "10.213.0.1:5000");
        assert_eq!(registry_of("localhost/web"), "localhost");
        assert_eq!(
            registry_of("ecr.example.com/team/app:v2"),
            "ecr.example.com"
        );
    }
}
