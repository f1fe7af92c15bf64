//! clap arguments of `service create` and `service update`, mapped onto the api crate's raw
//! flag structs ([`ServiceFlags`], [`UpdateFlags`]) that do the parsing and validation.

use clap::Args;
use swarm_api::container_flags::ContainerFlags;
use swarm_api::healthcheck::HealthFlags;
use swarm_api::service_flags::ServiceFlags;
use swarm_api::service_update::{UpdateConfigFlags, UpdateFlags};

/// Resource flags shared by create and update.
#[derive(Debug, Clone, Default, Args)]
pub struct ResourceArgs {
    /// Reserve CPUs (e.g. 0.5).
    #[arg(long, value_name = "CPUS")]
    pub reserve_cpu: Option<String>,
    /// Reserve memory (e.g. 64M).
    #[arg(long, value_name = "BYTES")]
    pub reserve_memory: Option<String>,
    /// Limit CPUs.
    #[arg(long, value_name = "CPUS")]
    pub limit_cpu: Option<String>,
    /// Limit memory.
    #[arg(long, value_name = "BYTES")]
    pub limit_memory: Option<String>,
}

/// Restart-policy flags shared by create and update.
#[derive(Debug, Clone, Default, Args)]
pub struct RestartArgs {
    /// Restart when condition is met: none, on-failure or any.
    #[arg(long)]
    pub restart_condition: Option<String>,
    /// Delay between restart attempts (ns|us|ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub restart_delay: Option<String>,
    /// Maximum number of restarts before giving up.
    #[arg(long, value_name = "N")]
    pub restart_max_attempts: Option<String>,
    /// Window used to evaluate the restart policy.
    #[arg(long, value_name = "DURATION")]
    pub restart_window: Option<String>,
}

/// Container flags shared by create and update (Docker's names and short forms).
#[derive(Debug, Clone, Default, Args)]
pub struct ContainerArgs {
    /// Container hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>]).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Mount the container's root filesystem as read only.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub read_only: Option<bool>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub tty: Option<bool>,
    /// Time to wait before force killing a container (ns|us|ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub stop_grace_period: Option<String>,
    /// Logging driver for service.
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Logging driver options (key=value); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub log_opt: Vec<String>,
    /// Add Linux capabilities; repeatable.
    #[arg(long, value_name = "CAPABILITY")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities; repeatable.
    #[arg(long, value_name = "CAPABILITY")]
    pub cap_drop: Vec<String>,
    /// Use an init inside each service container to forward signals and reap processes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub init: Option<bool>,
    /// Signal to stop the container.
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Command to run to check health.
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub health_interval: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub health_timeout: Option<String>,
    /// Consecutive failures needed to report unhealthy.
    #[arg(long, value_name = "N")]
    pub health_retries: Option<String>,
    /// Start period for the container to initialize before counting retries towards unstable (ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (ms|s|m|h).
    #[arg(long, value_name = "DURATION")]
    pub health_start_interval: Option<String>,
    /// Disable any container-specified HEALTHCHECK.
    #[arg(long)]
    pub no_healthcheck: bool,
}

impl ContainerArgs {
    fn flags(self) -> ContainerFlags {
        ContainerFlags {
            hostname: self.hostname,
            user: self.user,
            workdir: self.workdir,
            read_only: self.read_only,
            tty: self.tty,
            stop_grace_period: self.stop_grace_period,
            log_driver: self.log_driver,
            log_opts: self.log_opt,
            cap_add: self.cap_add,
            cap_drop: self.cap_drop,
            init: self.init,
            stop_signal: self.stop_signal,
            health: HealthFlags {
                cmd: self.health_cmd,
                interval: self.health_interval,
                timeout: self.health_timeout,
                retries: self.health_retries,
                start_period: self.health_start_period,
                start_interval: self.health_start_interval,
                no_healthcheck: self.no_healthcheck,
            },
        }
    }
}

/// One struct of rollout-policy flags under a prefix (`--update-*` or `--rollback-*`), with
/// Docker's help texts. clap cannot prefix a flattened struct, so the flag set is written once
/// here and stamped out twice; both map onto the same [`UpdateConfigFlags`].
macro_rules! policy_args {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, help: [
        $parallelism:literal, $delay:literal, $monitor:literal,
        $failure_action:literal, $max_failure_ratio:literal, $order:literal $(,)?
    ]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Args)]
        pub struct $name {
            #[doc = $parallelism]
            #[arg(id = concat!($prefix, "-parallelism"), long = concat!($prefix, "-parallelism"), value_name = "N")]
            pub parallelism: Option<String>,
            #[doc = $delay]
            #[arg(id = concat!($prefix, "-delay"), long = concat!($prefix, "-delay"), value_name = "DURATION")]
            pub delay: Option<String>,
            #[doc = $monitor]
            #[arg(id = concat!($prefix, "-monitor"), long = concat!($prefix, "-monitor"), value_name = "DURATION")]
            pub monitor: Option<String>,
            #[doc = $failure_action]
            #[arg(id = concat!($prefix, "-failure-action"), long = concat!($prefix, "-failure-action"), value_name = "ACTION")]
            pub failure_action: Option<String>,
            #[doc = $max_failure_ratio]
            #[arg(id = concat!($prefix, "-max-failure-ratio"), long = concat!($prefix, "-max-failure-ratio"), value_name = "RATIO")]
            pub max_failure_ratio: Option<String>,
            #[doc = $order]
            #[arg(id = concat!($prefix, "-order"), long = concat!($prefix, "-order"), value_name = "ORDER")]
            pub order: Option<String>,
        }

        impl $name {
            fn flags(self) -> UpdateConfigFlags {
                UpdateConfigFlags {
                    parallelism: self.parallelism,
                    delay: self.delay,
                    monitor: self.monitor,
                    failure_action: self.failure_action,
                    max_failure_ratio: self.max_failure_ratio,
                    order: self.order,
                }
            }
        }
    };
}

policy_args!(
    /// `--update-*` flags.
    UpdateConfigArgs,
    "update",
    help: [
        "Maximum number of tasks updated simultaneously (0 to update all at once).",
        "Delay between updates.",
        "Duration after each task update to monitor for failure.",
        "Action on update failure: pause, continue or rollback.",
        "Failure rate to tolerate during an update.",
        "Update order: start-first or stop-first.",
    ]
);

policy_args!(
    /// `--rollback-*` flags.
    RollbackConfigArgs,
    "rollback",
    help: [
        "Maximum number of tasks rolled back simultaneously (0 to roll back all at once).",
        "Delay between task rollbacks.",
        "Duration after each task rollback to monitor for failure.",
        "Action on rollback failure: pause or continue.",
        "Failure rate to tolerate during a rollback.",
        "Rollback order: start-first or stop-first.",
    ]
);

/// Whether and how long to wait for convergence (create, update, scale, rollback).
#[derive(Debug, Clone, Copy, Default, Args)]
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
    #[arg(long, value_name = "N")]
    pub replicas: Option<String>,
    /// Maximum number of tasks per node (0 = unlimited).
    #[arg(long, value_name = "N")]
    pub max_replicas_per_node: Option<String>,
    /// Set environment variables (KEY=VALUE); repeatable.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// Read in a file of environment variables; repeatable (read before --env).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<String>,
    /// Set one or more supplementary user groups for the container; repeatable.
    #[arg(long)]
    pub group: Vec<String>,
    /// Set one or more custom host-to-IP mappings (host:ip); repeatable.
    #[arg(long, value_name = "HOST:IP")]
    pub host: Vec<String>,
    /// Service labels (key=value); repeatable.
    #[arg(short, long)]
    pub label: Vec<String>,
    /// Container labels (key=value); repeatable.
    #[arg(long)]
    pub container_label: Vec<String>,
    /// Placement constraints (e.g. node.role==worker); repeatable.
    #[arg(long)]
    pub constraint: Vec<String>,
    /// Placement preferences (spread=node.labels.zone); repeatable.
    #[arg(long)]
    pub placement_pref: Vec<String>,
    /// Attach a filesystem mount (type=volume|bind|tmpfs,source=..,target=..); repeatable.
    #[arg(long)]
    pub mount: Vec<String>,
    /// Publish a port (8080:80 or published=8080,target=80[,mode=host]); repeatable.
    #[arg(short, long)]
    pub publish: Vec<String>,
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

impl CreateArgs {
    /// The raw flags for [`ServiceFlags::into_spec`]; `--env-file` is left to the caller
    /// (it reads files), who puts those variables before `env`.
    pub fn flags(self) -> (ServiceFlags, WaitArgs) {
        let f = ServiceFlags {
            name: self.name,
            image: self.image,
            args: self.args,
            entrypoint: self.entrypoint,
            mode: self.mode,
            replicas: self.replicas,
            env: self.env,
            labels: self.label,
            container_labels: self.container_label,
            constraints: self.constraint,
            placement_prefs: self.placement_pref,
            max_replicas_per_node: self.max_replicas_per_node,
            reserve_cpu: self.resources.reserve_cpu,
            reserve_memory: self.resources.reserve_memory,
            limit_cpu: self.resources.limit_cpu,
            limit_memory: self.resources.limit_memory,
            mounts: self.mount,
            publish: self.publish,
            restart_condition: self.restart.restart_condition,
            restart_delay: self.restart.restart_delay,
            restart_max_attempts: self.restart.restart_max_attempts,
            restart_window: self.restart.restart_window,
            update: self.update.flags(),
            rollback: self.rollback.flags(),
            container: self.container.flags(),
            groups: self.group,
            hosts: self.host,
            networks: self.network.network,
            endpoint_mode: self.network.endpoint_mode,
            dns: self.dns.flags(),
        };
        (f, self.wait)
    }
}

/// `service update` arguments (Docker's names).
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
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
    #[arg(long, value_name = "N")]
    pub replicas: Option<String>,
    /// Maximum number of tasks per node (0 = unlimited).
    #[arg(long, value_name = "N")]
    pub max_replicas_per_node: Option<String>,
    /// Add or update an environment variable (KEY=VALUE).
    #[arg(long)]
    pub env_add: Vec<String>,
    /// Remove an environment variable (KEY).
    #[arg(long)]
    pub env_rm: Vec<String>,
    /// Add or update a service label.
    #[arg(long)]
    pub label_add: Vec<String>,
    /// Remove a service label by key.
    #[arg(long)]
    pub label_rm: Vec<String>,
    /// Add or update a container label.
    #[arg(long)]
    pub container_label_add: Vec<String>,
    /// Remove a container label by key.
    #[arg(long)]
    pub container_label_rm: Vec<String>,
    /// Add or update a placement constraint.
    #[arg(long)]
    pub constraint_add: Vec<String>,
    /// Remove a placement constraint.
    #[arg(long)]
    pub constraint_rm: Vec<String>,
    /// Add a placement preference.
    #[arg(long)]
    pub placement_pref_add: Vec<String>,
    /// Remove a placement preference.
    #[arg(long)]
    pub placement_pref_rm: Vec<String>,
    /// Add or update a mount.
    #[arg(long)]
    pub mount_add: Vec<String>,
    /// Remove a mount by its target path.
    #[arg(long)]
    pub mount_rm: Vec<String>,
    /// Add or update a published port.
    #[arg(long)]
    pub publish_add: Vec<String>,
    /// Remove a published port by its target port (80 or 53/udp).
    #[arg(long)]
    pub publish_rm: Vec<String>,
    /// Add an additional supplementary user group to the container.
    #[arg(long)]
    pub group_add: Vec<String>,
    /// Remove a previously added supplementary user group from the container.
    #[arg(long)]
    pub group_rm: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip).
    #[arg(long, value_name = "HOST:IP")]
    pub host_add: Vec<String>,
    /// Remove a custom host-to-IP mapping (host or host:ip).
    #[arg(long, value_name = "HOST")]
    pub host_rm: Vec<String>,
    /// Force the update even if no changes require it (replaces every task).
    #[arg(long)]
    pub force: bool,
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
    /// The raw flags for [`UpdateFlags::apply`], the service key and the wait options.
    pub fn flags(self) -> (UpdateFlags, String, WaitArgs) {
        let f = UpdateFlags {
            image: self.image,
            args: self.args,
            entrypoint: self.entrypoint,
            replicas: self.replicas,
            env_add: self.env_add,
            env_rm: self.env_rm,
            label_add: self.label_add,
            label_rm: self.label_rm,
            container_label_add: self.container_label_add,
            container_label_rm: self.container_label_rm,
            constraint_add: self.constraint_add,
            constraint_rm: self.constraint_rm,
            placement_pref_add: self.placement_pref_add,
            placement_pref_rm: self.placement_pref_rm,
            max_replicas_per_node: self.max_replicas_per_node,
            mount_add: self.mount_add,
            mount_rm: self.mount_rm,
            publish_add: self.publish_add,
            publish_rm: self.publish_rm,
            reserve_cpu: self.resources.reserve_cpu,
            reserve_memory: self.resources.reserve_memory,
            limit_cpu: self.resources.limit_cpu,
            limit_memory: self.resources.limit_memory,
            restart_condition: self.restart.restart_condition,
            restart_delay: self.restart.restart_delay,
            restart_max_attempts: self.restart.restart_max_attempts,
            restart_window: self.restart.restart_window,
            force: self.force,
            update: self.update.flags(),
            rollback: self.rollback_config.flags(),
            container: self.container.flags(),
            group_add: self.group_add,
            group_rm: self.group_rm,
            host_add: self.host_add,
            host_rm: self.host_rm,
            dns: self.dns.flags(),
        };
        (f, self.service, self.wait)
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use crate::{NodeVerb, ServiceVerb};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        verb: Verb,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Verb {
        #[command(subcommand)]
        Service(ServiceVerb),
        #[command(subcommand)]
        Node(NodeVerb),
    }

    fn service(args: &[&str]) -> ServiceVerb {
        let mut all = vec!["x", "service"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).unwrap().verb {
            Verb::Service(v) => v,
            Verb::Node(_) => unreachable!(),
        }
    }

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
        let (f, wait) = c.flags();
        assert_eq!(f.name, "web");
        assert_eq!(f.env, vec!["A=1", "B=2"]);
        assert_eq!(f.publish, vec!["8080:80"]);
        assert_eq!(f.image, "swarm-test/web:v1");
        assert_eq!(f.args, vec!["--port", "80"]);
        assert_eq!(f.update.parallelism.as_deref(), Some("2"));
        assert_eq!(f.rollback.order.as_deref(), Some("start-first"));
        assert_eq!(f.reserve_memory.as_deref(), Some("64M"));
        assert!(wait.detach);
        assert_eq!(wait.timeout, 120_000);
        assert_eq!(f.dns.dns, ["10.0.0.2", "10.0.0.3"]);
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
        let spec = c.flags().0.into_spec().unwrap();
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
        let updated = u.flags().0.apply(&spec).unwrap();
        let ct = &updated.task.container;
        assert!(ct.healthcheck.as_ref().unwrap().is_disabled());
        assert_eq!((ct.init, ct.stop_signal.as_str()), (Some(false), "SIGINT"));
        let ServiceVerb::Update(u) =
            service(&["update", "--no-healthcheck", "--health-retries", "2", "web"])
        else {
            panic!("not update")
        };
        let e = u.flags().0.apply(&spec).unwrap_err().to_string();
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
        let (f, key, wait) = u.flags();
        assert_eq!(key, "web");
        assert_eq!(f.image.as_deref(), Some("web:v2"));
        assert!(f.force);
        assert_eq!(f.env_rm, vec!["A"]);
        assert_eq!(
            (f.dns.dns_add.as_slice(), f.dns.dns_rm.as_slice()),
            (&["10.0.0.4".to_string()][..], &["10.0.0.2".to_string()][..])
        );
        assert_eq!(f.dns.dns_search_add, ["b.example"]);
        assert_eq!(f.dns.dns_search_rm, ["a.example"]);
        assert_eq!(f.dns.dns_option_add, ["timeout:3"]);
        assert_eq!(f.dns.dns_option_rm, ["ndots:2"]);
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
