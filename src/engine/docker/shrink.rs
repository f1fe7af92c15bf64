//! Taking nodes out of a Docker swarm before their instances go, as the swarmd engine does:
//! drain, demote managers (one at a time, each committed before the next, so the Raft group only
//! shrinks through configurations that keep a quorum), `docker swarm leave` on the node once it
//! knows it is a worker, then `docker node rm` by a staying manager once the node is Down (with
//! `--force` when it could not leave). A host that does not answer SSH is removed by force.

use std::time::{Duration, Instant};

use super::host::DockerHost;
use crate::bootstrap::{
    BootstrapError, BootstrapHost, BootstrapOptions, Departure, LeaveReport, NodeRole, NodeStatus,
};

/// Takes `leaving` out of the swarm, in order, through the first of `staying` that answers.
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
    let mgr = answering_manager(staying, opts).await?;
    for d in leaving {
        let mut rep = LeaveReport {
            host: d.host.clone(),
            addr: d.addr.clone(),
            steps: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(id) = &d.node_id {
            say(
                &d.host,
                "draining (docker node update --availability drain)",
            );
            mgr.docker(&["node", "update", "--availability", "drain", id])
                .await?;
            rep.steps.push("drain".into());
            if d.demote {
                say(&d.host, "demoting to a worker (docker node demote)");
                mgr.docker(&["node", "demote", id]).await?;
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
        let host = hosts.iter().find(|h| h.id == d.host);
        let mut left = false;
        match host {
            Some(h) => match DockerHost::connect(h, opts).await {
                Ok(r) if d.node_id.is_some() => {
                    say(&d.host, "leaving the swarm (docker swarm leave)");
                    match leave(&r, d.demote, opts.timeout).await {
                        Ok(step) => {
                            rep.steps.push(step.into());
                            left = true;
                        }
                        Err(e) => rep.notes.push(format!("leave failed: {e}")),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    say(&d.host, &format!("unreachable ({e}); removing it by force"));
                    rep.notes.push(e.to_string());
                }
            },
            None => rep
                .notes
                .push("not in the inventory: cannot reach its engine".into()),
        }
        if let Some(id) = &d.node_id {
            let addr = d.addr.clone();
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
            let step = if down { "node rm" } else { "node rm --force" };
            say(&d.host, &format!("removing the node (docker {step})"));
            let mut args = vec!["node", "rm"];
            if !down {
                args.push("--force");
            }
            args.push(id);
            mgr.docker(&args).await?;
            mgr.wait_nodes(
                &format!("wait for {} to leave docker node ls", d.host),
                opts.timeout,
                |t| t.by_addr(&addr).is_none(),
            )
            .await?;
            rep.steps.push(step.into());
        }
        say(&d.host, "removed from the swarm");
        reports.push(rep);
    }
    Ok(reports)
}

/// `docker swarm leave` on the node; a demoted manager first waits until its engine knows it is
/// a worker (else docker refuses without `--force`), and leaves with `--force` if it never does.
async fn leave(
    r: &DockerHost,
    demoted: bool,
    timeout: Duration,
) -> Result<&'static str, BootstrapError> {
    if demoted {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if r.local_swarm().await.is_ok_and(|s| !s.control_available) {
                r.docker(&["swarm", "leave"]).await?;
                return Ok("leave");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        r.docker(&["swarm", "leave", "--force"]).await?;
        return Ok("leave --force");
    }
    r.docker(&["swarm", "leave"]).await?;
    Ok("leave")
}

/// The first of `staying` whose engine answers `docker node ls` as a manager.
pub async fn answering_manager(
    staying: &[&BootstrapHost],
    opts: &BootstrapOptions,
) -> Result<DockerHost, BootstrapError> {
    let mut tried = Vec::new();
    for h in staying {
        match DockerHost::connect(h, opts).await {
            Ok(r) => match r.node_table().await {
                Ok(_) => return Ok(r),
                Err(e) => tried.push(e.to_string()),
            },
            Err(e) => tried.push(e.to_string()),
        }
    }
    Err(BootstrapError::Remote {
        host: "managers".into(),
        step: "find a manager that stays".into(),
        detail: if tried.is_empty() {
            "no manager in the inventory".into()
        } else {
            format!("no manager answers: {}", tried.join("; "))
        },
    })
}
