//! Taking nodes out of the cluster before their instances go. Workers: drain, `swarmd leave` on
//! the node, stop swarmd, then `node rm` by a manager once the node shows Down (as in Docker, a
//! node that left stays listed until removed). Managers: drain, demote, stop swarmd, `node rm --force` by the leader
//! (its own `leave` would first have to wait until the node learned its new role from the log;
//! the instance or host goes right after, so the leader removes it at once).
//! A node whose host does not answer SSH is removed with `node rm --force`; the report says so.
//!
//! Managers leave one at a time, each demotion committed before the next, so the Raft group only
//! shrinks through configurations that keep a quorum; swarmd refuses a demotion that would cost
//! it anyway.

use serde::Serialize;

use super::nodes::{NodeRole, NodeStatus};
use super::passthrough::{answering_manager, connect};
use super::run::{BootstrapHost, BootstrapOptions};
use super::scale_plan::Departure;
use super::BootstrapError;

/// What happened to one node that left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaveReport {
    /// Inventory id.
    pub host: String,
    /// Its address.
    pub addr: String,
    /// The steps done, in order (`drain`, `demote`, `leave`, `stop swarmd`, `node rm` or
    /// `node rm --force`).
    pub steps: Vec<String>,
    /// Problems met and worked around (e.g. the host did not answer SSH).
    pub notes: Vec<String>,
}

/// Takes `leaving` out of the cluster, in order. `staying` are the managers that remain (the
/// verbs run on the first that answers; put the leader first). `hosts` must hold every leaving
/// host (to reach it for `leave` and to stop swarmd).
pub async fn remove_nodes(
    hosts: &[BootstrapHost],
    staying: &[&BootstrapHost],
    leaving: &[Departure],
    opts: &BootstrapOptions,
) -> Result<Vec<LeaveReport>, BootstrapError> {
    let say = |host: &str, msg: &str| {
        if opts.progress {
            eprintln!("scale: {host}: {msg}");
        }
    };
    let mut reports = Vec::new();
    if leaving.is_empty() {
        return Ok(reports);
    }
    let (_, mgr, _) =
        answering_manager(staying.iter().copied(), opts, "find a manager that stays").await?;
    for d in leaving {
        let mut rep = LeaveReport {
            host: d.host.clone(),
            addr: d.addr.clone(),
            steps: Vec::new(),
            notes: Vec::new(),
        };
        let host = hosts.iter().find(|h| h.id == d.host);
        if let Some(id) = &d.node_id {
            say(&d.host, "draining (node update --availability drain)");
            mgr.verb(&["node", "update", "--availability", "drain", id])
                .await?;
            rep.steps.push("drain".into());
            if d.demote {
                say(&d.host, "demoting to a worker (node demote)");
                mgr.verb(&["node", "demote", id]).await?;
                let addr = d.addr.clone();
                mgr.wait_nodes(
                    &format!("wait for {} to be demoted", d.host),
                    opts.timeout,
                    |t| t.by_addr(&addr).is_none_or(|n| n.role == NodeRole::Worker),
                )
                .await?;
                rep.steps.push("demote".into());
            }
        }
        // Leave from the node itself, then stop its daemon for good.
        match host {
            Some(h) => match connect(h, opts).await {
                Ok(r) => {
                    // A demoted manager is removed by the leader below, without waiting for
                    // it to learn its worker role (see the module doc).
                    if d.node_id.is_some() && !d.demote {
                        say(&d.host, "leaving the cluster (swarmd leave)");
                        match r.verb(&["leave"]).await {
                            Ok(_) => rep.steps.push("leave".into()),
                            Err(e) => rep.notes.push(format!("leave failed: {e}")),
                        }
                    }
                    say(&d.host, "stopping swarmd");
                    r.stop().await?;
                    rep.steps.push("stop swarmd".into());
                }
                Err(e) => {
                    say(&d.host, &format!("unreachable ({e}); removing it by force"));
                    rep.notes.push(e.to_string());
                }
            },
            None => rep
                .notes
                .push("not in the inventory: cannot stop its swarmd".into()),
        }
        if let Some(id) = &d.node_id {
            let addr = d.addr.clone();
            let left = rep.steps.iter().any(|s| s == "leave");
            // A node that left stays listed as Down (as in Docker) until `node rm`, which then
            // needs no force; one that could not leave is removed by force.
            let down = left
                && mgr
                    .wait_nodes(
                        &format!("wait for {} to be Down", d.host),
                        opts.timeout,
                        |t| {
                            t.by_addr(&addr)
                                .is_none_or(|n| n.status == NodeStatus::Down)
                        },
                    )
                    .await
                    .is_ok();
            let (args, step): (&[&str], &str) = if down {
                (&["node", "rm"], "node rm")
            } else {
                (&["node", "rm", "--force"], "node rm --force")
            };
            say(&d.host, &format!("removing the node ({step})"));
            let mut verb = args.to_vec();
            verb.push(id);
            mgr.verb(&verb).await?;
            mgr.wait_nodes(
                &format!("wait for {} to leave node ls", d.host),
                opts.timeout,
                |t| t.by_addr(&addr).is_none(),
            )
            .await?;
            rep.steps.push(step.into());
        }
        say(&d.host, "removed from the cluster");
        reports.push(rep);
    }
    Ok(reports)
}
