//! The docker engine's bootstrap over SSH: read each host's swarm state, plan with the same
//! planner as swarmd (hosts already in the swarm are skipped), `docker swarm init` on the first
//! manager, join the managers one at a time (each a reachable Raft member before the next) and
//! the workers in parallel, then wait until every node is Ready with one Leader.
//!
//! The join tokens are read over SSH and handed to `docker swarm join` on its stdin: they are
//! never printed, logged or put in a command line we send.

use std::time::Instant;

use super::host::DockerHost;
use super::SWARM_PORT;
use crate::bootstrap::plan::{plan, HostFacts};
use crate::bootstrap::run::parallel;
use crate::bootstrap::{
    all_ready, BootstrapError, BootstrapHost, BootstrapOptions, BootstrapReport, ManagerStatus,
    NodeRole, NodeTable, PhaseTimings,
};

fn say(opts: &BootstrapOptions, host: &str, msg: &str) {
    if opts.progress {
        eprintln!("bootstrap: {host}: {msg}");
    }
}

/// Bootstraps Docker Swarm mode on the engines of `hosts`.
pub async fn bootstrap(
    hosts: &[BootstrapHost],
    opts: &BootstrapOptions,
) -> Result<BootstrapReport, BootstrapError> {
    if opts.parallelism == 0 {
        return Err(BootstrapError::Input {
            field: "parallelism",
            value: "0".into(),
            fix: "give 1 or more",
        });
    }
    let mut timings = PhaseTimings::default();
    let mut clock = Instant::now();
    let mut lap = move || {
        let now = Instant::now();
        let d = now - clock;
        clock = now;
        d
    };
    let probed = parallel(hosts.to_vec(), opts.install_parallelism.max(1), |h| {
        let opts = opts.clone();
        async move {
            say(&opts, &h.id, &format!("connecting to {}", h.ssh_addr));
            let r = DockerHost::connect(&h, &opts).await?;
            let state = r.local_swarm().await?;
            Ok((r, state))
        }
    })
    .await?;
    let (remotes, states): (Vec<DockerHost>, Vec<_>) = probed.into_iter().unzip();
    let facts: Vec<HostFacts> = hosts
        .iter()
        .zip(&states)
        .map(|(h, s)| HostFacts {
            id: h.id.clone(),
            role: h.role,
            advertise_addr: format!("{}:{SWARM_PORT}", h.advertise_ip),
            has_state: s.in_swarm(),
        })
        .collect();
    let membership = read_membership(&remotes, &states).await;
    let plan = plan(&facts, membership.as_ref())?;
    timings.install = lap();
    say(
        opts,
        "cluster",
        &format!(
            "docker engine: {} to init, {} managers and {} workers to join, {} already in the swarm",
            usize::from(plan.init.is_some()),
            plan.managers.len(),
            plan.workers.len(),
            plan.skipped.len()
        ),
    );
    let leader = &remotes[plan.leader];
    let leader_addr = facts[plan.leader].advertise_addr.clone();
    if let Some(i) = plan.init {
        say(opts, &hosts[i].id, "docker swarm init");
        remotes[i].init(&hosts[i].advertise_ip.to_string()).await?;
        let addr = leader_addr.clone();
        leader
            .wait_nodes(
                "wait for the new swarm to elect it leader",
                opts.timeout,
                |t| {
                    t.by_addr(&addr)
                        .is_some_and(|n| n.manager_status == Some(ManagerStatus::Leader))
                },
            )
            .await?;
    }
    timings.init = lap();

    if !plan.managers.is_empty() {
        let token = leader.join_token(NodeRole::Manager).await?;
        for &i in &plan.managers {
            say(
                opts,
                &hosts[i].id,
                "joining as a manager (docker swarm join)",
            );
            remotes[i]
                .join(&token, &hosts[i].advertise_ip.to_string(), &leader_addr)
                .await?;
            let addr = facts[i].advertise_addr.clone();
            leader
                .wait_nodes(
                    &format!("wait for {} to be a reachable manager", hosts[i].id),
                    opts.timeout,
                    |t| t.by_addr(&addr).is_some_and(|n| n.is_voter()),
                )
                .await?;
        }
    }
    timings.managers = lap();

    if !plan.workers.is_empty() {
        let token = leader.join_token(NodeRole::Worker).await?;
        let jobs: Vec<(DockerHost, String)> = plan
            .workers
            .iter()
            .map(|&i| (remotes[i].clone(), hosts[i].advertise_ip.to_string()))
            .collect();
        let (progress, addr) = (opts.progress, leader_addr.clone());
        parallel(jobs, opts.parallelism, move |(r, ip)| {
            let (token, addr) = (token.clone(), addr.clone());
            async move {
                if progress {
                    eprintln!(
                        "bootstrap: {}: joining as a worker (docker swarm join)",
                        r.id
                    );
                }
                r.join(&token, &ip, &addr).await
            }
        })
        .await?;
    }
    timings.workers = lap();

    let nodes = leader
        .wait_nodes("wait for every node to be Ready", opts.timeout, |t| {
            all_ready(&facts, t)
        })
        .await?;
    timings.verify = lap();
    say(
        opts,
        "cluster",
        &format!("{} nodes Ready (Docker Swarm mode)", nodes.ready_count()),
    );
    Ok(BootstrapReport {
        join: None,
        plan,
        nodes,
        timings,
    })
}

/// The node table of the first host that is a manager of a swarm and answers with a leader;
/// `None` when no host is a manager (no swarm yet).
async fn read_membership(
    remotes: &[DockerHost],
    states: &[super::nodes::LocalSwarm],
) -> Option<NodeTable> {
    for (r, s) in remotes.iter().zip(states) {
        if s.in_swarm() && s.control_available {
            if let Ok(t) = r.node_table().await {
                if t.leader().is_some() {
                    return Some(t);
                }
            }
        }
    }
    None
}
