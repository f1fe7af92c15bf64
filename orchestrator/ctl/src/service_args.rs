//! clap arguments of `service create` and `service update`: the flag set itself, typed when
//! clap parses it ([`crate::checked`]) with Docker's names and help texts. Turning them into a
//! spec is [`crate::service_create`] (create) and [`crate::service_edit`] (update); the
//! container, DNS and rollout-policy flags both verbs share are [`ContainerArgs`],
//! [`crate::dns_args`] and [`crate::policy_args`].

use clap::Args;
use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::container_values::{parse_group, parse_host};
use swarm_api::mount::Mount;
use swarm_api::publish::{PortConfig, Protocol};
use swarm_api::resources::ResourceRequirements;
use swarm_api::restart::{RestartCondition, RestartPolicy};

use crate::checked::{
    constraint, count, cpu, duration, label, memory, mount, placement_pref, publish,
    restart_condition, value, Checked, Given,
};
pub use crate::container_args::{ContainerArgs, HealthArgs};
pub use crate::policy_args::{RollbackConfigArgs, UpdateConfigArgs};
use crate::update_values::{host_to_remove, key_name, keyed, mount_to_remove, port_to_remove};

/// Resource flags shared by create and update.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct ResourceArgs {
    /// Reserve CPUs (e.g. 0.5).
    #[arg(long, value_name = "CPUS", value_parser = cpu())]
    pub reserve_cpu: Option<Given<i64>>,
    /// Reserve memory (e.g. 64M).
    #[arg(long, value_name = "BYTES", value_parser = memory())]
    pub reserve_memory: Option<Given<i64>>,
    /// Limit CPUs.
    #[arg(long, value_name = "CPUS", value_parser = cpu())]
    pub limit_cpu: Option<Given<i64>>,
    /// Limit memory.
    #[arg(long, value_name = "BYTES", value_parser = memory())]
    pub limit_memory: Option<Given<i64>>,
    /// Limit maximum number of processes (default 0 = unlimited).
    #[arg(long, value_name = "N", value_parser = count())]
    pub limit_pids: Option<Given<u64>>,
}

impl ResourceArgs {
    /// Sets the given values (not given: unchanged).
    pub fn apply(&self, r: &mut ResourceRequirements) {
        for (given, into) in [
            (value(&self.reserve_cpu), &mut r.reservations.nano_cpus),
            (
                value(&self.reserve_memory),
                &mut r.reservations.memory_bytes,
            ),
            (value(&self.limit_cpu), &mut r.limits.nano_cpus),
            (value(&self.limit_memory), &mut r.limits.memory_bytes),
        ] {
            if let Some(v) = given {
                *into = v;
            }
        }
        if let Some(n) = value(&self.limit_pids) {
            r.pids_limit = n;
        }
    }
}

/// Restart-policy flags shared by create and update.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct RestartArgs {
    /// Restart when condition is met: none, on-failure or any.
    #[arg(long, value_parser = restart_condition())]
    pub restart_condition: Option<Given<RestartCondition>>,
    /// Delay between restart attempts (ns|us|ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub restart_delay: Option<Given<u64>>,
    /// Maximum number of restarts before giving up.
    #[arg(long, value_name = "N", value_parser = count())]
    pub restart_max_attempts: Option<Given<u64>>,
    /// Window used to evaluate the restart policy.
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub restart_window: Option<Given<u64>>,
}

impl RestartArgs {
    /// Sets the given values (not given: unchanged).
    pub fn apply(&self, rp: &mut RestartPolicy) {
        if let Some(v) = value(&self.restart_condition) {
            rp.condition = v;
        }
        if let Some(v) = value(&self.restart_delay) {
            rp.delay_ms = v;
        }
        if let Some(v) = value(&self.restart_max_attempts) {
            rp.max_attempts = Some(v);
        }
        if let Some(v) = value(&self.restart_window) {
            rp.window_ms = v;
        }
    }
}

/// Whether and how long to wait for convergence (create, update, scale, rollback).
#[derive(Debug, Clone, Copy, Default, PartialEq, Args)]
pub struct WaitArgs {
    /// Exit immediately instead of waiting for the service to converge.
    #[arg(short, long)]
    pub detach: bool,
    /// Give up waiting for convergence after this long (e.g. 120s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_timeout)]
    pub timeout: u64,
    /// Suppress progress output.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_timeout(v: &str) -> Result<u64, String> {
    swarm_api::restart::parse_duration_ms("--timeout", v).map_err(|e| e.to_string())
}

/// `service create` arguments (Docker's names).
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Service name.
    #[arg(long)]
    pub name: String,
    /// Service mode: replicated or global.
    #[arg(long)]
    pub mode: Option<String>,
    /// Number of tasks.
    #[arg(long, value_name = "N", value_parser = count())]
    pub replicas: Option<Given<u64>>,
    /// Maximum number of tasks per node (0 = unlimited).
    #[arg(long, value_name = "N", value_parser = count())]
    pub max_replicas_per_node: Option<Given<u64>>,
    /// Set environment variables (KEY=VALUE); repeatable.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Read in a file of environment variables; repeatable (read before --env).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<String>,
    /// Set one or more supplementary user groups for the container; repeatable.
    #[arg(long, value_parser = Checked(parse_group))]
    pub group: Vec<Given<String>>,
    /// Set one or more custom host-to-IP mappings (host:ip); repeatable.
    #[arg(long, value_name = "HOST:IP", value_parser = Checked(parse_host))]
    pub host: Vec<Given<String>>,
    /// Service labels (key=value); repeatable.
    #[arg(short, long, value_parser = label())]
    pub label: Vec<Given<(String, String)>>,
    /// Container labels (key=value); repeatable.
    #[arg(long, value_parser = label())]
    pub container_label: Vec<Given<(String, String)>>,
    /// Placement constraints (e.g. node.role==worker); repeatable.
    #[arg(long, value_parser = constraint())]
    pub constraint: Vec<Given<Constraint>>,
    /// Placement preferences (spread=node.labels.zone); repeatable.
    #[arg(long, value_parser = placement_pref())]
    pub placement_pref: Vec<Given<PlacementPreference>>,
    /// Attach a filesystem mount (type=volume|bind|tmpfs,source=..,target=..); repeatable.
    #[arg(long, value_parser = mount())]
    pub mount: Vec<Given<Mount>>,
    /// Publish a port (8080:80 or published=8080,target=80[,mode=host]); repeatable.
    #[arg(short, long, value_parser = publish())]
    pub publish: Vec<Given<PortConfig>>,
    /// Overwrite the default ENTRYPOINT of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Container settings.
    #[command(flatten)]
    pub container: ContainerArgs,
    /// Overlay networks (issue 15).
    #[command(flatten)]
    pub network: crate::network_args::CreateNetworkArgs,
    /// Secrets and configs (issue 16).
    #[command(flatten)]
    pub files: crate::file_args::CreateFileArgs,
    /// DNS servers, search domains and options.
    #[command(flatten)]
    pub dns: crate::dns_args::CreateDnsArgs,
    /// Resources.
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// Restart policy.
    #[command(flatten)]
    pub restart: RestartArgs,
    /// Rolling-update config.
    #[command(flatten)]
    pub update: UpdateConfigArgs,
    /// Rollback config.
    #[command(flatten)]
    pub rollback: RollbackConfigArgs,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
    /// The image.
    pub image: String,
    /// Arguments of the container command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `service update` arguments (Docker's names).
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The flags that edit the spec's own fields.
    #[command(flatten)]
    pub edit: EditArgs,
    /// Rollback to previous specification (as `service rollback`; no other flag with it).
    #[arg(long)]
    pub rollback: bool,
    /// Container settings.
    #[command(flatten)]
    pub container: ContainerArgs,
    /// Overlay networks (issue 15).
    #[command(flatten)]
    pub network: crate::network_args::UpdateNetworkArgs,
    /// Secrets and configs (issue 16).
    #[command(flatten)]
    pub files: crate::file_args::UpdateFileArgs,
    /// DNS servers, search domains and options.
    #[command(flatten)]
    pub dns: crate::dns_args::UpdateDnsArgs,
    /// Resources.
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// Restart policy.
    #[command(flatten)]
    pub restart: RestartArgs,
    /// Rolling-update config.
    #[command(flatten)]
    pub update: UpdateConfigArgs,
    /// Rollback config.
    #[command(flatten)]
    pub rollback_config: RollbackConfigArgs,
    /// Waiting.
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Service id, id prefix or name.
    pub service: String,
}

impl UpdateArgs {
    /// True when no flag that edits the spec was given (networks, secrets and configs aside;
    /// docker still runs such an update, and `--force` counts as a flag).
    pub fn is_empty(&self) -> bool {
        self.edit == EditArgs::default()
            && self.container == ContainerArgs::default()
            && self.dns == crate::dns_args::UpdateDnsArgs::default()
            && self.resources == ResourceArgs::default()
            && self.restart == RestartArgs::default()
            && self.update == UpdateConfigArgs::default()
            && self.rollback_config == RollbackConfigArgs::default()
    }
}

/// The `service update` flags of the spec's own fields, in Docker's order (removals are
/// applied before additions).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct EditArgs {
    /// Service image tag.
    #[arg(long)]
    pub image: Option<String>,
    /// Service command args (replaces them; split on whitespace).
    #[arg(long, allow_hyphen_values = true)]
    pub args: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Number of tasks.
    #[arg(long, value_name = "N", value_parser = count())]
    pub replicas: Option<Given<u64>>,
    /// Maximum number of tasks per node (0 = unlimited).
    #[arg(long, value_name = "N", value_parser = count())]
    pub max_replicas_per_node: Option<Given<u64>>,
    /// Add or update an environment variable (KEY=VALUE).
    #[arg(long, value_parser = Checked(keyed))]
    pub env_add: Vec<Given<(String, String)>>,
    /// Remove an environment variable (KEY).
    #[arg(long, value_parser = Checked(key_name))]
    pub env_rm: Vec<Given<String>>,
    /// Add or update a service label.
    #[arg(long, value_parser = label())]
    pub label_add: Vec<Given<(String, String)>>,
    /// Remove a service label by key.
    #[arg(long, value_parser = Checked(key_name))]
    pub label_rm: Vec<Given<String>>,
    /// Add or update a container label.
    #[arg(long, value_parser = label())]
    pub container_label_add: Vec<Given<(String, String)>>,
    /// Remove a container label by key.
    #[arg(long, value_parser = Checked(key_name))]
    pub container_label_rm: Vec<Given<String>>,
    /// Add or update a placement constraint.
    #[arg(long, value_parser = constraint())]
    pub constraint_add: Vec<Given<Constraint>>,
    /// Remove a placement constraint.
    #[arg(long, value_parser = constraint())]
    pub constraint_rm: Vec<Given<Constraint>>,
    /// Add a placement preference.
    #[arg(long, value_parser = placement_pref())]
    pub placement_pref_add: Vec<Given<PlacementPreference>>,
    /// Remove a placement preference.
    #[arg(long, value_parser = placement_pref())]
    pub placement_pref_rm: Vec<Given<PlacementPreference>>,
    /// Add or update a mount.
    #[arg(long, value_parser = mount())]
    pub mount_add: Vec<Given<Mount>>,
    /// Remove a mount by its target path.
    #[arg(long, value_parser = Checked(mount_to_remove))]
    pub mount_rm: Vec<Given<String>>,
    /// Add or update a published port.
    #[arg(long, value_parser = publish())]
    pub publish_add: Vec<Given<PortConfig>>,
    /// Remove a published port by its target port (80 or 53/udp).
    #[arg(long, value_parser = Checked(port_to_remove))]
    pub publish_rm: Vec<Given<(u16, Protocol)>>,
    /// Add an additional supplementary user group to the container.
    #[arg(long, value_parser = Checked(parse_group))]
    pub group_add: Vec<Given<String>>,
    /// Remove a previously added supplementary user group from the container.
    #[arg(long, value_parser = Checked(parse_group))]
    pub group_rm: Vec<Given<String>>,
    /// Add a custom host-to-IP mapping (host:ip).
    #[arg(long, value_name = "HOST:IP", value_parser = Checked(parse_host))]
    pub host_add: Vec<Given<String>>,
    /// Remove a custom host-to-IP mapping (host or host:ip).
    #[arg(long, value_name = "HOST", value_parser = Checked(host_to_remove))]
    pub host_rm: Vec<Given<String>>,
    /// Force the update even if no changes require it (replaces every task).
    #[arg(long)]
    pub force: bool,
}

/// Parsing `service create`/`service update` argument lists in tests, through clap.
#[cfg(test)]
pub(crate) mod test_cli {
    use clap::Parser;
    use swarm_api::service::ServiceSpec;

    use super::{CreateArgs, UpdateArgs};
    use crate::{NodeVerb, ServiceVerb};

    #[derive(Debug, Parser)]
    pub(crate) struct Cli {
        #[command(subcommand)]
        pub(crate) verb: Verb,
    }

    #[derive(Debug, clap::Subcommand)]
    pub(crate) enum Verb {
        #[command(subcommand)]
        Service(ServiceVerb),
        #[command(subcommand)]
        Node(NodeVerb),
    }

    fn parse(args: &[&str]) -> Result<ServiceVerb, String> {
        let mut all = vec!["x", "service"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).map_err(|e| e.to_string())?.verb {
            Verb::Service(v) => Ok(v),
            Verb::Node(_) => unreachable!(),
        }
    }

    /// `service ARGS...`, parsed.
    pub(crate) fn service(args: &[&str]) -> ServiceVerb {
        parse(args).unwrap()
    }

    fn verb(name: &str, args: &[&str]) -> Result<ServiceVerb, String> {
        let mut all = vec![name];
        all.extend_from_slice(args);
        parse(&all)
    }

    /// `service create ARGS...`, parsed.
    pub(crate) fn create_args(args: &[&str]) -> CreateArgs {
        match verb("create", args).unwrap() {
            ServiceVerb::Create(c) => *c,
            _ => unreachable!(),
        }
    }

    /// The spec `service create ARGS...` asks for.
    pub(crate) fn create_spec(args: &[&str]) -> ServiceSpec {
        create_args(args).into_spec().unwrap()
    }

    /// clap's refusal of `service create ARGS...`.
    pub(crate) fn create_error(args: &[&str]) -> String {
        verb("create", args).unwrap_err()
    }

    /// `service update ARGS...`, parsed.
    pub(crate) fn update_args(args: &[&str]) -> UpdateArgs {
        match verb("update", args).unwrap() {
            ServiceVerb::Update(u) => *u,
            _ => unreachable!(),
        }
    }

    /// clap's refusal of `service update ARGS...`.
    pub(crate) fn update_error(args: &[&str]) -> String {
        verb("update", args).unwrap_err()
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::test_cli::{service, Cli};
    use crate::checked::{value, values};
    use crate::ServiceVerb;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn create_takes_dockers_flags_and_trailing_args() {
        let ServiceVerb::Create(c) = service(&[
            "create",
            "--name",
            "web",
            "-e",
            "A=1",
            "--env",
            "B=2",
            "-p",
            "8080:80",
            "--replicas",
            "3",
            "--update-parallelism",
            "2",
            "--rollback-order",
            "start-first",
            "--reserve-memory",
            "64M",
            "--dns",
            "10.0.0.2",
            "--dns",
            "10.0.0.3",
            "--dns-search",
            "example.com",
            "--dns-option",
            "ndots:2",
            "-d",
            "swarm-test/web:v1",
            "--port",
            "80",
        ]) else {
            panic!("not create")
        };
        let (f, wait) = (&c, c.wait);
        assert_eq!(f.name, "web");
        assert_eq!(f.env, vec!["A=1", "B=2"]);
        assert_eq!(f.publish[0].to_string(), "8080:80");
        assert_eq!(f.image, "swarm-test/web:v1");
        assert_eq!(f.args, vec!["--port", "80"]);
        assert_eq!(value(&f.update.parallelism), Some(2));
        assert_eq!(
            value(&f.rollback.order),
            Some(swarm_api::service::UpdateOrder::StartFirst)
        );
        assert_eq!(value(&f.resources.reserve_memory), Some(64 << 20));
        assert!(wait.detach);
        assert_eq!(wait.timeout, 120_000);
        assert_eq!(values(&f.dns.dns), ["10.0.0.2", "10.0.0.3"]);
        let spec = f.into_spec().unwrap();
        assert_eq!(spec.update_config.map(|u| u.parallelism), Some(2));
        let dns = &spec.task.container.dns;
        assert_eq!(dns.nameservers, ["10.0.0.2", "10.0.0.3"]);
        assert_eq!(
            (dns.search.as_slice(), dns.options.as_slice()),
            (
                &["example.com".to_string()][..],
                &["ndots:2".to_string()][..]
            )
        );
    }

    #[test]
    fn init_stop_signal_and_healthcheck_flags_reach_the_spec() {
        let ServiceVerb::Create(c) = service(&[
            "create",
            "--name",
            "web",
            "--init",
            "--stop-signal",
            "SIGINT",
            "--health-cmd",
            "nc -z localhost 80",
            "--health-interval",
            "5s",
            "--health-timeout",
            "2s",
            "--health-retries",
            "4",
            "--health-start-period",
            "30s",
            "--health-start-interval",
            "1s",
            "swarm-test/web:v1",
        ]) else {
            panic!("not create")
        };
        let spec = c.into_spec().unwrap();
        let ct = &spec.task.container;
        assert_eq!((ct.init, ct.stop_signal.as_str()), (Some(true), "SIGINT"));
        let h = ct.healthcheck.clone().unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "nc -z localhost 80"]);
        assert_eq!(
            (
                h.interval_ms,
                h.timeout_ms,
                h.retries,
                h.start_period_ms,
                h.start_interval_ms
            ),
            (5_000, 2_000, 4, 30_000, 1_000)
        );
        let ServiceVerb::Update(u) =
            service(&["update", "--no-healthcheck", "--init=false", "web"])
        else {
            panic!("not update")
        };
        let updated = u.apply(&spec).unwrap();
        let ct = &updated.task.container;
        assert!(ct.healthcheck.as_ref().unwrap().is_disabled());
        assert_eq!((ct.init, ct.stop_signal.as_str()), (Some(false), "SIGINT"));
        let ServiceVerb::Update(u) =
            service(&["update", "--no-healthcheck", "--health-retries", "2", "web"])
        else {
            panic!("not update")
        };
        let e = u.apply(&spec).unwrap_err().to_string();
        assert!(e.contains("--no-healthcheck conflicts"), "{e}");
    }

    #[test]
    fn update_scale_and_others_parse() {
        let ServiceVerb::Update(u) = service(&[
            "update",
            "--image",
            "web:v2",
            "--env-add",
            "C=3",
            "--env-rm",
            "A",
            "--force",
            "--publish-rm",
            "80",
            "--timeout",
            "1m30s",
            "--dns-add",
            "10.0.0.4",
            "--dns-rm",
            "10.0.0.2",
            "--dns-search-add",
            "b.example",
            "--dns-search-rm",
            "a.example",
            "--dns-option-add",
            "timeout:3",
            "--dns-option-rm",
            "ndots:2",
            "web",
        ]) else {
            panic!("not update")
        };
        let (f, key, wait) = (&u.edit, &u.service, u.wait);
        assert_eq!(key.as_str(), "web");
        assert_eq!(f.image.as_deref(), Some("web:v2"));
        assert!(f.force);
        assert_eq!(values(&f.env_rm), vec!["A"]);
        let f = &u;
        assert_eq!(
            (values(&f.dns.dns_add), values(&f.dns.dns_rm)),
            (vec!["10.0.0.4".to_string()], vec!["10.0.0.2".to_string()])
        );
        assert_eq!(values(&f.dns.dns_search_add), ["b.example"]);
        assert_eq!(values(&f.dns.dns_search_rm), ["a.example"]);
        assert_eq!(values(&f.dns.dns_option_add), ["timeout:3"]);
        assert_eq!(values(&f.dns.dns_option_rm), ["ndots:2"]);
        assert_eq!(wait.timeout, 90_000);
        assert!(matches!(
            service(&["scale", "a=3", "b=5"]),
            ServiceVerb::Scale { pairs, .. } if pairs == ["a=3", "b=5"]
        ));
        assert!(matches!(
            service(&["rm", "a", "b"]),
            ServiceVerb::Rm { services } if services == ["a", "b"]
        ));
        assert!(matches!(
            service(&["logs", "--tail", "5", "web"]),
            ServiceVerb::Logs { tail: Some(t), .. } if t == "5"
        ));
        assert!(matches!(
            service(&["inspect", "--pretty", "web"]),
            ServiceVerb::Inspect { pretty: true, .. }
        ));
        assert!(matches!(
            service(&["list"]),
            ServiceVerb::Ls { quiet: false, .. }
        ));
        assert!(matches!(
            service(&["ps", "web", "-f", "desired-state=running", "--filter", "node=w1"]),
            ServiceVerb::Ps { filter, .. } if filter == ["desired-state=running", "node=w1"]
        ));
        let e = Cli::try_parse_from([
            "x",
            "service",
            "create",
            "--name",
            "w",
            "--timeout",
            "soon",
            "img",
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("--timeout") && e.contains("soon"), "{e}");
    }
}
