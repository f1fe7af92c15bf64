//! `swarm-aws node|service ...` on a docker cluster: each verb of ours becomes the docker CLI
//! verb of the same name, run on a manager over SSH against its engine (pure here: the argument
//! lists). swarm-aws's verbs and flags were modelled on docker's, so the mapping is one to one,
//! except where docker has no counterpart: those are refused with [`Unsupported`].

use crate::cli::{NetworkVerb, NodeVerb, ServiceVerb};
use swarm_ctl::service_args::{
    ContainerArgs, ResourceArgs, RestartArgs, RollbackConfigArgs, UpdateConfigArgs, WaitArgs,
};

/// The default of `--timeout` (docker has no such flag: it waits as long as it takes).
const DEFAULT_TIMEOUT_MS: u64 = 120_000;

/// A flag of ours with no Docker counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The flag.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// Why, and what to do.
    pub fix: &'static str,
}

/// The text a flag was given, if it was.
fn text(v: &Option<impl std::fmt::Display>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

/// Builds docker argument lists.
#[derive(Default)]
struct Args(Vec<String>);

impl Args {
    fn new(words: &[&str]) -> Self {
        Args(words.iter().map(|w| w.to_string()).collect())
    }
    fn word(&mut self, w: &str) {
        self.0.push(w.to_string());
    }
    fn words(&mut self, ws: &[String]) {
        self.0.extend(ws.iter().cloned());
    }
    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.word(name);
        }
    }
    fn opt(&mut self, name: &str, v: &Option<impl std::fmt::Display>) {
        if let Some(v) = v {
            self.0.push(format!("{name}={v}"));
        }
    }
    fn bool_opt(&mut self, name: &str, v: Option<bool>) {
        if let Some(v) = v {
            self.0.push(format!("{name}={v}"));
        }
    }
    fn many(&mut self, name: &str, vs: &[impl std::fmt::Display]) {
        for v in vs {
            self.0.push(format!("{name}={v}"));
        }
    }
    fn json(&mut self, json: bool) {
        if json {
            self.word("--format");
            self.word("{{json .}}");
        }
    }
    fn container(&mut self, c: &ContainerArgs) {
        self.opt("--hostname", &c.hostname);
        self.opt("--user", &c.user);
        self.opt("--workdir", &c.workdir);
        self.bool_opt("--read-only", c.read_only);
        self.bool_opt("--tty", c.tty);
        self.opt("--stop-grace-period", &c.stop_grace_period);
        self.opt("--log-driver", &c.log_driver);
        self.many("--log-opt", &c.log_opt);
        self.many("--cap-add", &c.cap_add);
        self.many("--cap-drop", &c.cap_drop);
    }
    fn resources(&mut self, r: &ResourceArgs) {
        self.opt("--reserve-cpu", &r.reserve_cpu);
        self.opt("--reserve-memory", &r.reserve_memory);
        self.opt("--limit-cpu", &r.limit_cpu);
        self.opt("--limit-memory", &r.limit_memory);
    }
    fn restart(&mut self, r: &RestartArgs) {
        self.opt("--restart-condition", &r.restart_condition);
        self.opt("--restart-delay", &r.restart_delay);
        self.opt("--restart-max-attempts", &r.restart_max_attempts);
        self.opt("--restart-window", &r.restart_window);
    }
    /// The six `--update-*` / `--rollback-*` flags (one policy struct, two prefixes).
    fn policy(&mut self, prefix: &str, fields: [Option<String>; 6]) {
        let names = [
            "parallelism",
            "delay",
            "monitor",
            "failure-action",
            "max-failure-ratio",
            "order",
        ];
        for (name, v) in names.iter().zip(fields) {
            self.opt(&format!("--{prefix}-{name}"), &v);
        }
    }
    fn update_config(&mut self, u: &UpdateConfigArgs) {
        let f = [
            text(&u.parallelism),
            text(&u.delay),
            text(&u.monitor),
            text(&u.failure_action),
            text(&u.max_failure_ratio),
            text(&u.order),
        ];
        self.policy("update", f);
    }
    fn rollback_config(&mut self, r: &RollbackConfigArgs) {
        let f = [
            text(&r.parallelism),
            text(&r.delay),
            text(&r.monitor),
            text(&r.failure_action),
            text(&r.max_failure_ratio),
            text(&r.order),
        ];
        self.policy("rollback", f);
    }
    fn wait(&mut self, w: &WaitArgs) -> Result<(), Unsupported> {
        if w.timeout != DEFAULT_TIMEOUT_MS {
            return Err(Unsupported {
                field: "--timeout",
                value: format!("{}ms", w.timeout),
                fix: "docker has no --timeout: on a docker cluster the verb waits until the \
                      service converged (or give --detach)",
            });
        }
        self.flag("--detach", w.detach);
        self.flag("--quiet", w.quiet);
        Ok(())
    }
}

/// The docker arguments of a `node` verb (`json`: `--output json`).
pub fn node_args(verb: &NodeVerb, json: bool) -> Result<Vec<String>, Unsupported> {
    let mut a = Args::new(&["node"]);
    match verb {
        NodeVerb::Ls { quiet, filter } => {
            a.word("ls");
            a.flag("--quiet", *quiet);
            a.many("--filter", filter);
            if !*quiet {
                a.json(json);
            }
        }
        NodeVerb::Inspect { pretty, nodes } => {
            a.word("inspect");
            a.flag("--pretty", *pretty);
            a.words(nodes);
        }
        NodeVerb::Ps(p) => {
            a.word("ps");
            a.flag("--no-trunc", p.no_trunc);
            a.flag("--no-resolve", p.no_resolve);
            a.flag("--quiet", p.quiet);
            a.many("--filter", &p.filter);
            if !p.quiet {
                a.json(json);
            }
            a.words(&p.nodes);
        }
        NodeVerb::Promote { nodes } => {
            a.word("promote");
            a.words(nodes);
        }
        NodeVerb::Demote { nodes } => {
            a.word("demote");
            a.words(nodes);
        }
        NodeVerb::Update {
            node,
            availability,
            label_add,
            label_rm,
        } => {
            a.word("update");
            a.opt("--availability", availability);
            a.many("--label-add", label_add);
            a.many("--label-rm", label_rm);
            a.word(node);
        }
        NodeVerb::Rm { nodes, force } => {
            a.word("rm");
            a.flag("--force", *force);
            a.words(nodes);
        }
    }
    Ok(a.0)
}

/// The docker arguments of `events --cluster` (`json`: one JSON object a line). The output
/// comes back when `docker events` ends, so an `--until` is required here.
pub fn events_args(e: &swarm_ctl::EventsArgs, json: bool) -> Result<Vec<String>, Unsupported> {
    if e.until.is_none() {
        return Err(Unsupported {
            field: "--until",
            value: "(none)".into(),
            fix: "on a docker cluster `events --cluster` prints what `docker events` printed when \
                  it ends: give --until (e.g. --since 10m --until 0s)",
        });
    }
    let mut a = Args::new(&["events"]);
    a.opt("--since", &e.since);
    a.opt("--until", &e.until);
    a.many("--filter", &e.filter);
    a.json(json);
    Ok(a.0)
}

/// The docker arguments of a `network` verb (`json`: `--output json`); every flag of ours is
/// docker's.
pub fn network_args(verb: &NetworkVerb, json: bool) -> Vec<String> {
    let mut a = Args::new(&["network"]);
    match verb {
        NetworkVerb::Create(c) => {
            a.word("create");
            a.opt(
                "--driver",
                &Some(c.driver.clone().unwrap_or_else(|| "overlay".into())),
            );
            a.many("--subnet", &c.subnet);
            a.many("--gateway", &c.gateway);
            a.many("--ip-range", &c.ip_range);
            a.flag("--internal", c.internal);
            a.flag("--attachable", c.attachable);
            a.many("--label", &c.label);
            a.many("--opt", &c.opt);
            a.word(&c.name);
        }
        NetworkVerb::Ls { quiet, no_trunc } => {
            a.word("ls");
            a.flag("--quiet", *quiet);
            a.flag("--no-trunc", *no_trunc);
            if !*quiet {
                a.json(json);
            }
        }
        NetworkVerb::Inspect { networks } => {
            a.word("inspect");
            a.words(networks);
        }
        NetworkVerb::Rm { networks } => {
            a.word("rm");
            a.words(networks);
        }
        NetworkVerb::Prune { .. } => {
            a.word("prune");
            a.word("--force");
        }
    }
    a.0
}

/// The docker arguments of a `service` verb (`json`: `--output json`).
pub fn service_args(verb: &ServiceVerb, json: bool) -> Result<Vec<String>, Unsupported> {
    let mut a = Args::new(&["service"]);
    match verb {
        ServiceVerb::Create(c) => {
            a.word("create");
            a.0.push(format!("--name={}", c.name));
            a.opt("--mode", &c.mode);
            a.opt("--replicas", &c.replicas);
            a.opt("--replicas-max-per-node", &c.max_replicas_per_node);
            a.many("--env", &c.env);
            a.many("--env-file", &c.env_file);
            a.many("--group", &c.group);
            a.many("--host", &c.host);
            a.many("--label", &c.label);
            a.many("--container-label", &c.container_label);
            a.many("--constraint", &c.constraint);
            a.many("--placement-pref", &c.placement_pref);
            a.many("--mount", &c.mount);
            a.many("--publish", &c.publish);
            a.opt("--entrypoint", &c.entrypoint);
            a.many("--dns", &c.dns.dns);
            a.many("--dns-search", &c.dns.dns_search);
            a.many("--dns-option", &c.dns.dns_option);
            a.many("--network", &c.network.network);
            a.opt("--endpoint-mode", &c.network.endpoint_mode);
            a.many("--secret", &c.files.secret);
            a.many("--config", &c.files.config);
            a.container(&c.container);
            a.resources(&c.resources);
            a.restart(&c.restart);
            a.update_config(&c.update);
            a.rollback_config(&c.rollback);
            a.wait(&c.wait)?;
            a.word(&c.image);
            a.words(&c.args);
        }
        ServiceVerb::Ls { quiet, filter } => {
            a.word("ls");
            a.flag("--quiet", *quiet);
            a.many("--filter", filter);
            if !*quiet {
                a.json(json);
            }
        }
        ServiceVerb::Ps {
            services,
            no_trunc,
            no_resolve,
            quiet,
            filter,
        } => {
            a.word("ps");
            a.flag("--no-trunc", *no_trunc);
            a.flag("--no-resolve", *no_resolve);
            a.flag("--quiet", *quiet);
            a.many("--filter", filter);
            if !*quiet {
                a.json(json);
            }
            a.words(services);
        }
        ServiceVerb::Inspect { pretty, services } => {
            a.word("inspect");
            a.flag("--pretty", *pretty);
            a.words(services);
        }
        ServiceVerb::Scale { pairs, wait } => {
            a.word("scale");
            a.wait(wait)?;
            a.words(pairs);
        }
        ServiceVerb::Update(u) => {
            a.word("update");
            let e = &u.edit;
            a.opt("--image", &e.image);
            a.opt("--args", &e.args);
            a.opt("--entrypoint", &e.entrypoint);
            a.opt("--replicas", &e.replicas);
            a.opt("--replicas-max-per-node", &e.max_replicas_per_node);
            a.many("--env-add", &e.env_add);
            a.many("--env-rm", &e.env_rm);
            a.many("--label-add", &e.label_add);
            a.many("--label-rm", &e.label_rm);
            a.many("--container-label-add", &e.container_label_add);
            a.many("--container-label-rm", &e.container_label_rm);
            a.many("--constraint-add", &e.constraint_add);
            a.many("--constraint-rm", &e.constraint_rm);
            a.many("--placement-pref-add", &e.placement_pref_add);
            a.many("--placement-pref-rm", &e.placement_pref_rm);
            a.many("--mount-add", &e.mount_add);
            a.many("--mount-rm", &e.mount_rm);
            a.many("--publish-add", &e.publish_add);
            a.many("--publish-rm", &e.publish_rm);
            a.many("--group-add", &e.group_add);
            a.many("--group-rm", &e.group_rm);
            a.many("--host-add", &e.host_add);
            a.many("--host-rm", &e.host_rm);
            a.many("--dns-add", &u.dns.dns_add);
            a.many("--dns-rm", &u.dns.dns_rm);
            a.many("--dns-search-add", &u.dns.dns_search_add);
            a.many("--dns-search-rm", &u.dns.dns_search_rm);
            a.many("--dns-option-add", &u.dns.dns_option_add);
            a.many("--dns-option-rm", &u.dns.dns_option_rm);
            a.many("--network-add", &u.network.network_add);
            a.many("--network-rm", &u.network.network_rm);
            a.many("--secret-add", &u.files.secret_add);
            a.many("--secret-rm", &u.files.secret_rm);
            a.many("--config-add", &u.files.config_add);
            a.many("--config-rm", &u.files.config_rm);
            a.opt("--endpoint-mode", &u.network.endpoint_mode);
            a.flag("--force", u.edit.force);
            a.flag("--rollback", u.rollback);
            a.container(&u.container);
            a.resources(&u.resources);
            a.restart(&u.restart);
            a.update_config(&u.update);
            a.rollback_config(&u.rollback_config);
            a.wait(&u.wait)?;
            a.word(&u.service);
        }
        ServiceVerb::Rollback { service, wait } => {
            a.word("rollback");
            a.wait(wait)?;
            a.word(service);
        }
        ServiceVerb::Rm { services } => {
            a.word("rm");
            a.words(services);
        }
        ServiceVerb::Logs {
            service,
            tail,
            follow,
            timestamps,
        } => {
            a.word("logs");
            a.opt("--tail", tail);
            a.flag("--follow", *follow);
            a.flag("--timestamps", *timestamps);
            a.word(service);
        }
    }
    Ok(a.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Parser, Subcommand};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(Subcommand)]
    enum Cmd {
        #[command(subcommand)]
        Node(NodeVerb),
        #[command(subcommand)]
        Service(ServiceVerb),
        #[command(subcommand)]
        Network(NetworkVerb),
    }

    fn docker(line: &str, json: bool) -> Result<Vec<String>, Unsupported> {
        let words = std::iter::once("t").chain(line.split_whitespace());
        match Cli::try_parse_from(words).unwrap().cmd {
            Cmd::Node(v) => node_args(&v, json),
            Cmd::Service(v) => service_args(&v, json),
            Cmd::Network(v) => Ok(network_args(&v, json)),
        }
    }

    #[test]
    fn network_verbs_map_one_to_one() {
        let verb = |line: &str| docker(&format!("network {line}"), false).unwrap();
        assert_eq!(
            verb("create --subnet 10.9.0.0/24 --internal -o encrypted back"),
            [
                "network",
                "create",
                "--driver=overlay",
                "--subnet=10.9.0.0/24",
                "--internal",
                "--opt=encrypted",
                "back"
            ]
        );
        assert_eq!(verb("rm a b"), ["network", "rm", "a", "b"]);
        assert_eq!(verb("prune"), ["network", "prune", "--force"]);
    }

    #[test]
    fn node_verbs_map_one_to_one() {
        assert_eq!(
            docker("node update --availability drain --label-add a=b n1", false).unwrap(),
            [
                "node",
                "update",
                "--availability=drain",
                "--label-add=a=b",
                "n1"
            ]
        );
        assert_eq!(
            docker("node ls -f role=manager", true).unwrap(),
            [
                "node",
                "ls",
                "--filter=role=manager",
                "--format",
                "{{json .}}"
            ]
        );
        assert_eq!(
            docker("node rm --force n1 n2", false).unwrap(),
            ["node", "rm", "--force", "n1", "n2"]
        );
    }

    #[test]
    fn service_create_keeps_every_flag_and_the_command() {
        let a = docker(
            "service create --name web --replicas 4 --max-replicas-per-node 2 -e A=1 \
             --update-parallelism 10 --update-delay 0s --read-only --dns 10.0.0.2 \
             --dns-search example.com --dns-option ndots:2 --network name=back,alias=api \
             --endpoint-mode dnsrr -d reg/img:1 serve --port 80",
            false,
        )
        .unwrap();
        assert_eq!(
            a,
            [
                "service",
                "create",
                "--name=web",
                "--replicas=4",
                "--replicas-max-per-node=2",
                "--env=A=1",
                "--dns=10.0.0.2",
                "--dns-search=example.com",
                "--dns-option=ndots:2",
                "--network=name=back,alias=api",
                "--endpoint-mode=dnsrr",
                "--read-only=true",
                "--update-parallelism=10",
                "--update-delay=0s",
                "--detach",
                "reg/img:1",
                "serve",
                "--port",
                "80"
            ]
        );
    }

    #[test]
    fn a_flag_docker_lacks_is_refused_by_name() {
        let e = docker("service scale --timeout 5s web=3", false).unwrap_err();
        assert_eq!(e.field, "--timeout");
        assert!(e.fix.contains("docker has no --timeout"), "{e:?}");
        assert_eq!(
            docker("service scale web=3", false).unwrap(),
            ["service", "scale", "web=3"]
        );
    }
}
