//! Task → Docker container configuration (pure; no daemon involved).
//!
//! - env: `SWARM_TASK_ID`, `SWARM_TASK_SLOT`, `SWARM_SERVICE_ID`, `SWARM_SERVICE_NAME`,
//!   `SWARM_NODE_ID`, `SWARM_NODE_HOSTNAME`, then the service's `--env` (later entries win);
//! - labels: the service's `--container-label`s, then the swarm labels (which win);
//! - command → entrypoint, args → cmd (each only when given);
//! - limits → `NanoCpus`/`Memory`; memory reservation → `MemoryReservation`; CPU
//!   reservation → `CpuShares` (1024 per CPU), a relative weight under contention;
//! - host-mode published ports → a binding of the fixed published port on all host
//!   addresses; ingress ports → a binding of the target port on an ephemeral host port on
//!   the node's publish IP (where the routing mesh of every node forwards to; the bound
//!   address is read back after start by [`bound_ports`] and reported in the task status);
//! - hostname, user, groups, workdir, tty, read-only root, extra hosts (`host:ip`) and the
//!   log driver with its options, as `docker service create` passes them;
//! - `--dns`/`--dns-search`/`--dns-option` → `Dns`/`DnsSearch`/`DnsOptions` (the engine's
//!   resolv.conf for a task with no overlay network; the overlay's otherwise);
//! - volume mounts carry their labels, driver, driver options and nocopy; tmpfs mounts their
//!   size and mode;
//! - `--init` → `HostConfig.Init`, `--stop-signal` → `StopSignal`, the healthcheck →
//!   `Healthcheck` (durations in nanoseconds; `["NONE"]` turns the image's check off);
//! - no engine restart policy: restarts are the orchestrator's job.

use std::collections::HashMap;
use std::net::IpAddr;

use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, HostConfigLogConfig, Mount, MountTmpfsOptions,
    MountType, MountVolumeOptions, MountVolumeOptionsDriverConfig, PortBinding,
};
use swarm_api::mount::MountType as ApiMountType;
use swarm_api::publish::PublishMode;
use swarm_api::task::{BoundPort, Task};

use crate::executor::NodeContext;
use crate::labels;

/// The environment of the task's container.
pub fn env(task: &Task, node: &NodeContext) -> Vec<String> {
    let mut env = vec![
        format!("{}={}", labels::ENV_TASK_ID, task.id),
        format!("{}={}", labels::ENV_SERVICE_ID, task.service_id),
        format!("{}={}", labels::ENV_SERVICE_NAME, task.service_name),
        format!("{}={}", labels::ENV_NODE_ID, node.node_id),
        format!("{}={}", labels::ENV_NODE_HOSTNAME, node.hostname),
    ];
    if let Some(slot) = task.slot {
        env.push(format!("{}={slot}", labels::ENV_TASK_SLOT));
    }
    env.extend(task.spec.container.env.iter().cloned());
    env
}

/// The labels of the task's container.
pub fn container_labels(task: &Task, node: &NodeContext) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = task
        .spec
        .container
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    l.insert(labels::SERVICE_NAME.into(), task.service_name.clone());
    l.insert(labels::SERVICE_ID.into(), task.service_id.clone());
    l.insert(labels::TASK_ID.into(), task.id.clone());
    l.insert(labels::TASK_NAME.into(), task.container_name());
    l.insert(labels::NODE_ID.into(), node.node_id.clone());
    l
}

fn mounts(task: &Task) -> Vec<Mount> {
    task.spec
        .container
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                ApiMountType::Volume => MountType::VOLUME,
                ApiMountType::Bind => MountType::BIND,
                ApiMountType::Tmpfs => MountType::TMPFS,
            }),
            read_only: Some(m.readonly),
            tmpfs_options: (m.kind == ApiMountType::Tmpfs
                && (m.tmpfs_size_bytes > 0 || m.tmpfs_mode.is_some()))
            .then(|| MountTmpfsOptions {
                size_bytes: (m.tmpfs_size_bytes > 0).then_some(m.tmpfs_size_bytes),
                mode: m.tmpfs_mode.map(i64::from),
                ..Default::default()
            }),
            volume_options: volume_options(m),
            ..Default::default()
        })
        .collect()
}

fn volume_options(m: &swarm_api::mount::Mount) -> Option<MountVolumeOptions> {
    let to_map = |b: &std::collections::BTreeMap<String, String>| {
        (!b.is_empty()).then(|| b.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    let driver = (m.volume_driver.is_some() || !m.volume_options.is_empty()).then(|| {
        MountVolumeOptionsDriverConfig {
            name: m.volume_driver.clone(),
            options: to_map(&m.volume_options),
        }
    });
    let any = m.volume_nocopy || !m.volume_labels.is_empty() || driver.is_some();
    (m.kind == ApiMountType::Volume && any).then(|| MountVolumeOptions {
        no_copy: m.volume_nocopy.then_some(true),
        labels: to_map(&m.volume_labels),
        driver_config: driver,
        ..Default::default()
    })
}

/// The ingress target ports of a task, each once (`target/protocol`), in spec order.
fn ingress_targets(task: &Task) -> Vec<(u16, swarm_api::publish::Protocol)> {
    let mut out = Vec::new();
    for p in &task.endpoint.ports {
        if p.mode == PublishMode::Ingress && !out.contains(&(p.target, p.protocol)) {
            out.push((p.target, p.protocol));
        }
    }
    out
}

fn port_bindings(task: &Task, publish_ip: IpAddr) -> Vec<(String, PortBinding)> {
    let mut out = Vec::new();
    for p in task
        .endpoint
        .ports
        .iter()
        .filter(|p| p.mode == PublishMode::Host)
    {
        out.push((
            format!("{}/{}", p.target, p.protocol),
            PortBinding {
                host_ip: None,
                host_port: Some(p.published.map(|p| p.to_string()).unwrap_or_default()),
            },
        ));
    }
    for (target, protocol) in ingress_targets(task) {
        out.push((
            format!("{target}/{protocol}"),
            PortBinding {
                host_ip: Some(publish_ip.to_string()),
                host_port: Some(String::new()),
            },
        ));
    }
    out
}

/// Where the task's ingress target ports ended up, from the container's
/// `NetworkSettings.Ports` after start: the binding on `publish_ip` of each ingress target.
/// A target without such a binding is left out (the caller compares the count).
pub fn bound_ports(
    task: &Task,
    ports: &HashMap<String, Option<Vec<PortBinding>>>,
    publish_ip: IpAddr,
) -> Vec<BoundPort> {
    let ip = publish_ip.to_string();
    ingress_targets(task)
        .into_iter()
        .filter_map(|(target, protocol)| {
            let bindings = ports.get(&format!("{target}/{protocol}"))?.as_ref()?;
            let port = bindings.iter().find_map(|b| {
                (b.host_ip.as_deref() == Some(ip.as_str()))
                    .then(|| b.host_port.as_deref()?.parse::<u16>().ok())
                    .flatten()
            })?;
            let addr = match publish_ip {
                IpAddr::V4(v4) => format!("{v4}:{port}"),
                IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            };
            Some(BoundPort {
                target,
                protocol,
                addr,
            })
        })
        .collect()
}

/// The number of ingress target ports [`bound_ports`] should find.
pub fn ingress_port_count(task: &Task) -> usize {
    ingress_targets(task).len()
}

/// The full create request for the task's container; ingress ports are bound on `publish_ip`.
pub fn container_config(
    task: &Task,
    node: &NodeContext,
    publish_ip: IpAddr,
) -> ContainerCreateBody {
    let c = &task.spec.container;
    let res = &task.spec.resources;
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (key, binding) in port_bindings(task, publish_ip) {
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(binding);
    }
    let host_config = HostConfig {
        nano_cpus: (res.limits.nano_cpus > 0).then_some(res.limits.nano_cpus),
        memory: (res.limits.memory_bytes > 0).then_some(res.limits.memory_bytes),
        pids_limit: (res.pids_limit > 0).then(|| i64::try_from(res.pids_limit).unwrap_or(i64::MAX)),
        memory_reservation: (res.reservations.memory_bytes > 0)
            .then_some(res.reservations.memory_bytes),
        cpu_shares: (res.reservations.nano_cpus > 0)
            .then(|| (res.reservations.nano_cpus * 1024 / 1_000_000_000).max(2)),
        mounts: (!c.mounts.is_empty()).then(|| mounts(task)),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        readonly_rootfs: c.read_only.then_some(true),
        extra_hosts: (!c.hosts.is_empty()).then(|| c.hosts.clone()),
        group_add: (!c.groups.is_empty()).then(|| c.groups.clone()),
        cap_add: (!c.cap_add.is_empty()).then(|| c.cap_add.clone()),
        cap_drop: (!c.cap_drop.is_empty()).then(|| c.cap_drop.clone()),
        // Used by the engine for a task with no overlay network; on overlay networks the
        // node's overlay reads them back from the container and serves them itself.
        dns: (!c.dns.nameservers.is_empty()).then(|| c.dns.nameservers.clone()),
        dns_search: (!c.dns.search.is_empty()).then(|| c.dns.search.clone()),
        dns_options: (!c.dns.options.is_empty()).then(|| c.dns.options.clone()),
        log_config: task.spec.log_driver.as_ref().map(|d| HostConfigLogConfig {
            typ: Some(d.name.clone()),
            config: (!d.options.is_empty()).then(|| {
                d.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        }),
        network_mode: swarm_api::network::isolated(&task.spec.networks).then(|| "none".into()),
        init: c.init,
        ..Default::default()
    };
    let text = |v: &str| (!v.is_empty()).then(|| v.to_string());
    ContainerCreateBody {
        image: Some(c.image.clone()),
        env: Some(env(task, node)),
        labels: Some(container_labels(task, node)),
        entrypoint: (!c.command.is_empty()).then(|| c.command.clone()),
        cmd: (!c.args.is_empty()).then(|| c.args.clone()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        hostname: text(&c.hostname),
        user: text(&c.user),
        working_dir: text(&c.dir),
        tty: c.tty.then_some(true),
        stop_signal: text(&c.stop_signal),
        healthcheck: c.healthcheck.as_ref().map(health_config),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// Docker's `HealthConfig` of a healthcheck (durations in nanoseconds, 0 = the image's).
fn health_config(h: &swarm_api::healthcheck::HealthConfig) -> HealthConfig {
    let ns =
        |ms: u64| (ms > 0).then(|| i64::try_from(ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX));
    HealthConfig {
        test: (!h.test.is_empty()).then(|| h.test.clone()),
        interval: ns(h.interval_ms),
        timeout: ns(h.timeout_ms),
        retries: (h.retries > 0).then(|| i64::try_from(h.retries).unwrap_or(i64::MAX)),
        start_period: ns(h.start_period_ms),
        start_interval: ns(h.start_interval_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::mount::Mount as ApiMount;
    use swarm_api::publish::PortConfig;
    use swarm_api::service::{ContainerSpec, EndpointSpec, TaskSpec};
    use swarm_api::task::{TaskState, TaskStatus};

    fn task() -> Task {
        let mut spec = TaskSpec {
            container: ContainerSpec {
                image: "swarm-test/web:v1".into(),
                env: vec!["A=1".into(), "SWARM_NODE_HOSTNAME=override".into()],
                labels: [
                    ("team".to_string(), "web".to_string()),
                    (labels::TASK_ID.to_string(), "forged".to_string()),
                ]
                .into_iter()
                .collect(),
                command: vec![],
                args: vec!["--port".into(), "8080".into()],
                mounts: vec![
                    ApiMount::parse("type=tmpfs,target=/run,tmpfs-size=1M").unwrap(),
                    ApiMount::parse("type=bind,source=/etc,target=/host-etc,readonly").unwrap(),
                ],
                ..Default::default()
            },
            ..Default::default()
        };
        spec.resources.limits.nano_cpus = 500_000_000;
        spec.resources.limits.memory_bytes = 64 << 20;
        spec.resources.reservations.memory_bytes = 32 << 20;
        spec.resources.reservations.nano_cpus = 250_000_000;
        Task {
            id: "t1".into(),
            service_id: "s1".into(),
            service_name: "web".into(),
            slot: Some(3),
            node_id: Some("n1".into()),
            spec,
            endpoint: EndpointSpec {
                ports: vec![
                    PortConfig::parse("published=18080,target=8080,mode=host").unwrap(),
                    PortConfig::parse("9000:90").unwrap(),
                ],
                ..Default::default()
            },
            service_version: 1,
            desired_state: TaskState::Running,
            status: TaskStatus::default(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    const PUBLISH: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7));

    fn node() -> NodeContext {
        NodeContext {
            node_id: "n1".into(),
            hostname: "host-1".into(),
        }
    }

    #[test]
    fn dockers_container_flags_reach_the_create_request() {
        let mut t = task();
        let c = &mut t.spec.container;
        c.hostname = "h1".into();
        c.user = "1000:1000".into();
        c.dir = "/srv".into();
        c.read_only = true;
        c.tty = true;
        c.groups = vec!["1234".into()];
        c.hosts = vec!["db:10.0.0.5".into()];
        c.cap_add = vec!["CAP_NET_ADMIN".into()];
        c.cap_drop = vec!["ALL".into()];
        c.init = Some(true);
        c.stop_signal = "SIGINT".into();
        c.healthcheck = Some(swarm_api::healthcheck::HealthConfig {
            test: vec!["CMD".into(), "/web".into(), "--check".into()],
            interval_ms: 2_000,
            retries: 3,
            ..Default::default()
        });
        c.dns = swarm_api::dns_config::DnsConfig {
            nameservers: vec!["10.0.0.2".into()],
            search: vec!["example.com".into()],
            options: vec!["ndots:2".into()],
        };
        c.mounts = vec![
            ApiMount::parse("type=volume,source=v,target=/d,volume-label=a=b,volume-nocopy,volume-driver=local,volume-opt=o=1").unwrap(),
            ApiMount::parse("type=tmpfs,target=/t,tmpfs-mode=700").unwrap(),
        ];
        t.spec.log_driver = Some(swarm_api::service::LogDriver {
            name: "json-file".into(),
            options: [("max-size".to_string(), "1m".to_string())].into(),
        });
        let cfg = container_config(&t, &node(), PUBLISH);
        assert_eq!(cfg.hostname.as_deref(), Some("h1"));
        assert_eq!(cfg.user.as_deref(), Some("1000:1000"));
        assert_eq!(cfg.working_dir.as_deref(), Some("/srv"));
        assert_eq!(cfg.tty, Some(true));
        assert_eq!(cfg.stop_signal.as_deref(), Some("SIGINT"));
        let hc = cfg.healthcheck.clone().unwrap();
        assert_eq!(
            hc.test,
            Some(vec!["CMD".into(), "/web".into(), "--check".into()])
        );
        assert_eq!(
            (hc.interval, hc.timeout, hc.retries),
            (Some(2_000_000_000), None, Some(3))
        );
        let h = cfg.host_config.unwrap();
        assert_eq!(h.init, Some(true));
        assert_eq!(h.readonly_rootfs, Some(true));
        assert_eq!(h.group_add, Some(vec!["1234".to_string()]));
        assert_eq!(h.extra_hosts, Some(vec!["db:10.0.0.5".to_string()]));
        assert_eq!(h.cap_add, Some(vec!["CAP_NET_ADMIN".to_string()]));
        assert_eq!(h.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(h.dns, Some(vec!["10.0.0.2".to_string()]));
        assert_eq!(h.dns_search, Some(vec!["example.com".to_string()]));
        assert_eq!(h.dns_options, Some(vec!["ndots:2".to_string()]));
        let log = h.log_config.unwrap();
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.unwrap()["max-size"], "1m");
        let m = h.mounts.unwrap();
        let vo = m[0].volume_options.clone().unwrap();
        assert_eq!(vo.no_copy, Some(true));
        assert_eq!(vo.labels.unwrap()["a"], "b");
        let d = vo.driver_config.unwrap();
        assert_eq!(d.name.as_deref(), Some("local"));
        assert_eq!(d.options.unwrap()["o"], "1");
        assert_eq!(m[1].tmpfs_options.clone().unwrap().mode, Some(0o700));
        // Nothing set: nothing sent (the image's and the engine's defaults apply).
        let plain = container_config(&task(), &node(), PUBLISH);
        assert_eq!(
            (plain.hostname, plain.user, plain.working_dir, plain.tty),
            (None, None, None, None)
        );
        let h = plain.host_config.unwrap();
        assert!(h.log_config.is_none() && h.extra_hosts.is_none() && h.readonly_rootfs.is_none());
        assert!(h.cap_add.is_none() && h.cap_drop.is_none());
        assert!(h.dns.is_none() && h.dns_search.is_none() && h.dns_options.is_none());
    }

    #[test]
    fn labels_env_and_args() {
        let cfg = container_config(&task(), &node(), PUBLISH);
        let l = cfg.labels.unwrap();
        assert_eq!(l[labels::SERVICE_NAME], "web");
        assert_eq!(l[labels::SERVICE_ID], "s1");
        assert_eq!(
            l[labels::TASK_ID],
            "t1",
            "swarm labels win over container labels"
        );
        assert_eq!(l[labels::NODE_ID], "n1");
        assert_eq!(l[labels::TASK_NAME], "web.3.t1");
        assert_eq!(l["team"], "web");
        let env = cfg.env.unwrap();
        assert!(env.contains(&"SWARM_TASK_ID=t1".to_string()));
        assert!(env.contains(&"SWARM_TASK_SLOT=3".to_string()));
        let pos = |s: &str| env.iter().position(|e| e == s).unwrap();
        assert!(
            pos("SWARM_NODE_HOSTNAME=override") > pos("SWARM_NODE_HOSTNAME=host-1"),
            "user env comes last"
        );
        assert_eq!(cfg.entrypoint, None);
        assert_eq!(cfg.cmd.unwrap(), vec!["--port", "8080"]);
    }

    #[test]
    fn limit_pids_is_the_containers_pids_limit() {
        let mut t = task();
        t.spec.resources.pids_limit = 64;
        let hc = container_config(&t, &node(), PUBLISH).host_config.unwrap();
        assert_eq!(hc.pids_limit, Some(64));
    }

    #[test]
    fn resources_mounts_and_host_ports() {
        let cfg = container_config(&task(), &node(), PUBLISH);
        let hc = cfg.host_config.unwrap();
        assert_eq!(hc.nano_cpus, Some(500_000_000));
        assert_eq!(hc.memory, Some(64 << 20));
        assert_eq!(hc.memory_reservation, Some(32 << 20));
        assert_eq!(hc.cpu_shares, Some(256));
        assert_eq!(hc.pids_limit, None, "no --limit-pids: unlimited");
        let m = hc.mounts.unwrap();
        assert_eq!(m[0].typ, Some(MountType::TMPFS));
        assert_eq!(
            m[0].tmpfs_options.as_ref().unwrap().size_bytes,
            Some(1 << 20)
        );
        assert_eq!(
            (m[1].typ, m[1].read_only, m[1].source.as_deref()),
            (Some(MountType::BIND), Some(true), Some("/etc"))
        );
        let b = hc.port_bindings.unwrap();
        assert_eq!(b.len(), 2, "{b:?}");
        let host = &b["8080/tcp"].as_ref().unwrap()[0];
        assert_eq!(
            (host.host_ip.as_deref(), host.host_port.as_deref()),
            (None, Some("18080")),
            "host mode: the fixed port on every address"
        );
        let ingress = &b["90/tcp"].as_ref().unwrap()[0];
        assert_eq!(
            (ingress.host_ip.as_deref(), ingress.host_port.as_deref()),
            (Some("10.0.0.7"), Some("")),
            "ingress: an ephemeral port on the publish IP"
        );
        assert_eq!(cfg.exposed_ports.unwrap(), vec!["8080/tcp", "90/tcp"]);
    }

    #[test]
    fn bound_ports_read_back_the_ingress_bindings_on_the_publish_ip() {
        let mut t = task();
        t.endpoint.ports.push(PortConfig::parse("9001:90").unwrap()); // same target twice: reported once
        t.endpoint
            .ports
            .push(PortConfig::parse("5353:53/udp").unwrap());
        let bind = |ip: &str, port: &str| PortBinding {
            host_ip: Some(ip.into()),
            host_port: Some(port.into()),
        };
        let ports = HashMap::from([
            ("8080/tcp".to_string(), Some(vec![bind("0.0.0.0", "18080")])),
            (
                "90/tcp".to_string(),
                Some(vec![bind("127.0.0.1", "1"), bind("10.0.0.7", "32768")]),
            ),
            ("53/udp".to_string(), None), // not bound (yet)
        ]);
        assert_eq!(ingress_port_count(&t), 2);
        assert_eq!(
            bound_ports(&t, &ports, PUBLISH),
            vec![BoundPort {
                target: 90,
                protocol: swarm_api::publish::Protocol::Tcp,
                addr: "10.0.0.7:32768".into(),
            }]
        );
        let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        let ports6 = HashMap::from([("90/tcp".to_string(), Some(vec![bind("::1", "40000")]))]);
        assert_eq!(bound_ports(&t, &ports6, v6)[0].addr, "[::1]:40000");
    }

    #[test]
    fn nothing_set_means_nothing_sent() {
        let mut t = task();
        t.spec.resources = Default::default();
        t.spec.container.mounts.clear();
        t.endpoint.ports.clear();
        let hc = container_config(&t, &node(), PUBLISH).host_config.unwrap();
        assert_eq!(
            (
                hc.nano_cpus,
                hc.memory,
                hc.cpu_shares,
                hc.mounts,
                hc.port_bindings
            ),
            (None, None, None, None, None)
        );
    }
}
