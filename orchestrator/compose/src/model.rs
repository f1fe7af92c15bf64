//! The typed compose model: the keys of the compose specification that a swarm stack can use,
//! each with its short and long syntax. Unknown keys are refused (`deny_unknown_fields`), so
//! a typo is named with its key path instead of being dropped; `x-*` extension keys are
//! removed before this model sees the tree, and keys swarm ignores are taken out (and warned
//! about) by [`crate::load`].

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A scalar where the specification wants a string: numbers and booleans are taken as their
/// text (`MYSQL_PORT: 3306`, `tag: 1.25`).
#[derive(Debug, Clone, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Text(pub String);

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `- K=V` lists or `K: V` mappings (environment, labels, extra_hosts); a null value is "take
/// it from the environment" for `environment` and an empty value elsewhere.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a list of KEY=VALUE strings or a mapping")]
pub enum ListOrMap {
    /// `- K=V`
    List(Vec<Text>),
    /// `K: V`
    Map(BTreeMap<String, Option<Text>>),
}

impl Default for ListOrMap {
    fn default() -> Self {
        ListOrMap::Map(BTreeMap::new())
    }
}

impl ListOrMap {
    /// The entries as (key, value), in key order for a map and as written for a list; `sep`
    /// splits list entries.
    pub fn entries(&self, seps: &[char]) -> Vec<(String, Option<String>)> {
        match self {
            ListOrMap::List(items) => items
                .iter()
                .map(|t| match t.0.split_once(|c| seps.contains(&c)) {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (t.0.clone(), None),
                })
                .collect(),
            ListOrMap::Map(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().map(|t| t.0.clone())))
                .collect(),
        }
    }
}

/// A string or a list of strings (`dns`, `env_file`, `tmpfs`, `dns_search`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum OneOrMany {
    /// One.
    One(Text),
    /// Many.
    Many(Vec<Text>),
}

impl OneOrMany {
    /// The values.
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(t) => vec![t.0.clone()],
            OneOrMany::Many(v) => v.iter().map(|t| t.0.clone()).collect(),
        }
    }
}

/// `command`/`entrypoint`: a shell-like string or an exec list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum Command {
    /// `command: serve --port 80` (split like a shell does).
    Shell(Text),
    /// `command: [serve, --port, "80"]`.
    Exec(Vec<Text>),
}

/// A whole compose file (after merging).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeFile {
    /// Obsolete (`3`, `3.8`): accepted and ignored, as docker does.
    #[serde(default)]
    pub version: Option<Text>,
    /// The project name (the stack name on the command line wins).
    #[serde(default)]
    pub name: Option<Text>,
    /// The services.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// Networks (null entries are networks with every default).
    #[serde(default)]
    pub networks: BTreeMap<String, Option<Network>>,
    /// Named volumes.
    #[serde(default)]
    pub volumes: BTreeMap<String, Option<Volume>>,
    /// Secrets.
    #[serde(default)]
    pub secrets: BTreeMap<String, FileObject>,
    /// Configs.
    #[serde(default)]
    pub configs: BTreeMap<String, FileObject>,
}

/// `external: true` or the legacy `external: {name: x}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "true, false or {name: NAME}")]
pub enum External {
    /// `external: true`.
    Flag(bool),
    /// `external: {name: NAME}`.
    Named {
        /// The existing object's name.
        name: Text,
    },
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `overlay` (the only driver of a swarm network).
    #[serde(default)]
    pub driver: Option<Text>,
    /// Driver options (e.g. `encrypted`).
    #[serde(default)]
    pub driver_opts: BTreeMap<String, Option<Text>>,
    /// Allow standalone containers.
    #[serde(default)]
    pub attachable: Option<bool>,
    /// No route out.
    #[serde(default)]
    pub internal: Option<bool>,
    /// IPv6 (not supported by swarmd: refused when true).
    #[serde(default)]
    pub enable_ipv6: Option<bool>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<ListOrMap>,
    /// The network exists already (not created, not removed).
    #[serde(default)]
    pub external: Option<External>,
    /// The real name (instead of `STACK_KEY`).
    #[serde(default)]
    pub name: Option<Text>,
    /// Subnets.
    #[serde(default)]
    pub ipam: Option<Ipam>,
}

/// `ipam:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipam {
    /// `default` only.
    #[serde(default)]
    pub driver: Option<Text>,
    /// The subnets.
    #[serde(default)]
    pub config: Vec<IpamPool>,
    /// IPAM driver options (refused when given).
    #[serde(default)]
    pub options: BTreeMap<String, Text>,
}

/// One `ipam.config` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpamPool {
    /// `10.0.9.0/24`.
    pub subnet: Text,
    /// The gateway.
    #[serde(default)]
    pub gateway: Option<Text>,
    /// A sub-range for tasks.
    #[serde(default)]
    pub ip_range: Option<Text>,
    /// Reserved addresses (refused when given).
    #[serde(default)]
    pub aux_addresses: BTreeMap<String, Text>,
}

/// A top-level named volume.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// The volume driver (`local` by default).
    #[serde(default)]
    pub driver: Option<Text>,
    /// Its options.
    #[serde(default)]
    pub driver_opts: BTreeMap<String, Option<Text>>,
    /// The volume exists already: its name is used as it is.
    #[serde(default)]
    pub external: Option<External>,
    /// Labels of the volumes the engines create.
    #[serde(default)]
    pub labels: Option<ListOrMap>,
    /// The real name (instead of `STACK_KEY`).
    #[serde(default)]
    pub name: Option<Text>,
}

/// A top-level secret or config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileObject {
    /// Created from this file (relative to the first compose file's directory).
    #[serde(default)]
    pub file: Option<Text>,
    /// Created from this variable of the environment.
    #[serde(default)]
    pub environment: Option<Text>,
    /// Inline content (configs only).
    #[serde(default)]
    pub content: Option<Text>,
    /// Exists already.
    #[serde(default)]
    pub external: Option<External>,
    /// The real name (instead of `STACK_KEY`).
    #[serde(default)]
    pub name: Option<Text>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<ListOrMap>,
    /// A secret driver (refused when given).
    #[serde(default)]
    pub driver: Option<Text>,
    /// A template driver (refused when given).
    #[serde(default)]
    pub template_driver: Option<Text>,
}

/// One service.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The image (swarm builds nothing: required).
    #[serde(default)]
    pub image: Option<Text>,
    /// Replaces the image's CMD.
    #[serde(default)]
    pub command: Option<Command>,
    /// Replaces the image's ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Option<Command>,
    /// Variables.
    #[serde(default)]
    pub environment: Option<ListOrMap>,
    /// Files of variables (relative to the first compose file's directory).
    #[serde(default)]
    pub env_file: Option<EnvFiles>,
    /// Container labels.
    #[serde(default)]
    pub labels: Option<ListOrMap>,
    /// Swarm settings.
    #[serde(default)]
    pub deploy: Option<Deploy>,
    /// Published ports.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// Networks joined (list or map with aliases).
    #[serde(default)]
    pub networks: Option<ServiceNetworks>,
    /// Mounts.
    #[serde(default)]
    pub volumes: Vec<ServiceVolume>,
    /// Secrets given to the tasks.
    #[serde(default)]
    pub secrets: Vec<FileRef>,
    /// Configs given to the tasks.
    #[serde(default)]
    pub configs: Vec<FileRef>,
    /// `--hostname`.
    #[serde(default)]
    pub hostname: Option<Text>,
    /// `--user`.
    #[serde(default)]
    pub user: Option<Text>,
    /// `--workdir`.
    #[serde(default)]
    pub working_dir: Option<Text>,
    /// `--stop-grace-period`.
    #[serde(default)]
    pub stop_grace_period: Option<Text>,
    /// `--stop-signal`.
    #[serde(default)]
    pub stop_signal: Option<Text>,
    /// `--host` entries, `host:ip` / `host=ip` or `{host: ip}`.
    #[serde(default)]
    pub extra_hosts: Option<ListOrMap>,
    /// `--dns`.
    #[serde(default)]
    pub dns: Option<OneOrMany>,
    /// `--dns-search`.
    #[serde(default)]
    pub dns_search: Option<OneOrMany>,
    /// `--dns-option`.
    #[serde(default)]
    pub dns_opt: Option<Vec<Text>>,
    /// The healthcheck (`--health-*`; `disable: true` is `--no-healthcheck`).
    #[serde(default)]
    pub healthcheck: Option<Healthcheck>,
    /// `--init`.
    #[serde(default)]
    pub init: Option<bool>,
    /// `--read-only`.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// `--tty`.
    #[serde(default)]
    pub tty: Option<bool>,
    /// tmpfs mounts (`/run` or `/run:size=64m`).
    #[serde(default)]
    pub tmpfs: Option<OneOrMany>,
    /// `--log-driver`, `--log-opt`.
    #[serde(default)]
    pub logging: Option<Logging>,
    /// `--cap-add`.
    #[serde(default)]
    pub cap_add: Vec<Text>,
    /// `--cap-drop`.
    #[serde(default)]
    pub cap_drop: Vec<Text>,
    /// `--group`.
    #[serde(default)]
    pub group_add: Vec<Text>,
    /// `stdin_open` (accepted, no effect on a service).
    #[serde(default)]
    pub stdin_open: Option<bool>,
}

/// `env_file`: a path, a list of paths, or long entries `{path, required}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a path or a list of paths or of {path, required}"
)]
pub enum EnvFiles {
    /// One path.
    One(Text),
    /// Several.
    Many(Vec<EnvFile>),
}

/// One `env_file` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a path or {path, required}")]
pub enum EnvFile {
    /// A path.
    Path(Text),
    /// `{path: x, required: false}`.
    Long {
        /// The path.
        path: Text,
        /// Fail when the file is missing (default true).
        #[serde(default)]
        required: Option<bool>,
    },
}

/// `healthcheck:` (see [`crate::map::healthcheck`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// The check.
    #[serde(default)]
    pub test: Option<Command>,
    /// Interval.
    #[serde(default)]
    pub interval: Option<Text>,
    /// Timeout.
    #[serde(default)]
    pub timeout: Option<Text>,
    /// Retries.
    #[serde(default)]
    pub retries: Option<u64>,
    /// Start period.
    #[serde(default)]
    pub start_period: Option<Text>,
    /// Start interval.
    #[serde(default)]
    pub start_interval: Option<Text>,
    /// Disable the image's check.
    #[serde(default)]
    pub disable: Option<bool>,
}

/// `logging:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// The driver.
    #[serde(default)]
    pub driver: Option<Text>,
    /// Its options.
    #[serde(default)]
    pub options: BTreeMap<String, Option<Text>>,
}

/// `deploy:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// `replicated` (default) or `global`.
    #[serde(default)]
    pub mode: Option<Text>,
    /// Replicas of a replicated service.
    #[serde(default)]
    pub replicas: Option<u64>,
    /// Service labels.
    #[serde(default)]
    pub labels: Option<ListOrMap>,
    /// Placement.
    #[serde(default)]
    pub placement: Option<Placement>,
    /// Limits and reservations.
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Restart policy.
    #[serde(default)]
    pub restart_policy: Option<RestartPolicy>,
    /// Rolling update.
    #[serde(default)]
    pub update_config: Option<UpdateConfig>,
    /// Rollback.
    #[serde(default)]
    pub rollback_config: Option<UpdateConfig>,
    /// `vip` or `dnsrr`.
    #[serde(default)]
    pub endpoint_mode: Option<Text>,
}

/// `deploy.placement`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// `node.role == worker`, ...
    #[serde(default)]
    pub constraints: Vec<Text>,
    /// `- spread: node.labels.zone`.
    #[serde(default)]
    pub preferences: Vec<Preference>,
    /// At most this many tasks per node.
    #[serde(default)]
    pub max_replicas_per_node: Option<u64>,
}

/// One placement preference.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// The label spread over.
    pub spread: Text,
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Hard limits.
    #[serde(default)]
    pub limits: Option<ResourceSet>,
    /// Reservations (scheduling).
    #[serde(default)]
    pub reservations: Option<ResourceSet>,
}

/// CPUs and memory.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSet {
    /// `0.5`.
    #[serde(default)]
    pub cpus: Option<Text>,
    /// `512M`.
    #[serde(default)]
    pub memory: Option<Text>,
    /// Process limit (not supported by swarmd: refused).
    #[serde(default)]
    pub pids: Option<u64>,
    /// Generic resources (not supported: refused).
    #[serde(default)]
    pub generic_resources: Option<serde_yaml::Value>,
    /// Devices (not supported: refused).
    #[serde(default)]
    pub devices: Option<serde_yaml::Value>,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartPolicy {
    /// `none`, `on-failure`, `any`.
    #[serde(default)]
    pub condition: Option<Text>,
    /// Delay between restarts.
    #[serde(default)]
    pub delay: Option<Text>,
    /// Attempts.
    #[serde(default)]
    pub max_attempts: Option<u64>,
    /// Window.
    #[serde(default)]
    pub window: Option<Text>,
}

/// `deploy.update_config` / `deploy.rollback_config`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfig {
    /// Tasks at once.
    #[serde(default)]
    pub parallelism: Option<u64>,
    /// Delay between batches.
    #[serde(default)]
    pub delay: Option<Text>,
    /// `pause`, `continue`, `rollback`.
    #[serde(default)]
    pub failure_action: Option<Text>,
    /// Watch time.
    #[serde(default)]
    pub monitor: Option<Text>,
    /// Tolerated failures.
    #[serde(default)]
    pub max_failure_ratio: Option<Text>,
    /// `stop-first` or `start-first`.
    #[serde(default)]
    pub order: Option<Text>,
}

/// One `ports` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a port (\"8080:80\", 80) or {target, published, protocol, mode}"
)]
pub enum Port {
    /// `"8080:80/udp"`, `80`, `"8000-8001:80-81"`.
    Short(Text),
    /// Long syntax.
    Long(PortLong),
}

/// The long syntax of a port.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortLong {
    /// Container port.
    pub target: u16,
    /// Node port (a number or a `"8080"` string).
    #[serde(default)]
    pub published: Option<Text>,
    /// `tcp` or `udp`.
    #[serde(default)]
    pub protocol: Option<Text>,
    /// `ingress` or `host`.
    #[serde(default)]
    pub mode: Option<Text>,
    /// A host address (not supported by swarm: refused).
    #[serde(default)]
    pub host_ip: Option<Text>,
    /// A name (accepted, not used).
    #[serde(default)]
    pub name: Option<Text>,
    /// An application protocol (accepted, not used).
    #[serde(default)]
    pub app_protocol: Option<Text>,
}

/// A service's `networks`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a list of network names or a mapping of networks"
)]
pub enum ServiceNetworks {
    /// `[front, back]`.
    List(Vec<String>),
    /// `{front: {aliases: [a]}, back: null}`.
    Map(BTreeMap<String, Option<ServiceNetwork>>),
}

/// One network of a service, long form.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceNetwork {
    /// Extra DNS names on that network.
    #[serde(default)]
    pub aliases: Vec<Text>,
    /// A fixed address (not supported by swarm: refused).
    #[serde(default)]
    pub ipv4_address: Option<Text>,
    /// A fixed address (not supported by swarm: refused).
    #[serde(default)]
    pub ipv6_address: Option<Text>,
    /// Order of attachment (accepted).
    #[serde(default)]
    pub priority: Option<i64>,
    /// Driver options (accepted, not used).
    #[serde(default)]
    pub driver_opts: BTreeMap<String, Option<Text>>,
}

/// One `volumes` entry of a service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "\"SOURCE:TARGET[:MODE]\" or {type, source, target, ...}"
)]
pub enum ServiceVolume {
    /// `data:/var/lib/mysql`, `./site:/srv:ro`, `/scratch`.
    Short(Text),
    /// Long syntax.
    Long(VolumeLong),
}

/// The long syntax of a mount.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeLong {
    /// `volume`, `bind` or `tmpfs`.
    #[serde(rename = "type")]
    pub kind: Text,
    /// Volume name or host path.
    #[serde(default)]
    pub source: Option<Text>,
    /// Path in the container.
    pub target: Text,
    /// Read-only.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// Bind options.
    #[serde(default)]
    pub bind: Option<BindOptions>,
    /// Volume options.
    #[serde(default)]
    pub volume: Option<VolumeOptions>,
    /// tmpfs options.
    #[serde(default)]
    pub tmpfs: Option<TmpfsOptions>,
    /// macOS consistency (accepted, no effect).
    #[serde(default)]
    pub consistency: Option<Text>,
}

/// `bind:` of a long volume.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindOptions {
    /// Propagation (refused unless `rprivate`).
    #[serde(default)]
    pub propagation: Option<Text>,
    /// Create the host path (accepted).
    #[serde(default)]
    pub create_host_path: Option<bool>,
}

/// `volume:` of a long volume.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeOptions {
    /// Do not copy the image's files.
    #[serde(default)]
    pub nocopy: Option<bool>,
    /// A subpath (not supported: refused).
    #[serde(default)]
    pub subpath: Option<Text>,
}

/// `tmpfs:` of a long volume.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TmpfsOptions {
    /// Size (`64m` or bytes).
    #[serde(default)]
    pub size: Option<Text>,
    /// Octal mode (`1770` or 0o1770).
    #[serde(default)]
    pub mode: Option<Text>,
}

/// A secret or config a service uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a name or {source, target, uid, gid, mode}")]
pub enum FileRef {
    /// `- db_password`.
    Short(Text),
    /// Long syntax.
    Long(FileRefLong),
}

/// Long syntax of a secret or config reference.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRefLong {
    /// The top-level key.
    pub source: Text,
    /// File name (secrets: under `/run/secrets`) or path (configs).
    #[serde(default)]
    pub target: Option<Text>,
    /// Owner.
    #[serde(default)]
    pub uid: Option<Text>,
    /// Group.
    #[serde(default)]
    pub gid: Option<Text>,
    /// Mode (octal).
    #[serde(default)]
    pub mode: Option<Text>,
}

impl FileRef {
    /// The top-level key it refers to.
    pub fn source(&self) -> &str {
        match self {
            FileRef::Short(t) => &t.0,
            FileRef::Long(l) => &l.source.0,
        }
    }
}
