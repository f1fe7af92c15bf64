//! Services: what the user asks for (`ServiceSpec`) and what the managers store (`Service`).
//!
//! The spec follows Docker's shape: a name and labels, a mode (replicated or global), a task
//! template (container, resources, restart policy, placement), published ports, and the
//! update/rollback configs. `ServiceSpec::validate` refuses impossible specs with a `SpecError`
//! that names the flag, the value and the fix.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::constraint::{Constraint, PlacementPreference};
use crate::dns_config::DnsConfig;
use crate::mount::Mount;
use crate::publish::{PortConfig, PublishMode};
use crate::resources::ResourceRequirements;
use crate::restart::RestartPolicy;
use crate::spec_error::SpecError;

pub use crate::label::parse_label;

/// Replicated (N tasks anywhere) or global (one task per eligible node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMode {
    /// Keep `replicas` tasks running.
    Replicated {
        /// The desired number of tasks.
        replicas: u64,
    },
    /// One task on every node that satisfies the placement constraints.
    Global,
}

impl Default for ServiceMode {
    fn default() -> Self {
        ServiceMode::Replicated { replicas: 1 }
    }
}

impl ServiceMode {
    /// Parses `--mode replicated|global` (replicated gets `replicas`).
    pub fn parse(value: &str, replicas: u64) -> Result<Self, SpecError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "replicated" => Ok(ServiceMode::Replicated { replicas }),
            "global" => Ok(ServiceMode::Global),
            _ => Err(SpecError::new(
                "--mode",
                value,
                "unknown service mode",
                "use --mode replicated or --mode global",
            )),
        }
    }

    /// The mode of `--mode` and `--replicas` as given (either may be absent; one replica by
    /// default). A replica count with a global mode is refused.
    pub fn of_flags(mode: Option<&str>, replicas: Option<u64>) -> Result<Self, SpecError> {
        let parsed = match mode {
            Some(m) => ServiceMode::parse(m, replicas.unwrap_or(1))?,
            None => ServiceMode::Replicated {
                replicas: replicas.unwrap_or(1),
            },
        };
        if let (ServiceMode::Global, Some(r)) = (&parsed, replicas) {
            return Err(SpecError::new(
                "--replicas",
                r.to_string(),
                "a global service runs one task per node and takes no replica count",
                "drop --replicas or use --mode replicated",
            ));
        }
        Ok(parsed)
    }
}

/// The container a task runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// Image reference, e.g. `nginx:1.25` or `swarm-test/web:v1`.
    pub image: String,
    /// Environment as `KEY=VALUE` strings.
    #[serde(default)]
    pub env: Vec<String>,
    /// Labels put on the container (`--container-label`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Replaces the image's entrypoint when non-empty.
    #[serde(default)]
    pub command: Vec<String>,
    /// Arguments (the image's CMD is replaced when non-empty).
    #[serde(default)]
    pub args: Vec<String>,
    /// Mounts.
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// Time between SIGTERM and SIGKILL when the task stops (`--stop-grace-period`); None:
    /// the node's default (10 s, as Docker's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_period_ms: Option<u64>,
    /// The container's hostname (`--hostname`); empty: Docker's default (the container id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// The user the command runs as (`--user`, `name|uid[:group|gid]`); empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Supplementary groups of that user (`--group`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The working directory of the command (`--workdir`); empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Mount the root filesystem read-only (`--read-only`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Allocate a pseudo-TTY (`--tty`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub tty: bool,
    /// Extra `/etc/hosts` entries as `host:ip` (`--host`), Docker's `--add-host` form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Kernel capabilities added to the engine's default set (`--cap-add`), `CAP_*` or `ALL`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// Kernel capabilities dropped from it (`--cap-drop`), `CAP_*` or `ALL`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Name servers, search domains and resolver options (`--dns`, `--dns-search`,
    /// `--dns-option`).
    #[serde(default, skip_serializing_if = "DnsConfig::is_empty")]
    pub dns: DnsConfig,
    /// Secrets delivered as files (`--secret`), docker's `ContainerSpec.Secrets`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secret::SecretReference>,
    /// Configs delivered as files (`--config`), docker's `ContainerSpec.Configs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<crate::config::ConfigReference>,
    /// The healthcheck (`--health-*`, `--no-healthcheck`); None: the image's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<crate::healthcheck::HealthConfig>,
    /// Run an init process as PID 1 (`--init`); None: the engine's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// The signal that stops the container (`--stop-signal`); empty: the image's (SIGTERM).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// The log driver of a task's container (`--log-driver`, `--log-opt`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogDriver {
    /// The driver, e.g. `json-file`, `local`, `none`.
    pub name: String,
    /// Its options, e.g. `max-size=10m`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// Where tasks may go and how they spread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    /// All must hold on a node (`--constraint`).
    #[serde(default)]
    pub constraints: Vec<Constraint>,
    /// Spread over attribute values, outermost first (`--placement-pref`).
    #[serde(default)]
    pub preferences: Vec<PlacementPreference>,
    /// At most this many tasks of the service per node; 0 = unlimited (`--max-replicas-per-node`).
    #[serde(default)]
    pub max_replicas_per_node: u64,
    /// The platforms the image is built for (the Docker CLI resolves them from the registry);
    /// empty: any node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<crate::node::Platform>,
}

/// The template from which every task of a service is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The container.
    pub container: ContainerSpec,
    /// Reservations and limits.
    #[serde(default)]
    pub resources: ResourceRequirements,
    /// What happens when a task exits.
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// Constraints, preferences, max replicas per node.
    #[serde(default)]
    pub placement: Placement,
    /// Bumped by `service update --force`: a changed counter makes every task dirty, so the
    /// updater replaces all tasks once (a rolling restart) without any other spec change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub force_update: u64,
    /// The container's log driver; None: the engine's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<LogDriver>,
    /// The overlay networks the tasks join (`--network`); ids after the manager resolved them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<crate::network::NetworkAttachmentConfig>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Published ports of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EndpointSpec {
    /// The ports.
    #[serde(default)]
    pub ports: Vec<PortConfig>,
    /// vip or dnsrr (`--endpoint-mode`).
    #[serde(default, skip_serializing_if = "is_vip")]
    pub mode: crate::network::EndpointMode,
}

fn is_vip(m: &crate::network::EndpointMode) -> bool {
    *m == crate::network::EndpointMode::Vip
}

impl EndpointSpec {
    /// The host-mode ports that have a fixed published port: these conflict per node.
    pub fn host_ports(&self) -> impl Iterator<Item = &PortConfig> {
        self.ports
            .iter()
            .filter(|p| p.mode == PublishMode::Host && p.published.is_some())
    }
}

/// What an update does when a task fails (placeholder for rolling updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    /// Stop the update.
    #[default]
    Pause,
    /// Keep going.
    Continue,
    /// Roll back to the previous spec.
    Rollback,
}

/// Whether a replacement starts before or after the old task stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    /// Stop the old task, then start the new one.
    #[default]
    StopFirst,
    /// Start the new task, then stop the old one.
    StartFirst,
}

/// Rolling update (or rollback) settings; used by the updater in a later issue.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct UpdateConfig {
    /// Tasks updated at once (0 = all).
    #[serde(default)]
    pub parallelism: u64,
    /// Wait between batches, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    /// On failure.
    #[serde(default)]
    pub failure_action: FailureAction,
    /// How long a new task is watched for failure, in milliseconds.
    #[serde(default)]
    pub monitor_ms: u64,
    /// Tolerated fraction of failed tasks.
    #[serde(default)]
    pub max_failure_ratio: f64,
    /// stop-first or start-first.
    #[serde(default)]
    pub order: UpdateOrder,
}

/// Where a rolling update (or rollback) stands, as `service inspect` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// Tasks are being replaced with the new spec.
    Updating,
    /// Stopped after a failure (failure action pause); a new `service update` restarts it.
    Paused,
    /// Every task runs the new spec.
    Completed,
    /// Returning to the previous spec (manually or after a failure).
    RollbackStarted,
    /// The rollback itself failed and stopped.
    RollbackPaused,
    /// Every task runs the previous spec again.
    RollbackCompleted,
}

impl UpdateState {
    /// `updating`, `paused`, ... as `service inspect` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateState::Updating => "updating",
            UpdateState::Paused => "paused",
            UpdateState::Completed => "completed",
            UpdateState::RollbackStarted => "rollback_started",
            UpdateState::RollbackPaused => "rollback_paused",
            UpdateState::RollbackCompleted => "rollback_completed",
        }
    }

    /// A rollback in progress or paused: the updater uses the rollback config.
    pub fn is_rollback(self) -> bool {
        matches!(
            self,
            UpdateState::RollbackStarted
                | UpdateState::RollbackPaused
                | UpdateState::RollbackCompleted
        )
    }
}

/// The state of the last rolling update of a service (Docker's `UpdateStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UpdateStatus {
    /// The state.
    pub state: UpdateState,
    /// When the update (or rollback) started, Unix milliseconds.
    pub started_at_ms: u64,
    /// When it completed, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at_ms: Option<u64>,
    /// Human text, e.g. "update paused due to failure or early termination of task t7".
    #[serde(default)]
    pub message: String,
}

/// A service as the user specifies it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// Unique name (`--name`).
    pub name: String,
    /// Service labels (`--label`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Replicated or global.
    #[serde(default)]
    pub mode: ServiceMode,
    /// The task template.
    pub task: TaskSpec,
    /// Published ports.
    #[serde(default)]
    pub endpoint: EndpointSpec,
    /// Rolling-update settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    /// Rollback settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
}

impl ServiceSpec {
    /// Checks the whole spec; the first problem found is returned.
    pub fn validate(&self) -> Result<(), SpecError> {
        validate_name(&self.name)?;
        let image = &self.task.container.image;
        if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
            return Err(SpecError::new(
                "image",
                image,
                "missing or malformed image reference",
                "give an image such as nginx:1.25 after the options",
            ));
        }
        for e in &self.task.container.env {
            if e.is_empty() || e.starts_with('=') {
                return Err(SpecError::new(
                    "--env",
                    e,
                    "variable name is empty",
                    "write --env KEY=VALUE",
                ));
            }
        }
        self.task.resources.validate()?;
        if let Some(h) = &self.task.container.healthcheck {
            crate::healthcheck::validate("--health-cmd", h)?;
        }
        if !self.task.container.stop_signal.is_empty() {
            crate::signal::parse_signal("--stop-signal", &self.task.container.stop_signal)?;
        }
        for m in &self.task.container.mounts {
            m.validate()?;
        }
        let mut targets = HashSet::new();
        for m in &self.task.container.mounts {
            if !targets.insert(m.target.as_str()) {
                return Err(SpecError::new(
                    "--mount",
                    &m.target,
                    "two mounts share this target",
                    "give each mount its own target path",
                ));
            }
        }
        let mut published = HashSet::new();
        for p in &self.endpoint.ports {
            if let Some(port) = p.published {
                if !published.insert((port, p.protocol)) {
                    return Err(SpecError::new(
                        "--publish",
                        format!("{port}/{}", p.protocol),
                        "the same port is published twice",
                        "publish each port once",
                    ));
                }
            }
        }
        if self.mode == ServiceMode::Global && self.task.placement.max_replicas_per_node > 0 {
            return Err(SpecError::new(
                "--max-replicas-per-node",
                self.task.placement.max_replicas_per_node.to_string(),
                "only applies to replicated services (a global service runs one task per node)",
                "remove --max-replicas-per-node or use --mode replicated",
            ));
        }
        if let Some(u) = &self.update_config {
            validate_ratio("--update-max-failure-ratio", u.max_failure_ratio)?;
        }
        if let Some(r) = &self.rollback_config {
            validate_ratio("--rollback-max-failure-ratio", r.max_failure_ratio)?;
        }
        Ok(())
    }
}

fn validate_ratio(field: &str, v: f64) -> Result<(), SpecError> {
    if !(0.0..=1.0).contains(&v) {
        return Err(SpecError::new(
            field,
            v.to_string(),
            "not between 0 and 1",
            "give a fraction such as 0.2",
        ));
    }
    Ok(())
}

/// Service names: 1 to 63 characters of letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn validate_name(name: &str) -> Result<(), SpecError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    let starts = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 63 || !ok_chars || !starts {
        return Err(SpecError::new(
            "--name",
            name,
            "not a valid service name",
            "use 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit",
        ));
    }
    Ok(())
}

/// A stored service: the spec plus the identity and bookkeeping the managers add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Cluster-unique id.
    pub id: String,
    /// Bumped on every change of the spec.
    pub version: u64,
    /// The current spec.
    pub spec: ServiceSpec,
    /// The spec before the last update (for rollback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_spec: Option<ServiceSpec>,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: u64,
    /// Last update time, Unix milliseconds.
    pub updated_at_ms: u64,
    /// The state of the last rolling update or rollback (None: none ran since the last
    /// `service update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<UpdateStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{parse_memory, Resources};

    #[test]
    fn mode_of_flags_defaults_to_one_replica_and_refuses_a_count_for_global() {
        assert_eq!(
            ServiceMode::of_flags(None, None).unwrap(),
            ServiceMode::Replicated { replicas: 1 }
        );
        assert_eq!(
            ServiceMode::of_flags(Some("replicated"), Some(3)).unwrap(),
            ServiceMode::Replicated { replicas: 3 }
        );
        assert_eq!(
            ServiceMode::of_flags(Some("global"), None).unwrap(),
            ServiceMode::Global
        );
        let e = ServiceMode::of_flags(Some("global"), Some(2)).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("--replicas", "2"));
        let e = ServiceMode::of_flags(Some("both"), None).unwrap_err();
        assert_eq!(e.field, "--mode");
    }

    fn web() -> ServiceSpec {
        ServiceSpec {
            name: "web".into(),
            mode: ServiceMode::Replicated { replicas: 3 },
            task: TaskSpec {
                container: ContainerSpec {
                    image: "swarm-test/web:v1".into(),
                    env: vec!["A=1".into()],
                    mounts: vec![Mount::parse("type=tmpfs,target=/tmp").unwrap()],
                    ..Default::default()
                },
                placement: Placement {
                    constraints: vec![Constraint::parse("node.role==worker").unwrap()],
                    preferences: vec![
                        PlacementPreference::parse("spread=node.labels.zone").unwrap()
                    ],
                    max_replicas_per_node: 2,
                    ..Default::default()
                },
                ..Default::default()
            },
            endpoint: EndpointSpec {
                ports: vec![PortConfig::parse("8080:80").unwrap()],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn valid_spec_round_trips_through_json() {
        let s = web();
        s.validate().unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: ServiceSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(json.contains("\"replicated\":{\"replicas\":3}"), "{json}");
    }

    #[test]
    fn refuses_reservation_above_limit() {
        let mut s = web();
        s.task.resources.reservations = Resources {
            nano_cpus: 0,
            memory_bytes: parse_memory("m", "1G").unwrap(),
        };
        s.task.resources.limits.memory_bytes = parse_memory("m", "512M").unwrap();
        let e = s.validate().unwrap_err();
        assert_eq!(e.field, "--reserve-memory");
        assert_eq!(e.value, "1GiB");
    }

    #[test]
    fn refuses_bad_names_images_and_combinations() {
        let mut s = web();
        s.name = "-web".into();
        assert_eq!(s.validate().unwrap_err().field, "--name");
        let mut s = web();
        s.task.container.image = "".into();
        assert_eq!(s.validate().unwrap_err().field, "image");
        let mut s = web();
        s.mode = ServiceMode::Global;
        assert_eq!(s.validate().unwrap_err().field, "--max-replicas-per-node");
        let mut s = web();
        s.endpoint
            .ports
            .push(PortConfig::parse("published=8080,target=81").unwrap());
        assert_eq!(s.validate().unwrap_err().field, "--publish");
        let mut s = web();
        s.task
            .container
            .mounts
            .push(Mount::parse("type=volume,source=v,target=/tmp").unwrap());
        assert_eq!(s.validate().unwrap_err().field, "--mount");
        let mut s = web();
        s.task.container.env.push("=x".into());
        assert_eq!(s.validate().unwrap_err().field, "--env");
    }

    #[test]
    fn modes_and_labels() {
        assert_eq!(
            ServiceMode::parse("global", 5).unwrap(),
            ServiceMode::Global
        );
        assert_eq!(
            ServiceMode::parse("replicated", 5).unwrap(),
            ServiceMode::Replicated { replicas: 5 }
        );
        assert_eq!(
            ServiceMode::parse("daemonset", 1).unwrap_err().field,
            "--mode"
        );
        assert_eq!(
            parse_label("--label", "tier=front").unwrap(),
            ("tier".into(), "front".into())
        );
        assert_eq!(
            parse_label("--label", "flag").unwrap(),
            ("flag".into(), "".into())
        );
        assert!(parse_label("--container-label", "=x").is_err());
    }

    #[test]
    fn host_ports_are_only_fixed_host_mode_ports() {
        let e = EndpointSpec {
            ports: vec![
                PortConfig::parse("8080:80").unwrap(),
                PortConfig::parse("published=9090,target=90,mode=host").unwrap(),
                PortConfig::parse("target=91,mode=host").unwrap(),
            ],
            ..Default::default()
        };
        let hp: Vec<_> = e.host_ports().map(|p| p.published).collect();
        assert_eq!(hp, vec![Some(9090)]);
    }
}
