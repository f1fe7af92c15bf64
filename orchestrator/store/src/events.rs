//! Cluster events from applied commands (issue 21), and the bounded ring that keeps them.
//!
//! [`candidates`] reads a command and the state *before* it is applied (names of objects being
//! removed, a task's previous state); [`confirm`] keeps the candidates the state *after* it
//! agrees with (a refused command, or a refused part of a batch, makes no event). Both are
//! pure. Every replica derives the same events from the same log; only their times are its
//! own (when it applied them).

use std::collections::VecDeque;
use std::sync::Mutex;

use swarm_api::command::Command;
use swarm_api::event::Event;
use swarm_api::node::format_node_id;
use swarm_api::task::TaskState;
use tokio::sync::broadcast;

use crate::state::ClusterState;

/// Events kept for `--since` (docker keeps its last 256 in memory; a cluster makes more).
pub const RING: usize = 4096;

/// An event the command may cause, to [`confirm`] against the state after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    kind: &'static str,
    action: &'static str,
    id: String,
    name: String,
    existed: bool,
    task_state: Option<TaskState>,
}

fn cand(
    kind: &'static str,
    action: &'static str,
    id: String,
    name: String,
    s: &ClusterState,
) -> Candidate {
    let existed = exists(s, kind, &id);
    let task_state = (kind == "task")
        .then(|| s.tasks.get(&id).map(|t| t.status.state))
        .flatten();
    Candidate {
        kind,
        action,
        id,
        name,
        existed,
        task_state,
    }
}

fn exists(s: &ClusterState, kind: &str, id: &str) -> bool {
    match kind {
        "node" => s.nodes.values().any(|n| format_node_id(n.id) == id),
        "service" => s.services.contains_key(id),
        "task" => s.tasks.contains_key(id),
        "network" => s.networks.contains_key(id),
        "secret" => s.secrets.contains_key(id),
        "config" => s.configs.contains_key(id),
        _ => false,
    }
}

fn task_name(s: &ClusterState, id: &str) -> String {
    s.tasks.get(id).map_or_else(String::new, |t| match t.slot {
        Some(slot) => format!("{}.{slot}", t.service_name),
        None => t.service_name.clone(),
    })
}

/// The events `cmd` may cause, read against the state `s` before it is applied.
pub fn candidates(cmd: &Command, s: &ClusterState, out: &mut Vec<Candidate>) {
    let node = |id: u64, action, out: &mut Vec<Candidate>| {
        let name = s
            .nodes
            .get(&id)
            .map(|n| n.hostname.clone())
            .unwrap_or_default();
        out.push(cand("node", action, format_node_id(id), name, s));
    };
    let service_name = |id: &str| {
        s.services
            .get(id)
            .map(|x| x.spec.name.clone())
            .unwrap_or_default()
    };
    match cmd {
        Command::AddNode { node: n } => out.push(cand(
            "node",
            "create",
            format_node_id(n.id),
            n.hostname.clone(),
            s,
        )),
        Command::RemoveNode { id } => node(*id, "remove", out),
        Command::UpdateNode { id, .. }
        | Command::SetRole { id, .. }
        | Command::SetStatus { id, .. }
        | Command::NodeLeft { id } => node(*id, "update", out),
        Command::CreateService { service } => out.push(cand(
            "service",
            "create",
            service.id.clone(),
            service.spec.name.clone(),
            s,
        )),
        Command::UpdateService { service, .. } => out.push(cand(
            "service",
            "update",
            service.id.clone(),
            service.spec.name.clone(),
            s,
        )),
        Command::RollbackService { service_id, .. } => out.push(cand(
            "service",
            "update",
            service_id.clone(),
            service_name(service_id),
            s,
        )),
        Command::RemoveService { id } => {
            out.push(cand("service", "remove", id.clone(), service_name(id), s))
        }
        Command::CreateTasks { tasks } => {
            for t in tasks {
                let name = match t.slot {
                    Some(slot) => format!("{}.{slot}", t.service_name),
                    None => t.service_name.clone(),
                };
                out.push(cand("task", "create", t.id.clone(), name, s));
            }
        }
        Command::Schedule {
            assigned, pending, ..
        } => {
            for id in assigned.iter().chain(pending).map(|(id, _)| id) {
                out.push(cand("task", "update", id.clone(), task_name(s, id), s));
            }
        }
        Command::ReportTaskStatus { reports, .. } => {
            for r in reports {
                let id = &r.task_id;
                out.push(cand("task", "update", id.clone(), task_name(s, id), s));
            }
        }
        Command::DeleteTasks { ids } => {
            for id in ids {
                out.push(cand("task", "remove", id.clone(), task_name(s, id), s));
            }
        }
        Command::CreateNetwork { network } => out.push(cand(
            "network",
            "create",
            network.id.clone(),
            network.spec.name.clone(),
            s,
        )),
        Command::RemoveNetwork { id } => {
            let name = s.networks.get(id).map(|n| n.spec.name.clone());
            out.push(cand(
                "network",
                "remove",
                id.clone(),
                name.unwrap_or_default(),
                s,
            ))
        }
        Command::CreateSecret { secret, .. } => out.push(cand(
            "secret",
            "create",
            secret.id.clone(),
            secret.spec.name.clone(),
            s,
        )),
        Command::UpdateSecretLabels { id, .. } | Command::RemoveSecret { id } => {
            let name = s.secrets.get(id).map(|x| x.secret.spec.name.clone());
            let action = if matches!(cmd, Command::RemoveSecret { .. }) {
                "remove"
            } else {
                "update"
            };
            out.push(cand(
                "secret",
                action,
                id.clone(),
                name.unwrap_or_default(),
                s,
            ))
        }
        Command::CreateConfig { config } => out.push(cand(
            "config",
            "create",
            config.id.clone(),
            config.spec.name.clone(),
            s,
        )),
        Command::UpdateConfigLabels { id, .. } | Command::RemoveConfig { id } => {
            let name = s.configs.get(id).map(|x| x.spec.name.clone());
            let action = if matches!(cmd, Command::RemoveConfig { .. }) {
                "remove"
            } else {
                "update"
            };
            out.push(cand(
                "config",
                action,
                id.clone(),
                name.unwrap_or_default(),
                s,
            ))
        }
        Command::Batch { commands } => {
            for c in commands {
                candidates(c, s, out);
            }
        }
        _ => {}
    }
}

/// The event of `c` if the state after the command `s` shows it happened, at `time_nano`.
pub fn confirm(c: &Candidate, s: &ClusterState, time_nano: u64) -> Option<Event> {
    let now = exists(s, c.kind, &c.id);
    let happened = match c.action {
        "create" => now && !c.existed,
        "remove" => c.existed && !now,
        _ => now,
    };
    if !happened {
        return None;
    }
    let mut e = Event::new(c.kind, c.action, &c.id, &c.name, time_nano);
    if c.kind == "task" {
        let after = s.tasks.get(&c.id).map(|t| t.status.state);
        if c.action == "update" && after == c.task_state {
            return None;
        }
        let attrs = &mut e.actor.attributes;
        if let Some(new) = after {
            attrs.insert("state.new".into(), new.as_str().to_ascii_lowercase());
        }
        if let Some(old) = c.task_state.filter(|_| c.action == "update") {
            attrs.insert("state.old".into(), old.as_str().to_ascii_lowercase());
        }
        if let Some(t) = s.tasks.get(&c.id) {
            attrs.insert("service.id".into(), t.service_id.clone());
        }
    }
    Some(e)
}

/// The last [`RING`] events of this replica and a channel of new ones.
#[derive(Debug)]
pub struct EventLog {
    ring: Mutex<VecDeque<Event>>,
    live: broadcast::Sender<Event>,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            ring: Mutex::new(VecDeque::with_capacity(RING)),
            live: broadcast::channel(RING).0,
        }
    }
}

impl EventLog {
    /// Records events (oldest dropped past [`RING`]) and sends them to the subscribers.
    pub fn push(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        for e in events {
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(e.clone());
            // No subscriber is fine.
            let _ = self.live.send(e);
        }
    }

    /// The kept events and a subscription to the next ones, taken together (none lost or
    /// repeated in between).
    pub fn replay_and_subscribe(&self) -> (Vec<Event>, broadcast::Receiver<Event>) {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        (ring.iter().cloned().collect(), self.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::service::Service;

    fn service(id: &str, name: &str) -> Service {
        let spec = swarm_api::service::ServiceSpec {
            name: name.into(),
            ..Default::default()
        };
        swarm_testkit::service(id, spec)
    }

    #[test]
    fn a_refused_command_makes_no_event_and_a_removal_keeps_the_name() {
        let mut s = ClusterState::default();
        let create = Command::CreateService {
            service: service("s1", "web"),
        };
        let mut c = Vec::new();
        candidates(&create, &s, &mut c);
        s.services.insert("s1".into(), service("s1", "web"));
        let e = confirm(&c[0], &s, 5).expect("created");
        assert_eq!((e.kind.as_str(), e.action.as_str()), ("service", "create"));
        assert_eq!(e.actor.attributes["name"], "web");
        // The same create again is refused (exists): no event.
        let mut c = Vec::new();
        candidates(&create, &s, &mut c);
        assert_eq!(confirm(&c[0], &s, 6), None);
        // Remove: the name comes from before.
        let mut c = Vec::new();
        candidates(&Command::RemoveService { id: "s1".into() }, &s, &mut c);
        s.services.clear();
        let e = confirm(&c[0], &s, 7).expect("removed");
        assert_eq!(e.action, "remove");
        assert_eq!(e.actor.attributes["name"], "web");
    }

    #[test]
    fn the_ring_keeps_the_last_events_in_order() {
        let log = EventLog::default();
        log.push(
            (0..RING as u64 + 3)
                .map(|i| Event::new("node", "update", "n", "h", i))
                .collect(),
        );
        let (kept, _rx) = log.replay_and_subscribe();
        assert_eq!(kept.len(), RING);
        assert_eq!(kept[0].time_nano, 3);
        assert_eq!(kept[RING - 1].time_nano, RING as u64 + 2);
    }
}
