//! Services: docker's `ServiceSpec` (PascalCase, nanosecond durations) to swarmd's and back.
//!
//! [`spec_in`] refuses what swarmd has no place for (see [`crate::leftover`]): the caller
//! converts the request, converts the result back with [`spec_out`] and names the first
//! field that did not survive.

use bollard_stubs::models as d;
use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::dns_config::DnsConfig;
use swarm_api::healthcheck::HealthConfig;
use swarm_api::mount::Mount;
use swarm_api::network::{EndpointMode, NetworkAttachmentConfig};
use swarm_api::publish::PortConfig;
use swarm_api::resources::{ResourceRequirements, Resources};
use swarm_api::restart::RestartPolicy;
use swarm_api::service::{
    ContainerSpec, EndpointSpec, LogDriver, Placement, Service, ServiceMode, ServiceSpec, TaskSpec,
    UpdateConfig, UpdateState, UpdateStatus,
};

use super::file_object::{config_refs_in, config_refs_out, secret_refs_in, secret_refs_out};
use super::{labels_in, labels_out, non_empty, non_empty_str, same_name, version};
use crate::error::{DockerError, Result};
use crate::time::{ms_to_ns, ns_to_ms, rfc3339_ms};

fn bad(field: &str, value: impl std::fmt::Display, why: &str) -> DockerError {
    DockerError::bad_request(format!("invalid {field} {value}: {why}"))
}

fn u64_of(field: &str, v: Option<i64>) -> Result<u64> {
    u64::try_from(v.unwrap_or(0)).map_err(|_| bad(field, v.unwrap_or(0), "cannot be negative"))
}

fn dur_in(field: &str, ns: Option<i64>) -> Result<u64> {
    ns_to_ms(field, ns.unwrap_or(0))
}

/// Docker's service spec as swarmd's.
pub fn spec_in(s: &d::ServiceSpec) -> Result<ServiceSpec> {
    let task = s.task_template.clone().unwrap_or_default();
    Ok(ServiceSpec {
        name: s.name.clone().unwrap_or_default(),
        labels: labels_in(&s.labels),
        mode: mode_in(s.mode.as_ref())?,
        task: task_in(&task)?,
        endpoint: endpoint_in(s.endpoint_spec.as_ref())?,
        update_config: s
            .update_config
            .as_ref()
            .map(|u| {
                update_in(
                    "UpdateConfig",
                    (u.parallelism, u.delay, u.monitor, u.max_failure_ratio),
                    u.failure_action.as_ref(),
                    u.order.as_ref(),
                )
            })
            .transpose()?,
        rollback_config: s
            .rollback_config
            .as_ref()
            .map(|u| {
                update_in(
                    "RollbackConfig",
                    (u.parallelism, u.delay, u.monitor, u.max_failure_ratio),
                    u.failure_action.as_ref(),
                    u.order.as_ref(),
                )
            })
            .transpose()?,
    })
}

/// `{"Replicated":{}}` is one replica (docker's default), a missing mode too.
fn mode_in(m: Option<&d::ServiceSpecMode>) -> Result<ServiceMode> {
    let Some(m) = m else {
        return Ok(ServiceMode::Replicated { replicas: 1 });
    };
    if m.global.is_some() {
        return Ok(ServiceMode::Global);
    }
    match &m.replicated {
        Some(r) => Ok(ServiceMode::Replicated {
            replicas: match r.replicas {
                None => 1,
                Some(n) => u64::try_from(n)
                    .map_err(|_| bad("Mode.Replicated.Replicas", n, "cannot be negative"))?,
            },
        }),
        None if m.replicated_job.is_some() || m.global_job.is_some() => {
            Err(DockerError::bad_request(
                "unsupported Mode: swarmd has no jobs (replicated-job, global-job); use \
                 --mode replicated or --mode global",
            ))
        }
        None => Ok(ServiceMode::Replicated { replicas: 1 }),
    }
}

fn task_in(t: &d::TaskSpec) -> Result<TaskSpec> {
    let c = t.container_spec.clone().unwrap_or_default();
    let placement = t.placement.clone().unwrap_or_default();
    Ok(TaskSpec {
        container: container_in(&c)?,
        resources: resources_in(t.resources.as_ref()),
        restart_policy: match &t.restart_policy {
            None => RestartPolicy::default(),
            Some(r) => RestartPolicy {
                condition: r.condition.as_ref().and_then(same_name).unwrap_or_default(),
                delay_ms: match r.delay {
                    None => RestartPolicy::default().delay_ms,
                    d => dur_in("RestartPolicy.Delay", d)?,
                },
                max_attempts: match r.max_attempts {
                    None | Some(0) => None,
                    n => Some(u64_of("RestartPolicy.MaxAttempts", n)?),
                },
                window_ms: dur_in("RestartPolicy.Window", r.window)?,
            },
        },
        placement: Placement {
            constraints: placement
                .constraints
                .iter()
                .flatten()
                .map(|c| Constraint::parse(c))
                .collect::<Result<_, _>>()?,
            preferences: placement
                .preferences
                .iter()
                .flatten()
                .filter_map(|p| p.spread.as_ref()?.spread_descriptor.clone())
                .map(|desc| PlacementPreference::parse(&format!("spread={desc}")))
                .collect::<Result<_, _>>()?,
            max_replicas_per_node: u64_of("Placement.MaxReplicas", placement.max_replicas)?,
            platforms: placement
                .platforms
                .iter()
                .flatten()
                .map(|p| swarm_api::node::Platform {
                    os: p.os.clone().unwrap_or_default(),
                    architecture: p.architecture.clone().unwrap_or_default(),
                })
                .collect(),
        },
        force_update: t.force_update.unwrap_or(0),
        log_driver: t.log_driver.as_ref().and_then(|l| {
            Some(LogDriver {
                name: non_empty_str(l.name.as_deref()?)?,
                options: labels_in(&l.options),
            })
        }),
        networks: t
            .networks
            .iter()
            .flatten()
            .map(|n| NetworkAttachmentConfig {
                target: n.target.clone().unwrap_or_default(),
                aliases: n.aliases.clone().unwrap_or_default(),
                internal: false,
            })
            .collect(),
    })
}

fn container_in(c: &d::TaskSpecContainerSpec) -> Result<ContainerSpec> {
    Ok(ContainerSpec {
        image: c.image.clone().unwrap_or_default(),
        env: c.env.clone().unwrap_or_default(),
        labels: labels_in(&c.labels),
        command: c.command.clone().unwrap_or_default(),
        args: c.args.clone().unwrap_or_default(),
        mounts: c
            .mounts
            .iter()
            .flatten()
            .map(mount_in)
            .collect::<Result<_>>()?,
        stop_grace_period_ms: match c.stop_grace_period {
            None => None,
            n => Some(dur_in("ContainerSpec.StopGracePeriod", n)?),
        },
        secrets: secret_refs_in(&c.secrets),
        configs: config_refs_in(&c.configs),
        hostname: c.hostname.clone().unwrap_or_default(),
        user: c.user.clone().unwrap_or_default(),
        groups: c.groups.clone().unwrap_or_default(),
        dir: c.dir.clone().unwrap_or_default(),
        read_only: c.read_only.unwrap_or(false),
        tty: c.tty.unwrap_or(false),
        hosts: c.hosts.clone().unwrap_or_default(),
        cap_add: c.capability_add.clone().unwrap_or_default(),
        cap_drop: c.capability_drop.clone().unwrap_or_default(),
        dns: c
            .dns_config
            .as_ref()
            .map(|d| DnsConfig {
                nameservers: d.nameservers.clone().unwrap_or_default(),
                search: d.search.clone().unwrap_or_default(),
                options: d.options.clone().unwrap_or_default(),
            })
            .unwrap_or_default(),
        healthcheck: c.health_check.as_ref().map(health_in).transpose()?,
        init: c.init,
        stop_signal: c.stop_signal.clone().unwrap_or_default(),
    })
}

fn health_in(h: &d::HealthConfig) -> Result<HealthConfig> {
    let out = HealthConfig {
        test: h.test.clone().unwrap_or_default(),
        interval_ms: dur_in("Healthcheck.Interval", h.interval)?,
        timeout_ms: dur_in("Healthcheck.Timeout", h.timeout)?,
        retries: u64_of("Healthcheck.Retries", h.retries)?,
        start_period_ms: dur_in("Healthcheck.StartPeriod", h.start_period)?,
        start_interval_ms: dur_in("Healthcheck.StartInterval", h.start_interval)?,
    };
    swarm_api::healthcheck::validate("Healthcheck.Test", &out)
        .map_err(|e| bad(&e.field, &e.value, &e.reason))?;
    Ok(out)
}

fn health_out(h: &HealthConfig) -> d::HealthConfig {
    let ns = |ms: u64| (ms > 0).then(|| ms_to_ns(ms));
    d::HealthConfig {
        test: non_empty(&h.test),
        interval: ns(h.interval_ms),
        timeout: ns(h.timeout_ms),
        retries: (h.retries > 0).then(|| i64::try_from(h.retries).unwrap_or(i64::MAX)),
        start_period: ns(h.start_period_ms),
        start_interval: ns(h.start_interval_ms),
    }
}

fn mount_in(m: &d::Mount) -> Result<Mount> {
    let kind = m
        .typ
        .as_ref()
        .map(|t| {
            same_name(t).ok_or_else(|| {
                bad(
                    "Mount.Type",
                    serde_json::to_string(t).unwrap_or_default(),
                    "swarmd mounts volume, bind and tmpfs only",
                )
            })
        })
        .transpose()?
        .unwrap_or_default();
    let vol = m.volume_options.clone().unwrap_or_default();
    let drv = vol.driver_config.clone().unwrap_or_default();
    let tmpfs = m.tmpfs_options.clone().unwrap_or_default();
    Ok(Mount {
        kind,
        source: m.source.clone().filter(|s| !s.is_empty()),
        target: m.target.clone().unwrap_or_default(),
        readonly: m.read_only.unwrap_or(false),
        tmpfs_size_bytes: tmpfs.size_bytes.unwrap_or(0),
        tmpfs_mode: tmpfs
            .mode
            .map(|x| {
                u32::try_from(x).map_err(|_| bad("Mount.TmpfsOptions.Mode", x, "out of range"))
            })
            .transpose()?,
        volume_labels: labels_in(&vol.labels),
        volume_driver: drv.name.filter(|s| !s.is_empty()),
        volume_options: labels_in(&drv.options),
        volume_nocopy: vol.no_copy.unwrap_or(false),
    })
}

fn resources_in(r: Option<&d::TaskSpecResources>) -> ResourceRequirements {
    let r = r.cloned().unwrap_or_default();
    let l = r.limits.unwrap_or_default();
    let v = r.reservations.unwrap_or_default();
    ResourceRequirements {
        reservations: Resources {
            nano_cpus: v.nano_cpus.unwrap_or(0),
            memory_bytes: v.memory_bytes.unwrap_or(0),
        },
        limits: Resources {
            nano_cpus: l.nano_cpus.unwrap_or(0),
            memory_bytes: l.memory_bytes.unwrap_or(0),
        },
        pids_limit: l.pids.unwrap_or(0).max(0) as u64,
    }
}

fn endpoint_in(e: Option<&d::EndpointSpec>) -> Result<EndpointSpec> {
    let Some(e) = e else {
        return Ok(EndpointSpec::default());
    };
    let mode: EndpointMode = e.mode.as_ref().and_then(same_name).unwrap_or_default();
    let ports = e
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let target = p.target_port.unwrap_or(0);
            Ok(PortConfig {
                published: match p.published_port {
                    None | Some(0) => None,
                    Some(n) => {
                        Some(u16::try_from(n).map_err(|_| {
                            bad("EndpointSpec.Ports.PublishedPort", n, "not a port")
                        })?)
                    }
                },
                target: u16::try_from(target)
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or_else(|| bad("EndpointSpec.Ports.TargetPort", target, "not a port"))?,
                protocol: match &p.protocol {
                    None => Default::default(),
                    Some(x) => match serde_json::to_value(x)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                    {
                        Some(s) if s.is_empty() => Default::default(),
                        _ => same_name(x).ok_or_else(|| {
                            bad(
                                "EndpointSpec.Ports.Protocol",
                                serde_json::to_string(x).unwrap_or_default(),
                                "swarmd publishes tcp and udp",
                            )
                        })?,
                    },
                },
                mode: p
                    .publish_mode
                    .as_ref()
                    .and_then(same_name)
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(EndpointSpec { ports, mode })
}

fn update_in<A: serde::Serialize, O: serde::Serialize>(
    field: &str,
    (parallelism, delay, monitor, ratio): (Option<i64>, Option<i64>, Option<i64>, Option<f64>),
    action: Option<&A>,
    order: Option<&O>,
) -> Result<UpdateConfig> {
    let dflt = swarm_api::update_policy::default_update_config();
    Ok(UpdateConfig {
        parallelism: u64_of(&format!("{field}.Parallelism"), parallelism)?,
        delay_ms: dur_in(&format!("{field}.Delay"), delay)?,
        failure_action: action.and_then(same_name).unwrap_or(dflt.failure_action),
        monitor_ms: match monitor {
            None | Some(0) => dflt.monitor_ms,
            m => dur_in(&format!("{field}.Monitor"), m)?,
        },
        max_failure_ratio: ratio.unwrap_or(0.0),
        order: order.and_then(same_name).unwrap_or(dflt.order),
    })
}

/// swarmd's service spec as docker's.
pub fn spec_out(s: &ServiceSpec) -> d::ServiceSpec {
    d::ServiceSpec {
        name: Some(s.name.clone()),
        labels: labels_out(&s.labels),
        task_template: Some(task_out(&s.task)),
        mode: Some(match s.mode {
            ServiceMode::Replicated { replicas } => d::ServiceSpecMode {
                replicated: Some(d::ServiceSpecModeReplicated {
                    replicas: Some(i64::try_from(replicas).unwrap_or(i64::MAX)),
                }),
                ..Default::default()
            },
            ServiceMode::Global => d::ServiceSpecMode {
                global: Some(Default::default()),
                ..Default::default()
            },
        }),
        update_config: s
            .update_config
            .as_ref()
            .map(|u| d::ServiceSpecUpdateConfig {
                parallelism: Some(u.parallelism as i64),
                delay: Some(ms_to_ns(u.delay_ms)),
                failure_action: same_name(&u.failure_action),
                monitor: Some(ms_to_ns(u.monitor_ms)),
                max_failure_ratio: Some(u.max_failure_ratio),
                order: same_name(&u.order),
            }),
        rollback_config: s
            .rollback_config
            .as_ref()
            .map(|u| d::ServiceSpecRollbackConfig {
                parallelism: Some(u.parallelism as i64),
                delay: Some(ms_to_ns(u.delay_ms)),
                failure_action: same_name(&u.failure_action),
                monitor: Some(ms_to_ns(u.monitor_ms)),
                max_failure_ratio: Some(u.max_failure_ratio),
                order: same_name(&u.order),
            }),
        networks: None,
        endpoint_spec: Some(endpoint_out(&s.endpoint)),
    }
}

/// The spec as `insertDefaults=true` shows it: swarmd's defaults for the update and rollback
/// configs filled in.
pub fn with_defaults(mut s: ServiceSpec) -> ServiceSpec {
    let dflt = swarm_api::update_policy::default_update_config();
    s.update_config.get_or_insert(dflt);
    s.rollback_config.get_or_insert(dflt);
    s
}

/// A task spec as docker's.
pub fn task_out(t: &TaskSpec) -> d::TaskSpec {
    let c = &t.container;
    let r = &t.resources;
    d::TaskSpec {
        container_spec: Some(d::TaskSpecContainerSpec {
            image: Some(c.image.clone()),
            labels: (!c.labels.is_empty())
                .then(|| labels_out(&c.labels))
                .flatten(),
            command: non_empty(&c.command),
            args: non_empty(&c.args),
            hostname: non_empty_str(&c.hostname),
            env: non_empty(&c.env),
            dir: non_empty_str(&c.dir),
            user: non_empty_str(&c.user),
            groups: non_empty(&c.groups),
            tty: c.tty.then_some(true),
            read_only: c.read_only.then_some(true),
            mounts: non_empty(&c.mounts.iter().map(mount_out).collect::<Vec<_>>()),
            stop_grace_period: c.stop_grace_period_ms.map(ms_to_ns),
            hosts: non_empty(&c.hosts),
            dns_config: (!c.dns.is_empty()).then(|| d::TaskSpecContainerSpecDnsConfig {
                nameservers: non_empty(&c.dns.nameservers),
                search: non_empty(&c.dns.search),
                options: non_empty(&c.dns.options),
            }),
            capability_add: non_empty(&c.cap_add),
            capability_drop: non_empty(&c.cap_drop),
            health_check: c.healthcheck.as_ref().map(health_out),
            init: c.init,
            stop_signal: non_empty_str(&c.stop_signal),
            secrets: secret_refs_out(&c.secrets),
            configs: config_refs_out(&c.configs),
            ..Default::default()
        }),
        resources: Some(d::TaskSpecResources {
            limits: Some(d::Limit {
                nano_cpus: (r.limits.nano_cpus != 0).then_some(r.limits.nano_cpus),
                memory_bytes: (r.limits.memory_bytes != 0).then_some(r.limits.memory_bytes),
                pids: (r.pids_limit != 0).then_some(r.pids_limit as i64),
            }),
            reservations: Some(d::ResourceObject {
                nano_cpus: (r.reservations.nano_cpus != 0).then_some(r.reservations.nano_cpus),
                memory_bytes: (r.reservations.memory_bytes != 0)
                    .then_some(r.reservations.memory_bytes),
                generic_resources: None,
            }),
            ..Default::default()
        }),
        restart_policy: Some(d::TaskSpecRestartPolicy {
            condition: same_name(&t.restart_policy.condition),
            delay: Some(ms_to_ns(t.restart_policy.delay_ms)),
            max_attempts: Some(t.restart_policy.max_attempts.unwrap_or(0) as i64),
            window: Some(ms_to_ns(t.restart_policy.window_ms)),
        }),
        placement: Some(d::TaskSpecPlacement {
            constraints: non_empty(
                &t.placement
                    .constraints
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            ),
            preferences: non_empty(
                &t.placement
                    .preferences
                    .iter()
                    .map(|p| d::TaskSpecPlacementPreferences {
                        spread: Some(d::TaskSpecPlacementSpread {
                            spread_descriptor: Some(p.spread.to_string()),
                        }),
                    })
                    .collect::<Vec<_>>(),
            ),
            max_replicas: (t.placement.max_replicas_per_node > 0)
                .then_some(t.placement.max_replicas_per_node as i64),
            platforms: non_empty(
                &t.placement
                    .platforms
                    .iter()
                    .map(|p| d::Platform {
                        os: non_empty_str(&p.os),
                        architecture: non_empty_str(&p.architecture),
                    })
                    .collect::<Vec<_>>(),
            ),
        }),
        force_update: Some(t.force_update),
        log_driver: t.log_driver.as_ref().map(|l| d::TaskSpecLogDriver {
            name: Some(l.name.clone()),
            options: labels_out(&l.options),
        }),
        networks: non_empty(
            &t.networks
                .iter()
                .map(|n| d::NetworkAttachmentConfig {
                    target: Some(n.target.clone()),
                    aliases: non_empty(&n.aliases),
                    driver_opts: None,
                })
                .collect::<Vec<_>>(),
        ),
        ..Default::default()
    }
}

fn mount_out(m: &Mount) -> d::Mount {
    let volume = !m.volume_labels.is_empty()
        || m.volume_driver.is_some()
        || !m.volume_options.is_empty()
        || m.volume_nocopy;
    let tmpfs = m.tmpfs_size_bytes != 0 || m.tmpfs_mode.is_some();
    d::Mount {
        target: Some(m.target.clone()),
        source: m.source.clone(),
        typ: same_name(&m.kind),
        read_only: m.readonly.then_some(true),
        volume_options: volume.then(|| d::MountVolumeOptions {
            no_copy: m.volume_nocopy.then_some(true),
            labels: (!m.volume_labels.is_empty())
                .then(|| labels_out(&m.volume_labels))
                .flatten(),
            driver_config: (m.volume_driver.is_some() || !m.volume_options.is_empty()).then(|| {
                d::MountVolumeOptionsDriverConfig {
                    name: m.volume_driver.clone(),
                    options: (!m.volume_options.is_empty())
                        .then(|| labels_out(&m.volume_options))
                        .flatten(),
                }
            }),
            subpath: None,
        }),
        tmpfs_options: tmpfs.then(|| d::MountTmpfsOptions {
            size_bytes: (m.tmpfs_size_bytes != 0).then_some(m.tmpfs_size_bytes),
            mode: m.tmpfs_mode.map(i64::from),
            options: None,
        }),
        ..Default::default()
    }
}

/// The ports of an endpoint spec as docker's.
pub fn ports_out(ports: &[PortConfig]) -> Vec<d::EndpointPortConfig> {
    ports
        .iter()
        .map(|p| d::EndpointPortConfig {
            name: None,
            protocol: same_name(&p.protocol),
            target_port: Some(i64::from(p.target)),
            published_port: p.published.map(i64::from),
            publish_mode: same_name(&p.mode),
        })
        .collect()
}

fn endpoint_out(e: &EndpointSpec) -> d::EndpointSpec {
    d::EndpointSpec {
        mode: same_name(&e.mode),
        ports: non_empty(&ports_out(&e.ports)),
    }
}

fn update_status_out(u: &UpdateStatus) -> d::ServiceUpdateStatus {
    use d::ServiceUpdateStatusStateEnum as S;
    d::ServiceUpdateStatus {
        state: Some(match u.state {
            UpdateState::Updating => S::UPDATING,
            UpdateState::Paused => S::PAUSED,
            UpdateState::Completed => S::COMPLETED,
            UpdateState::RollbackStarted => S::ROLLBACK_STARTED,
            UpdateState::RollbackPaused => S::ROLLBACK_PAUSED,
            UpdateState::RollbackCompleted => S::ROLLBACK_COMPLETED,
        }),
        started_at: Some(rfc3339_ms(u.started_at_ms)),
        completed_at: u.completed_at_ms.map(rfc3339_ms),
        message: Some(u.message.clone()),
    }
}

/// A stored service as docker's, with `ServiceStatus` when the counts are given and the
/// virtual IPs when known. `PreviousSpec` (in moby's Go type, not in its swagger) is added
/// by [`service_json`].
pub fn service_out(
    s: &Service,
    insert_defaults: bool,
    counts: Option<(u64, u64)>,
    vips: Vec<d::ServiceEndpointVirtualIps>,
) -> d::Service {
    let spec = if insert_defaults {
        with_defaults(s.spec.clone())
    } else {
        s.spec.clone()
    };
    let ports: Vec<_> = s
        .spec
        .endpoint
        .ports
        .iter()
        .filter(|p| p.published.is_some())
        .cloned()
        .collect();
    d::Service {
        id: Some(s.id.clone()),
        version: version(s.version),
        created_at: Some(rfc3339_ms(s.created_at_ms)),
        updated_at: Some(rfc3339_ms(s.updated_at_ms)),
        spec: Some(spec_out(&spec)),
        endpoint: Some(d::ServiceEndpoint {
            spec: Some(endpoint_out(&s.spec.endpoint)),
            ports: non_empty(&ports_out(&ports)),
            virtual_ips: non_empty(&vips),
        }),
        update_status: s.update_status.as_ref().map(update_status_out),
        service_status: counts.map(|(running, desired)| d::ServiceServiceStatus {
            running_tasks: Some(running),
            desired_tasks: Some(desired),
            completed_tasks: Some(0),
        }),
        job_status: None,
    }
}

/// The JSON docker answers for a service: [`service_out`] plus `PreviousSpec`.
pub fn service_json(s: &Service, out: d::Service) -> serde_json::Value {
    let mut v = serde_json::to_value(out).unwrap_or_default();
    if let (Some(prev), Some(obj)) = (&s.previous_spec, v.as_object_mut()) {
        obj.insert(
            "PreviousSpec".into(),
            serde_json::to_value(spec_out(prev)).unwrap_or_default(),
        );
    }
    v
}

/// Converts a docker spec given as JSON (the request body) and checks by round trip that
/// nothing it sets is lost; the first lost field is refused with 400.
pub fn spec_from_request(body: &serde_json::Value) -> Result<ServiceSpec> {
    let mut asked = body.clone();
    normalise_healthcheck_key(&mut asked);
    let typed: d::ServiceSpec = serde_json::from_value(asked.clone())
        .map_err(|e| DockerError::bad_request(format!("invalid service spec: {e}")))?;
    let spec = spec_in(&typed)?;
    let kept = serde_json::to_value(spec_out(&spec)).unwrap_or_default();
    normalise_constraints(&mut asked);
    if let Some((field, value)) = crate::leftover::first_dropped(&asked, &kept) {
        return Err(DockerError::unsupported(&field, &value));
    }
    let mut spec = spec;
    canonical_file_order(&mut spec);
    Ok(spec)
}

/// Docker's CLI writes `ContainerSpec.Healthcheck` (Go decodes keys case-insensitively);
/// the models spell it `HealthCheck`.
fn normalise_healthcheck_key(v: &mut serde_json::Value) {
    if let Some(c) = v
        .pointer_mut("/TaskTemplate/ContainerSpec")
        .and_then(|c| c.as_object_mut())
    {
        if let Some(h) = c.remove("Healthcheck") {
            c.insert("HealthCheck".into(), h);
        }
    }
}

/// Secret and config references in target order. Their order means nothing (one file per
/// target), but the docker CLI sends them in Go map order, which differs from run to run: a
/// `docker stack deploy` of an unchanged file would otherwise change the task spec and
/// replace every task.
pub fn canonical_file_order(spec: &mut ServiceSpec) {
    let c = &mut spec.task.container;
    c.secrets.sort_by(|a, b| a.file.name.cmp(&b.file.name));
    c.configs.sort_by(|a, b| a.file.name.cmp(&b.file.name));
}

/// Constraints as swarmd prints them (`node.role == worker` is `node.role==worker`), so the
/// round trip does not take a spacing difference for a lost field.
fn normalise_constraints(v: &mut serde_json::Value) {
    if let Some(list) = v
        .pointer_mut("/TaskTemplate/Placement/Constraints")
        .and_then(|c| c.as_array_mut())
    {
        for c in list {
            if let Some(parsed) = c.as_str().and_then(|s| Constraint::parse(s).ok()) {
                *c = serde_json::Value::String(parsed.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What docker 28's `service create --replicas 3 --publish 8080:80 --network n` sends.
    fn cli_create() -> serde_json::Value {
        json!({"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"img:v1",
            "Init":false,"DNSConfig":{}},"Resources":{"Limits":{},"Reservations":{}},
            "Placement":{},"Networks":[{"Target":"abc123"}],"ForceUpdate":0},
            "Mode":{"Replicated":{"Replicas":3}},"EndpointSpec":{"Mode":"vip","Ports":[
            {"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]}})
    }

    #[test]
    fn the_clis_create_body_converts() {
        let s = spec_from_request(&cli_create()).unwrap();
        assert_eq!(s.name, "web");
        assert_eq!(s.mode, ServiceMode::Replicated { replicas: 3 });
        assert_eq!(s.task.container.image, "img:v1");
        assert_eq!(s.task.networks[0].target, "abc123");
        assert_eq!(s.endpoint.ports[0].published, Some(8080));
        assert_eq!(s.endpoint.ports[0].target, 80);
        // and back: the same spec again.
        let again = spec_in(&spec_out(&s)).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn the_pids_limit_maps_both_ways() {
        let mut b = cli_create();
        b["TaskTemplate"]["Resources"]["Limits"] = json!({"Pids": 64});
        let s = spec_from_request(&b).unwrap();
        assert_eq!(s.task.resources.pids_limit, 64);
        assert_eq!(spec_in(&spec_out(&s)).unwrap(), s);
    }

    #[test]
    fn image_platforms_map_both_ways() {
        let mut b = cli_create();
        b["TaskTemplate"]["Placement"] = json!({"Platforms": [
            {"Architecture": "amd64", "OS": "linux"}, {"Architecture": "arm64", "OS": "linux"}]});
        let s = spec_from_request(&b).unwrap();
        let arches: Vec<&str> = s
            .task
            .placement
            .platforms
            .iter()
            .map(|p| p.architecture.as_str())
            .collect();
        assert_eq!(arches, ["amd64", "arm64"]);
        assert_eq!(s.task.placement.platforms[0].os, "linux");
        assert_eq!(spec_in(&spec_out(&s)).unwrap(), s);
    }

    #[test]
    fn an_empty_replicated_mode_is_one_replica() {
        let mut b = cli_create();
        b["Mode"] = json!({"Replicated": {}});
        assert_eq!(
            spec_from_request(&b).unwrap().mode,
            ServiceMode::Replicated { replicas: 1 }
        );
        b["Mode"] = json!({"Global": {}});
        assert_eq!(spec_from_request(&b).unwrap().mode, ServiceMode::Global);
    }

    #[test]
    fn set_unsupported_fields_are_refused_naming_them() {
        let mut b = cli_create();
        b["TaskTemplate"]["ContainerSpec"]["Sysctls"] = json!({"net.core.somaxconn": "1024"});
        let e = spec_from_request(&b).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.message.contains("TaskTemplate.ContainerSpec.Sysctls"),
            "{}",
            e.message
        );
        let mut b = cli_create();
        b["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = json!({"Test": ["SHELL", "true"]});
        let e = spec_from_request(&b).unwrap_err();
        assert!(e.message.contains("Healthcheck.Test"), "{}", e.message);
        let mut b = cli_create();
        b["Mode"] = json!({"ReplicatedJob": {"MaxConcurrent": 1}});
        assert!(spec_from_request(&b).unwrap_err().message.contains("jobs"));
    }

    #[test]
    fn init_healthcheck_and_stop_signal_map_both_ways() {
        let mut b = cli_create();
        let c = &mut b["TaskTemplate"]["ContainerSpec"];
        c["Init"] = json!(true);
        c["StopSignal"] = json!("SIGINT");
        c["Healthcheck"] = json!({"Test": ["CMD-SHELL", "nc -z localhost 80"],
            "Interval": 5_000_000_000_i64, "Timeout": 2_000_000_000_i64, "Retries": 3,
            "StartPeriod": 30_000_000_000_i64, "StartInterval": 1_000_000_000_i64});
        let s = spec_from_request(&b).unwrap();
        let ct = &s.task.container;
        assert_eq!((ct.init, ct.stop_signal.as_str()), (Some(true), "SIGINT"));
        assert_eq!(
            ct.healthcheck,
            Some(HealthConfig {
                test: vec!["CMD-SHELL".into(), "nc -z localhost 80".into()],
                interval_ms: 5_000,
                timeout_ms: 2_000,
                retries: 3,
                start_period_ms: 30_000,
                start_interval_ms: 1_000,
            })
        );
        let out = serde_json::to_value(spec_out(&s)).unwrap();
        let oc = &out["TaskTemplate"]["ContainerSpec"];
        assert_eq!(
            (&oc["Init"], &oc["StopSignal"]),
            (&json!(true), &json!("SIGINT"))
        );
        assert_eq!(oc["HealthCheck"]["Interval"], json!(5_000_000_000_i64));
        assert_eq!(oc["HealthCheck"]["Test"][0], json!("CMD-SHELL"));
        assert_eq!(spec_in(&spec_out(&s)).unwrap(), s);
        // --no-healthcheck
        let mut b = cli_create();
        b["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = json!({"Test": ["NONE"]});
        let s = spec_from_request(&b).unwrap();
        assert!(s.task.container.healthcheck.unwrap().is_disabled());
    }

    #[test]
    fn durations_are_nanoseconds_and_constraints_normalised() {
        let mut b = cli_create();
        b["TaskTemplate"]["RestartPolicy"] =
            json!({"Condition": "on-failure", "Delay": 2_000_000_000_i64, "MaxAttempts": 3});
        b["TaskTemplate"]["Placement"] = json!({"Constraints": ["node.role == worker"]});
        b["UpdateConfig"] = json!({"Parallelism": 2, "Delay": 1_000_000_000_i64,
            "FailureAction": "rollback", "Order": "start-first"});
        let s = spec_from_request(&b).unwrap();
        assert_eq!(s.task.restart_policy.delay_ms, 2_000);
        assert_eq!(s.task.restart_policy.max_attempts, Some(3));
        let u = s.update_config.unwrap();
        assert_eq!((u.parallelism, u.delay_ms), (2, 1_000));
        let out = serde_json::to_value(spec_out(&s)).unwrap();
        assert_eq!(out["UpdateConfig"]["Delay"], json!(1_000_000_000_i64));
        assert_eq!(out["UpdateConfig"]["FailureAction"], json!("rollback"));
        assert_eq!(
            out["TaskTemplate"]["Placement"]["Constraints"][0],
            json!("node.role==worker")
        );
    }
}
