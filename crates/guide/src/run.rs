//! The consumer's loop: while this manager leads, keep the join parameters current, reap Down
//! nodes whose instance is gone, and long-poll the lifecycle queue, taking each terminating
//! instance through the [`plan`](crate::plan) one step at a time. A follower only checks, every
//! few seconds, whether it leads now; it never receives, so messages wait for the leader.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use swarm_api::node::format_node_id;
use tracing::{info, warn};

use crate::cloud::{Action, Cloud, CloudError, Message};
use crate::message::{parse, Notice, Termination};
use crate::params::{self, changed, managers_value, parameter_name};
use crate::plan::{termination_step, Step};
use crate::reap::{reap_steps, DownSince, Reap};
use crate::swarm::Swarm;

/// What the consumer needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The stack (parameter path `/swarm-aws/<stack>/`).
    pub stack: String,
    /// The lifecycle queue's URL.
    pub queue_url: String,
    /// swarmd's state dir (its socket).
    pub state_dir: PathBuf,
    /// How long a node stays Down before its gone instance's node is removed.
    pub grace: Duration,
    /// How long a follower waits between leadership checks, and a round's long poll.
    pub poll: Duration,
}

/// How long a received message stays hidden from the others while we work on it.
const VISIBILITY: Duration = Duration::from_secs(60);
/// How often a held instance's lifecycle action gets a heartbeat.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(120);
/// When a held message comes back.
const HOLD_RETRY: Duration = Duration::from_secs(15);

/// The consumer's memory between rounds (all of it can be lost: it only delays things).
#[derive(Default)]
struct Memory {
    down_since: DownSince,
    heartbeats: BTreeMap<String, Instant>,
    emulator_said: BTreeSet<&'static str>,
}

/// Runs until `stop` resolves.
pub async fn run(cfg: Config, cloud: Cloud, stop: impl std::future::Future<Output = ()>) {
    let swarm = Swarm::local(&cfg.state_dir);
    let started = Instant::now();
    let mut mem = Memory::default();
    tokio::pin!(stop);
    let mut leading = false;
    loop {
        let turn = async {
            match swarm.leads().await {
                Ok(true) => {
                    if !leading {
                        info!("this manager leads: consuming {}", cfg.queue_url);
                        leading = true;
                    }
                    round(&cfg, &cloud, &swarm, &mut mem, started).await;
                }
                Ok(false) => {
                    if leading {
                        info!("this manager no longer leads: leaving the queue to the leader");
                        leading = false;
                    }
                    tokio::time::sleep(cfg.poll.min(Duration::from_secs(5))).await;
                }
                Err(e) => {
                    warn!("swarmd does not answer: {e}");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            _ = turn => {}
        }
    }
}

async fn round(cfg: &Config, cloud: &Cloud, swarm: &Swarm, mem: &mut Memory, started: Instant) {
    if let Err(e) = keep_parameters(cfg, cloud, swarm).await {
        warn!("join parameters: {e}");
    }
    if let Err(e) = reap(cfg, cloud, swarm, mem, started).await {
        warn!("reaping Down nodes: {e}");
    }
    let messages = match cloud.receive(&cfg.queue_url, cfg.poll, VISIBILITY).await {
        Ok(m) => m,
        Err(e) => {
            warn!("{e}");
            tokio::time::sleep(Duration::from_secs(2)).await;
            return;
        }
    };
    for m in messages {
        handle(cfg, cloud, swarm, mem, &m).await;
    }
}

/// Writes the managers' addresses and the join tokens where they changed.
async fn keep_parameters(cfg: &Config, cloud: &Cloud, swarm: &Swarm) -> Result<(), String> {
    let view = swarm.view(false).await.map_err(|e| e.to_string())?;
    if !view.is_leader() {
        return Ok(());
    }
    let (manager_token, worker_token) = swarm.tokens().await.map_err(|e| e.to_string())?;
    let wants = vec![
        (params::MANAGERS, managers_value(&view)),
        (params::MANAGER_TOKEN, manager_token),
        (params::WORKER_TOKEN, worker_token),
    ];
    let mut have = BTreeMap::new();
    for (name, _) in &wants {
        let v = cloud
            .parameter(&parameter_name(&cfg.stack, name))
            .await
            .map_err(|e| e.to_string())?;
        have.insert(*name, v);
    }
    for (name, value) in changed(&wants, |n| have.get(n).cloned().flatten()) {
        let full = parameter_name(&cfg.stack, name);
        cloud
            .put_parameter(&full, value, *name != params::MANAGERS)
            .await
            .map_err(|e| e.to_string())?;
        if *name == params::MANAGERS {
            info!("{full} = {value}");
        } else {
            // Never the value: it is a secret.
            info!("{full} updated (the token was rotated)");
        }
    }
    Ok(())
}

async fn reap(
    cfg: &Config,
    cloud: &Cloud,
    swarm: &Swarm,
    mem: &mut Memory,
    started: Instant,
) -> Result<(), String> {
    let view = swarm.view(false).await.map_err(|e| e.to_string())?;
    let now = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    mem.down_since.observe(&view, now);
    let overdue = mem.down_since.overdue(&view, now, cfg.grace);
    if overdue.is_empty() {
        return Ok(());
    }
    let mut gone = BTreeSet::new();
    for id in overdue {
        if cloud.instance_gone(&id).await.map_err(|e| e.to_string())? {
            gone.insert(id);
        }
    }
    for step in reap_steps(&view, &gone) {
        let r = match &step {
            Reap::Demote(id) => {
                info!(
                    "node {} is Down and its instance is gone: demoting it",
                    format_node_id(*id)
                );
                swarm.demote(*id).await
            }
            Reap::Remove(id) => {
                info!(
                    "node {} is Down and its instance is gone: removing it",
                    format_node_id(*id)
                );
                swarm.remove(*id, false).await
            }
            Reap::Keep { node, reason } => {
                warn!("node {} is Down, kept: {reason}", format_node_id(*node));
                Ok(())
            }
        };
        if let Err(e) = r {
            warn!("{step:?}: {e}");
        }
    }
    Ok(())
}

async fn handle(cfg: &Config, cloud: &Cloud, swarm: &Swarm, mem: &mut Memory, m: &Message) {
    let t = match parse(&m.body) {
        Notice::Terminating(t) => t,
        Notice::Test => {
            info!("the lifecycle hook's test notification: deleted");
            delete(cfg, cloud, m).await;
            return;
        }
        Notice::Ignored(why) => {
            warn!("a queue message not acted on ({why}): deleted");
            delete(cfg, cloud, m).await;
            return;
        }
    };
    let received = Instant::now();
    let mut extended = Instant::now();
    let id = t.instance_id.as_str();
    info!(
        "instance {id} of {} is terminating ({})",
        t.group,
        t.metadata.as_deref().unwrap_or("no role given")
    );
    loop {
        if extended.elapsed() > VISIBILITY / 2 {
            if let Err(e) = cloud.release(&cfg.queue_url, &m.receipt, VISIBILITY).await {
                warn!("{e}");
            }
            extended = Instant::now();
            heartbeat(cloud, mem, &t).await;
        }
        let view = match swarm.view(true).await {
            Ok(v) => v,
            Err(e) => {
                warn!("instance {id}: swarmd: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let step = termination_step(&view, id);
        let done = match &step {
            Step::NotLeader => {
                info!("instance {id}: no longer the leader; the message goes back to the queue");
                let _ = cloud
                    .release(&cfg.queue_url, &m.receipt, Duration::ZERO)
                    .await;
                return;
            }
            Step::Drain(n) => {
                info!("instance {id}: draining node {}", format_node_id(*n));
                swarm.drain(*n).await.map_err(|e| e.to_string())
            }
            Step::WaitForTasks { node, tasks } => {
                info!(
                    "instance {id}: node {} drained, {tasks} task(s) still there",
                    format_node_id(*node)
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok(())
            }
            Step::Demote(n) => {
                info!("instance {id}: demoting manager {}", format_node_id(*n));
                swarm.demote(*n).await.map_err(|e| e.to_string())
            }
            Step::Hold { node, reason } => {
                warn!(
                    "instance {id}: holding node {}: {reason}",
                    format_node_id(*node)
                );
                heartbeat(cloud, mem, &t).await;
                let _ = cloud.release(&cfg.queue_url, &m.receipt, HOLD_RETRY).await;
                return;
            }
            Step::Remove { node, force } => {
                info!("instance {id}: removing node {}", format_node_id(*node));
                swarm.remove(*node, *force).await.map_err(|e| e.to_string())
            }
            Step::Complete => {
                complete(cloud, mem, &t).await;
                delete(cfg, cloud, m).await;
                mem.heartbeats.remove(id);
                info!(
                    "instance {id}: done in {:.1} s (notice received -> node gone, action completed)",
                    received.elapsed().as_secs_f64()
                );
                return;
            }
        };
        if let Err(e) = done {
            warn!("instance {id}: {step:?}: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

fn action(t: &Termination) -> Action<'_> {
    Action {
        group: &t.group,
        hook: &t.hook,
        instance_id: &t.instance_id,
        token: t.token.as_deref(),
    }
}

async fn heartbeat(cloud: &Cloud, mem: &mut Memory, t: &Termination) {
    if mem
        .heartbeats
        .get(&t.instance_id)
        .is_some_and(|at| at.elapsed() < HEARTBEAT_EVERY)
    {
        return;
    }
    mem.heartbeats.insert(t.instance_id.clone(), Instant::now());
    match cloud.heartbeat(action(t)).await {
        Ok(()) => info!("instance {}: lifecycle action heartbeat", t.instance_id),
        Err(e) => emulator_or_warn(mem, e),
    }
}

async fn complete(cloud: &Cloud, mem: &mut Memory, t: &Termination) {
    match cloud.complete(action(t)).await {
        Ok(()) => info!(
            "instance {}: lifecycle action completed (CONTINUE)",
            t.instance_id
        ),
        Err(e) => emulator_or_warn(mem, e),
    }
}

/// The emulator's missing lifecycle calls are said once per call, plainly; other failures are
/// warnings (the hook's timeout then continues the termination anyway).
fn emulator_or_warn(mem: &mut Memory, e: CloudError) {
    match e {
        CloudError::NotImplemented { call, .. } => {
            if mem.emulator_said.insert(call) {
                warn!(
                    "{e}; on AWS the instance would go on now, here the emulator terminated it \
                     already (see localstack/README.md)"
                );
            } else {
                info!("{call}: not implemented by the endpoint (skipped)");
            }
        }
        other => warn!("{other}"),
    }
}

async fn delete(cfg: &Config, cloud: &Cloud, m: &Message) {
    if let Err(e) = cloud.delete(&cfg.queue_url, &m.receipt).await {
        warn!("{e}");
    }
}
