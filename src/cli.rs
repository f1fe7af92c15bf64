//! Command-line definitions (clap derive). No I/O happens here: the types only describe what the user
//! typed, and map it to the domain's plain inputs ([`ClusterArgs::spec_input`],
//! [`WebsiteCommonArgs::website_input`]); `spec` turns those into a validated
//! [`crate::spec::ClusterSpec`] and `commands` acts on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::spec::raw::{RawSpec, SpecInput};
use crate::spec::website::WebsiteInput;

/// `swarm-aws`: provision and run Docker-Swarm-mode clusters on AWS.
#[derive(Debug, Parser)]
#[command(
    name = "swarm-aws",
    version,
    about = "Provision and run Docker-Swarm-mode clusters on AWS",
    long_about = "Provision and run Docker-Swarm-mode clusters on AWS.\n\n\
swarm-aws renders a CloudFormation stack from a cluster spec (a VPC with one public subnet per\n\
availability zone, manager and worker auto-scaling groups, a load balancer for published ports,\n\
IAM and security groups), creates it while showing every stack event live, then boots the\n\
bundled `swarmd` orchestrator on the instances over SSH.\n\n\
Credentials and region come from the standard AWS chain (--profile, --region, AWS_* environment\n\
variables, ~/.aws/config); AWS_ENDPOINT_URL points every call at another endpoint (e.g. a local\n\
emulator).",
    after_help = "Examples:\n  \
swarm-aws template --name demo --ssh-cidr 203.0.113.0/24      # print the CloudFormation template\n  \
swarm-aws up --name demo --managers 3 --workers 5 --ssh-cidr 203.0.113.0/24\n  \
swarm-aws status --name demo\n  \
swarm-aws scale --name demo --workers 10\n  \
swarm-aws down --name demo"
)]
pub struct Cli {
    /// Options every verb accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every verb accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// AWS region (default: from AWS_REGION, the profile, or the config file)
    #[arg(
        long,
        global = true,
        env = "AWS_REGION",
        hide_env_values = true,
        value_name = "REGION"
    )]
    pub region: Option<String>,
    /// Named AWS profile from ~/.aws/config and ~/.aws/credentials
    #[arg(
        long,
        global = true,
        env = "AWS_PROFILE",
        hide_env_values = true,
        value_name = "PROFILE"
    )]
    pub profile: Option<String>,
    /// Output format for verbs that print state
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// More detail on stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How verbs print what they report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable tables and progress
    Text,
    /// One JSON document on stdout, for scripts
    Json,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the cluster's stack (or update it to match the spec) and boot the orchestrator
    Up(UpArgs),
    /// Change the number of managers and/or workers of a running cluster
    Scale(ScaleArgs),
    /// Delete the cluster's stack and everything in it
    Down(DownArgs),
    /// Re-run the SSH bootstrap of the orchestrator: resumable, skips the nodes already in
    Bootstrap(BootstrapArgs),
    /// Show the stack's status, sizes, outputs and instances
    Status(StatusArgs),
    /// List the swarm-aws clusters in the region
    Ls,
    /// Show the stack's events (or, with --cluster, the cluster's: nodes, services, tasks...)
    Events(EventsArgs),
    /// Print the CloudFormation template for a cluster spec, without creating anything
    Template(TemplateArgs),
    /// Failover website: a Route 53 zone routing to a primary and a secondary cluster
    Website(WebsiteArgs),
    /// Manage the cluster's nodes through its leader (SSH tunnel, mutual TLS)
    Node(NodeArgs),
    /// Manage the cluster's services through its leader (SSH tunnel, mutual TLS)
    Service(ServiceArgs),
    /// Manage the cluster's overlay networks through its leader (SSH tunnel, mutual TLS)
    Network(NetworkArgs),
    /// Manage stacks from compose files through the cluster's leader (SSH tunnel, mutual TLS)
    Stack(StackArgs),
    /// Print the environment that points the docker CLI at the cluster (like docker-machine env)
    DockerEnv(DockerEnvArgs),
    /// Make or remove a docker context for the cluster (runs the docker CLI)
    Context(ContextArgs),
    /// Forward a local port to the leader's API over SSH, in the foreground (docker-env starts
    /// one detached)
    Tunnel(TunnelArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Run a sandbox's load balancer in the foreground (internal: `up --sandbox` starts it)
    #[command(name = "__sandbox-lb", hide = true)]
    SandboxLb(SandboxLbArgs),
    /// Run a sandbox website's DNS in the foreground (internal: `website up --sandbox` starts it)
    #[command(name = "__website-dns", hide = true)]
    WebsiteDns(WebsiteDnsArgs),
}

/// `swarm-aws __sandbox-lb` (internal).
#[derive(Debug, Args)]
pub struct SandboxLbArgs {
    /// The sandbox's cluster
    #[arg(long, value_name = "NAME")]
    pub cluster: String,
    /// The LB's dir (status, pid file)
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// `swarm-aws __website-dns` (internal).
#[derive(Debug, Args)]
pub struct WebsiteDnsArgs {
    /// The website stack
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Its dir (status, pid file)
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to answer (UDP)
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Primary cluster
    #[arg(long, value_name = "CLUSTER")]
    pub primary: String,
    /// Its region
    #[arg(long, value_name = "REGION")]
    pub primary_region: Option<String>,
    /// Secondary cluster
    #[arg(long, value_name = "CLUSTER")]
    pub secondary: String,
    /// Its region
    #[arg(long, value_name = "REGION")]
    pub secondary_region: Option<String>,
}

/// Flags and file that describe a cluster. Every flag may also be given in the config file under the
/// same name (without the dashes) or in a `SWARM_AWS_*` environment variable; flags win over the
/// environment, which wins over the file.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArgs {
    /// Config file (TOML) with the same keys as the flags [default: ./swarm-aws.toml if present]
    #[arg(
        long,
        env = "SWARM_AWS_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Cluster name; also the CloudFormation stack name
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub name: Option<String>,
    /// Number of availability zones to spread over [default: 3]
    #[arg(
        long,
        env = "SWARM_AWS_AZS",
        hide_env_values = true,
        value_name = "N",
        conflicts_with = "zones"
    )]
    pub azs: Option<u32>,
    /// Explicit availability zones, comma-separated (e.g. us-east-1a,us-east-1b)
    #[arg(
        long,
        env = "SWARM_AWS_ZONES",
        hide_env_values = true,
        value_name = "ZONES",
        value_delimiter = ','
    )]
    pub zones: Option<Vec<String>>,
    /// Number of managers: 1, 3, 5 or 7 [default: 3]
    #[arg(
        long,
        env = "SWARM_AWS_MANAGERS",
        hide_env_values = true,
        value_name = "N"
    )]
    pub managers: Option<u32>,
    /// Number of workers: 0 to 1000 [default: 5]
    #[arg(
        long,
        env = "SWARM_AWS_WORKERS",
        hide_env_values = true,
        value_name = "N"
    )]
    pub workers: Option<u32>,
    /// EC2 instance type of managers [default: t3.medium]
    #[arg(
        long,
        env = "SWARM_AWS_MANAGER_INSTANCE_TYPE",
        hide_env_values = true,
        value_name = "TYPE"
    )]
    pub manager_instance_type: Option<String>,
    /// EC2 instance type of workers [default: t3.medium]
    #[arg(
        long,
        env = "SWARM_AWS_WORKER_INSTANCE_TYPE",
        hide_env_values = true,
        value_name = "TYPE"
    )]
    pub worker_instance_type: Option<String>,
    /// Root disk size of managers in GiB [default: 20]
    #[arg(
        long,
        env = "SWARM_AWS_MANAGER_DISK_SIZE",
        hide_env_values = true,
        value_name = "GIB"
    )]
    pub manager_disk_size: Option<u32>,
    /// Root disk type of managers: gp3, gp2, io1, io2, st1, sc1, standard [default: gp3]
    #[arg(
        long,
        env = "SWARM_AWS_MANAGER_DISK_TYPE",
        hide_env_values = true,
        value_name = "TYPE"
    )]
    pub manager_disk_type: Option<String>,
    /// Root disk size of workers in GiB [default: 20]
    #[arg(
        long,
        env = "SWARM_AWS_WORKER_DISK_SIZE",
        hide_env_values = true,
        value_name = "GIB"
    )]
    pub worker_disk_size: Option<u32>,
    /// Root disk type of workers: gp3, gp2, io1, io2, st1, sc1, standard [default: gp3]
    #[arg(
        long,
        env = "SWARM_AWS_WORKER_DISK_TYPE",
        hide_env_values = true,
        value_name = "TYPE"
    )]
    pub worker_disk_type: Option<String>,
    /// Name of an existing EC2 key pair for SSH [default: a key pair swarm-aws creates]
    #[arg(
        long,
        env = "SWARM_AWS_KEY_NAME",
        hide_env_values = true,
        value_name = "NAME",
        conflicts_with = "ssh_public_key"
    )]
    pub key_name: Option<String>,
    /// Local SSH public key to import as the cluster's EC2 key pair
    #[arg(
        long,
        env = "SWARM_AWS_SSH_PUBLIC_KEY",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub ssh_public_key: Option<PathBuf>,
    /// CIDR allowed to reach the nodes over SSH (required, e.g. your office's 203.0.113.0/24)
    #[arg(
        long,
        env = "SWARM_AWS_SSH_CIDR",
        hide_env_values = true,
        value_name = "CIDR"
    )]
    pub ssh_cidr: Option<String>,
    /// Accept --ssh-cidr 0.0.0.0/0 (SSH open to the whole internet)
    #[arg(long)]
    pub allow_ssh_from_anywhere: bool,
    /// CIDR of the cluster's VPC, /16 to /28 [default: 172.31.0.0/16]
    #[arg(
        long,
        env = "SWARM_AWS_VPC_CIDR",
        hide_env_values = true,
        value_name = "CIDR"
    )]
    pub vpc_cidr: Option<String>,
    /// AMI id for every node [default: latest Amazon Linux 2023 for the instance architecture]
    #[arg(
        long,
        env = "SWARM_AWS_AMI",
        hide_env_values = true,
        value_name = "AMI"
    )]
    pub ami: Option<String>,
    /// Send container logs to a CloudWatch log group (--cloudwatch-logs=false to turn off)
    #[arg(long, env = "SWARM_AWS_CLOUDWATCH_LOGS", hide_env_values = true, value_name = "BOOL",
          num_args = 0..=1, default_missing_value = "true")]
    pub cloudwatch_logs: Option<bool>,
    /// Load-balancer ports to publish, comma-separated [default: 80]
    #[arg(
        long,
        env = "SWARM_AWS_PUBLISH",
        hide_env_values = true,
        value_name = "PORTS",
        value_delimiter = ','
    )]
    pub publish: Option<Vec<u16>>,
    /// Tag for every resource, KEY=VALUE (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

impl ClusterArgs {
    /// The spec's input: these flags (clap has already applied the `SWARM_AWS_*` variables) and
    /// the global region.
    pub fn spec_input(&self, region: Option<&str>) -> SpecInput {
        let mut flags = RawSpec {
            name: self.name.clone(),
            region: region.map(str::to_string),
            azs: self.azs,
            zones: self.zones.clone(),
            managers: self.managers,
            workers: self.workers,
            manager_instance_type: self.manager_instance_type.clone(),
            worker_instance_type: self.worker_instance_type.clone(),
            manager_disk_size: self.manager_disk_size,
            manager_disk_type: self.manager_disk_type.clone(),
            worker_disk_size: self.worker_disk_size,
            worker_disk_type: self.worker_disk_type.clone(),
            key_name: self.key_name.clone(),
            ssh_public_key: self.ssh_public_key.clone(),
            ssh_cidr: self.ssh_cidr.clone(),
            allow_ssh_from_anywhere: self.allow_ssh_from_anywhere.then_some(true),
            vpc_cidr: self.vpc_cidr.clone(),
            ami: self.ami.clone(),
            cloudwatch_logs: self.cloudwatch_logs,
            publish: self
                .publish
                .as_ref()
                .map(|p| p.iter().map(|&x| u32::from(x)).collect()),
            ..RawSpec::default()
        };
        flags.set_tags(&self.tags);
        SpecInput {
            config: self.config.clone(),
            flags,
        }
    }
}

/// `swarm-aws up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The cluster to create or update.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Create the stack only; do not boot the orchestrator over SSH
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Go ahead without the IAM preflight (the check that the caller may call every action
    /// the stack needs), e.g. for a caller not allowed iam:SimulatePrincipalPolicy
    #[arg(long)]
    pub skip_preflight: bool,
    /// Run everything locally: AWS emulator plus one local host per instance (no AWS account needed)
    #[arg(long)]
    pub sandbox: bool,
    /// With --sandbox: every node serves Prometheus metrics on its TLS port and a local
    /// Prometheus (Debian's `prometheus`) on 127.0.0.1 scrapes them all; its URL is printed
    /// (also by `status --sandbox`) and `down` stops it
    #[arg(long, requires = "sandbox")]
    pub monitoring: bool,
    /// Show what would be created or changed, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Answer yes to every confirmation
    #[arg(short, long)]
    pub yes: bool,
    /// Cluster engine: swarmd (the bundled orchestrator) or docker (Docker's own Swarm mode in
    /// each host's engine) [default: swarmd for a new cluster, else the one it records]
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<crate::engine::EngineKind>,
}

/// `swarm-aws scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Cluster name
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME",
        default_value_if("sandbox", clap::builder::ArgPredicate::IsPresent, Some("sandbox"))
    )]
    pub name: String,
    /// New number of managers: 1, 3, 5 or 7
    #[arg(long, value_name = "N")]
    pub managers: Option<u32>,
    /// New number of workers: 0 to 1000
    #[arg(long, value_name = "N")]
    pub workers: Option<u32>,
    /// Print the change set (add, modify, replace, remove) and the nodes that would join, drain,
    /// demote or leave, without changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead without the IAM preflight (the check that the caller may call every action
    /// the stack needs), e.g. for a caller not allowed iam:SimulatePrincipalPolicy
    #[arg(long)]
    pub skip_preflight: bool,
    /// Answer yes to every confirmation
    #[arg(short, long)]
    pub yes: bool,
    /// Scale a local sandbox cluster (made by `up --sandbox`): its hosts follow the instances
    #[arg(long)]
    pub sandbox: bool,
    /// Change the stack only: do not drain, remove or join nodes over SSH (for stacks made with
    /// `up --no-bootstrap`); the groups then pick which instances go
    #[arg(long, conflicts_with = "sandbox")]
    pub no_bootstrap: bool,
    /// Cluster engine: swarmd (the bundled orchestrator) or docker (Docker's own Swarm mode in
    /// each host's engine) [default: swarmd for a new cluster, else the one it records]
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<crate::engine::EngineKind>,
}

/// `swarm-aws down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Cluster name
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME",
        default_value_if("sandbox", clap::builder::ArgPredicate::IsPresent, Some("sandbox"))
    )]
    pub name: String,
    /// Delete without asking
    #[arg(short, long)]
    pub yes: bool,
    /// Keep these resources (logical ids) when a delete is stuck on them (repeatable)
    #[arg(long, value_name = "LOGICAL_ID")]
    pub retain: Vec<String>,
    /// Go ahead without the IAM preflight (the check that the caller may call every action
    /// the stack needs), e.g. for a caller not allowed iam:SimulatePrincipalPolicy
    #[arg(long)]
    pub skip_preflight: bool,
    /// Also remove the local sandbox hosts and emulator state
    #[arg(long)]
    pub sandbox: bool,
}

/// `swarm-aws bootstrap`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Cluster name
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME",
        default_value_if("sandbox", clap::builder::ArgPredicate::IsPresent, Some("sandbox"))
    )]
    pub name: String,
    /// Bootstrap the local sandbox hosts (made by `up --sandbox`) instead of the stack's instances
    #[arg(long)]
    pub sandbox: bool,
    /// Cluster engine: swarmd (the bundled orchestrator) or docker (Docker's own Swarm mode in
    /// each host's engine) [default: swarmd for a new cluster, else the one it records]
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<crate::engine::EngineKind>,
}

/// Verbs that take only a cluster name.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Cluster name
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub name: String,
}

/// `swarm-aws status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cluster's name.
    #[command(flatten)]
    pub cluster: NameArgs,
    /// A local sandbox cluster (made by `up --sandbox`): also prints its image registry (and
    /// its Prometheus, with `up --monitoring`)
    #[arg(long)]
    pub sandbox: bool,
}

/// `swarm-aws events`: the stack's CloudFormation events (`--name`), or with `--cluster` the
/// cluster's own events (nodes, services, tasks, networks, secrets, configs) from its leader,
/// as `docker events` prints them.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
swarm-aws events --name demo --follow                      # the stack's CloudFormation events\n  \
swarm-aws events --cluster demo                            # the cluster's events, live (Ctrl-C)\n  \
swarm-aws events --cluster demo --since 10m --until 0s --filter type=service --format json")]
pub struct EventsArgs {
    /// Cluster name: its stack's CloudFormation events
    #[arg(
        long,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME",
        required_unless_present = "cluster"
    )]
    pub name: Option<String>,
    /// Keep watching the stack and print new events as they happen (Ctrl-C to stop watching)
    #[arg(short, long, conflicts_with = "cluster")]
    pub follow: bool,
    /// The cluster's own events instead (swarmd's `events` through the leader's SSH-forwarded
    /// API; docker's `docker events` on a manager): a stream until --until or Ctrl-C
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// With --cluster: the kept events since this time (RFC 3339, Unix seconds, or a duration
    /// back from now: 10m, 1h30m)
    #[arg(long, value_name = "TIME", requires = "cluster")]
    pub since: Option<String>,
    /// With --cluster: stop at this time (same forms as --since; `0s` is now)
    #[arg(long, value_name = "TIME", requires = "cluster")]
    pub until: Option<String>,
    /// With --cluster: type=node|service|task|network|secret|config, event=create|update|remove
    /// (repeatable; values of one key are alternatives)
    #[arg(long, value_name = "FILTER", requires = "cluster")]
    pub filter: Vec<String>,
    /// With --cluster: `json` prints one JSON object a line (as `--output json`)
    #[arg(long, value_enum, value_name = "FORMAT", requires = "cluster")]
    pub format: Option<EventFormat>,
    /// SSH user on the cluster's instances (AWS; sandbox hosts use root)
    #[arg(
        long,
        env = "SWARM_AWS_SSH_USER",
        default_value = crate::bootstrap::AWS_SSH_USER,
        value_name = "USER"
    )]
    pub ssh_user: String,
}

/// `events --cluster --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventFormat {
    /// `docker events` lines
    Text,
    /// One JSON object a line
    Json,
}

impl EventsArgs {
    /// The flags of the shared `events` verb (`--since`, `--until`, `--filter`).
    pub fn ctl_args(&self) -> swarm_ctl::EventsArgs {
        swarm_ctl::EventsArgs {
            since: self.since.clone(),
            until: self.until.clone(),
            filter: self.filter.clone(),
        }
    }

    /// Whether the cluster's events go out as JSON lines (`--format json` or `--output json`).
    pub fn json(&self, global: &GlobalArgs) -> bool {
        match self.format {
            Some(f) => f == EventFormat::Json,
            None => global.output == OutputFormat::Json,
        }
    }
}

/// Which cluster's API a verb talks to.
#[derive(Debug, Args, Clone)]
pub struct ApiTargetArgs {
    /// Cluster name [default: sandbox, when a sandbox of that name exists]. Not `--name`:
    /// `service create --name` names the service, as in docker.
    #[arg(
        long = "cluster",
        global = true,
        env = "SWARM_AWS_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub cluster: Option<String>,
    /// SSH user on the cluster's instances (AWS; sandbox hosts use root)
    #[arg(
        long,
        global = true,
        env = "SWARM_AWS_SSH_USER",
        default_value = crate::bootstrap::AWS_SSH_USER,
        value_name = "USER"
    )]
    pub ssh_user: String,
}

/// `swarm-aws node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// The node verb.
    #[command(subcommand)]
    pub verb: NodeVerb,
}

/// `swarm-aws service`.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// The service verb.
    #[command(subcommand)]
    pub verb: ServiceVerb,
}

/// `swarm-aws network`.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// The network verb.
    #[command(subcommand)]
    pub verb: NetworkVerb,
}

/// `swarm-aws stack`.
#[derive(Debug, Args)]
pub struct StackArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// The stack verb.
    #[command(subcommand)]
    pub verb: StackVerb,
}

pub use swarm_ctl::{NetworkVerb, NodeVerb, ServiceVerb, StackVerb};

/// Output formats of `template` verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TemplateFormat {
    /// CloudFormation JSON
    #[default]
    Json,
    /// CloudFormation YAML
    Yaml,
}

/// `swarm-aws template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The cluster to render.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Template format
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
}

/// `swarm-aws website`.
#[derive(Debug, Args)]
pub struct WebsiteArgs {
    /// The website verb.
    #[command(subcommand)]
    pub command: WebsiteCommand,
}

/// Verbs of `swarm-aws website`.
#[derive(Debug, Subcommand)]
pub enum WebsiteCommand {
    /// Print the failover-website CloudFormation template
    Template(WebsiteTemplateArgs),
    /// Create or update the failover website over two running clusters
    Up(WebsiteUpArgs),
    /// Show the website stack, its record sets and health check
    Status(WebsiteNameArgs),
    /// Delete the website stack
    Down(WebsiteDownArgs),
    /// Failover drill: stop the primary's service, watch the name answer from the secondary,
    /// bring it back and watch the name return (sandbox)
    Drill(WebsiteDrillArgs),
}

/// What a failover website needs besides its two targets.
#[derive(Debug, Args, Clone)]
pub struct WebsiteCommonArgs {
    /// Domain of the website (e.g. example.com)
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,
    /// Record to create [default: the domain itself]
    #[arg(long, value_name = "NAME")]
    pub record_name: Option<String>,
    /// Use this existing Route 53 hosted zone instead of creating one
    #[arg(long, value_name = "ZONE_ID")]
    pub hosted_zone_id: Option<String>,
    /// Protocol of the primary's health check: http, https or tcp
    #[arg(long, value_name = "PROTOCOL", default_value = "http")]
    pub health_check_protocol: String,
    /// Port of the primary's health check
    #[arg(long, value_name = "PORT", default_value_t = 80)]
    pub health_check_port: u16,
    /// Path of the primary's health check (http/https)
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub health_check_path: String,
    /// Seconds between the primary's health checks: 10 or 30
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub health_check_interval: u32,
    /// Consecutive failed (or passed) checks that fail the primary over (or back): 1-10
    #[arg(long, value_name = "COUNT", default_value_t = 3)]
    pub health_check_failure_threshold: u32,
}

impl WebsiteCommonArgs {
    /// The website spec's input from these flags.
    pub fn website_input(&self) -> WebsiteInput {
        WebsiteInput {
            domain: self.domain.clone(),
            record_name: self.record_name.clone(),
            hosted_zone_id: self.hosted_zone_id.clone(),
            health_check_protocol: self.health_check_protocol.clone(),
            health_check_port: self.health_check_port,
            health_check_path: self.health_check_path.clone(),
            health_check_interval: self.health_check_interval,
            health_check_failure_threshold: self.health_check_failure_threshold,
        }
    }
}

/// `swarm-aws website template`.
#[derive(Debug, Args)]
pub struct WebsiteTemplateArgs {
    /// Domain, record and health check.
    #[command(flatten)]
    pub common: WebsiteCommonArgs,
    /// DNS name of the primary cluster's load balancer
    #[arg(long, value_name = "DNS", required_unless_present = "primary")]
    pub primary_dns: Option<String>,
    /// Hosted-zone id of the primary cluster's load balancer
    #[arg(long, value_name = "ZONE_ID", requires = "primary_dns")]
    pub primary_zone_id: Option<String>,
    /// DNS name of the secondary cluster's load balancer
    #[arg(long, value_name = "DNS", required_unless_present = "secondary")]
    pub secondary_dns: Option<String>,
    /// Hosted-zone id of the secondary cluster's load balancer
    #[arg(long, value_name = "ZONE_ID", requires = "secondary_dns")]
    pub secondary_zone_id: Option<String>,
    /// Primary cluster by name (its load balancer is read from its stack when the stack is created)
    #[arg(long, value_name = "CLUSTER", conflicts_with = "primary_dns")]
    pub primary: Option<String>,
    /// Secondary cluster by name
    #[arg(long, value_name = "CLUSTER", conflicts_with = "secondary_dns")]
    pub secondary: Option<String>,
    /// Template format
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
}

/// `swarm-aws website up`.
#[derive(Debug, Args)]
pub struct WebsiteUpArgs {
    /// Domain, record and health check.
    #[command(flatten)]
    pub common: WebsiteCommonArgs,
    /// Name of the website stack [default: derived from the domain]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Primary cluster name
    #[arg(long, value_name = "CLUSTER")]
    pub primary: String,
    /// Region of the primary cluster [default: --region]
    #[arg(long, value_name = "REGION")]
    pub primary_region: Option<String>,
    /// Secondary cluster name
    #[arg(long, value_name = "CLUSTER")]
    pub secondary: String,
    /// Region of the secondary cluster [default: --region]
    #[arg(long, value_name = "REGION")]
    pub secondary_region: Option<String>,
    /// Answer yes to every confirmation
    #[arg(short, long)]
    pub yes: bool,
    /// Over two sandbox clusters: the stack in the local emulator, and a local DNS answering the
    /// record by the primary's health check (run by the sandbox) through their sandbox LBs
    #[arg(long)]
    pub sandbox: bool,
    /// Where the sandbox's DNS answers (UDP) [default: 127.0.0.1 on a free port]
    #[arg(long, value_name = "ADDR", requires = "sandbox")]
    pub dns_addr: Option<std::net::SocketAddr>,
}

/// `swarm-aws website status`.
#[derive(Debug, Args)]
pub struct WebsiteNameArgs {
    /// Name of the website stack
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

/// `swarm-aws website down`.
#[derive(Debug, Args)]
pub struct WebsiteDownArgs {
    /// Name of the website stack
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Delete without asking
    #[arg(short, long)]
    pub yes: bool,
    /// A sandbox website: stop its local DNS too (the stack is in the local emulator)
    #[arg(long)]
    pub sandbox: bool,
}

/// `swarm-aws website drill`.
#[derive(Debug, Args)]
pub struct WebsiteDrillArgs {
    /// Name of the website stack
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The primary's service to stop [default: the services publishing the health check's port]
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Run against the sandbox website (`website up --sandbox`); the only drill so far
    #[arg(long)]
    pub sandbox: bool,
    /// Give up waiting for a switch after this many seconds [default: 3 x interval x threshold + 60]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// `swarm-aws completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn publish_and_zones_split_on_commas() {
        let cli = Cli::try_parse_from([
            "swarm-aws",
            "template",
            "--publish",
            "80,443",
            "--zones",
            "us-east-1a,us-east-1b",
        ])
        .unwrap();
        let Command::Template(t) = cli.command else {
            panic!("expected template")
        };
        assert_eq!(t.cluster.publish, Some(vec![80, 443]));
        assert_eq!(
            t.cluster.zones,
            Some(vec!["us-east-1a".to_string(), "us-east-1b".to_string()])
        );
    }

    #[test]
    fn tags_without_equals_are_kept_for_the_error() {
        let args = ClusterArgs {
            tags: vec!["team=web".into(), "oops".into()],
            ..Default::default()
        };
        let raw = args.spec_input(None).flags;
        assert_eq!(raw.tags["team"], "web");
        assert_eq!(raw.malformed_tags, vec!["oops".to_string()]);
    }

    #[test]
    fn azs_and_zones_conflict() {
        let err = Cli::try_parse_from(["swarm-aws", "template", "--azs", "2", "--zones", "a,b"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn cloudwatch_logs_flag_takes_optional_bool() {
        let on = Cli::try_parse_from(["swarm-aws", "template", "--cloudwatch-logs"]).unwrap();
        let off =
            Cli::try_parse_from(["swarm-aws", "template", "--cloudwatch-logs=false"]).unwrap();
        let get = |c: Cli| match c.command {
            Command::Template(t) => t.cluster.cloudwatch_logs,
            _ => None,
        };
        assert_eq!(get(on), Some(true));
        assert_eq!(get(off), Some(false));
    }
}

/// `swarm-aws docker-env`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
eval $(swarm-aws docker-env --cluster prod)     # then: docker node ls, docker service ls, ...\n  \
eval $(swarm-aws docker-env --cluster prod --unset)")]
pub struct DockerEnvArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// Print the lines that unset the variables, and stop the cluster's tunnel
    #[arg(short = 'u', long)]
    pub unset: bool,
    /// The shell to print for
    #[arg(long, value_enum, default_value_t = crate::tunnel::Shell::Bash)]
    pub shell: crate::tunnel::Shell,
    /// Local port of the tunnel when one is started [default: the port it had before, else any
    /// free one]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// `swarm-aws tunnel`.
#[derive(Debug, Args)]
pub struct TunnelArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// Local port on 127.0.0.1 [default: the port it had before, else any free one]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// `swarm-aws context`.
#[derive(Debug, Args)]
pub struct ContextArgs {
    /// The cluster.
    #[command(flatten)]
    pub target: ApiTargetArgs,
    /// The context verb.
    #[command(subcommand)]
    pub verb: ContextVerb,
}

/// The verbs of `swarm-aws context`.
#[derive(Debug, Subcommand)]
pub enum ContextVerb {
    /// Create a docker context that reaches the cluster through its tunnel (started if needed)
    Create {
        /// The context's name [default: swarm-aws-CLUSTER]
        #[arg(value_name = "CONTEXT")]
        name: Option<String>,
        /// The context's description [default: swarm-aws cluster CLUSTER ...]
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Local port of the tunnel when one is started
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
    },
    /// Remove the docker context (the tunnel stays unless --stop-tunnel)
    Rm {
        /// The context's name [default: swarm-aws-CLUSTER]
        #[arg(value_name = "CONTEXT")]
        name: Option<String>,
        /// Remove it even when it is the current context (docker context rm --force)
        #[arg(short, long)]
        force: bool,
        /// Stop the cluster's tunnel too
        #[arg(long)]
        stop_tunnel: bool,
    },
}
