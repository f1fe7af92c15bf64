//! `service ps` as Docker shows it: one group per slot (or node, for a global service), the
//! newest task first, older ones as ` \_ web.1` rows.

use std::collections::HashMap;

use serde::Serialize;
use swarm_api::publish::PublishMode;
use swarm_api::task::{Task, TaskState};

use super::ports_text;
use super::service::short_id;
use crate::table::table;
use crate::time::ago;

/// One row of `service ps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PsRow {
    /// Task id (12 characters unless `--no-trunc`).
    pub id: String,
    /// `web.1`, ` \_ web.1` for an older task of the slot, or `web.NODEID` (global).
    pub name: String,
    /// The task's image.
    pub image: String,
    /// The node's host name (its id when unknown, empty before scheduling).
    pub node: String,
    /// `Running`, `Shutdown`, ...
    pub desired_state: String,
    /// `Running 5 seconds ago`.
    pub current_state: String,
    /// The error, or why a pending task waits (quoted, as Docker does).
    pub error: String,
    /// Host-mode published ports.
    pub ports: String,
}

fn title(s: TaskState) -> String {
    let up = s.as_str();
    let mut out = up[..1].to_string();
    out.push_str(&up[1..].to_ascii_lowercase());
    out
}

/// The ERROR column: the task's error, or a waiting task's reason (e.g. "no suitable node").
fn error_text(t: &Task) -> String {
    let text = match &t.status.err {
        Some(e) if !e.is_empty() => e.clone(),
        _ if t.status.state < TaskState::Running
            && t.desired_state == TaskState::Running
            && !t.status.message.is_empty() =>
        {
            t.status.message.clone()
        }
        _ => return String::new(),
    };
    format!("\"{text}\"")
}

/// Tasks of one slot (or one node of a global service) of one service group together; the
/// services of a `service ps a b` come in name order.
fn group_key(t: &Task) -> (String, u64, String) {
    let service = t.service_name.clone();
    match t.slot {
        Some(s) => (service, s, String::new()),
        None => (service, 0, t.node_id.clone().unwrap_or_default()),
    }
}

/// The rows of `service ps` for `tasks`; `hostnames` maps node ids to host names.
pub fn ps_rows(
    tasks: &[Task],
    hostnames: &HashMap<String, String>,
    now_ms: u64,
    no_trunc: bool,
) -> Vec<PsRow> {
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    // Stable: within a group, the API's newest-first order breaks ties of equal times.
    sorted.sort_by(|a, b| {
        group_key(a)
            .cmp(&group_key(b))
            .then(b.created_at_ms.cmp(&a.created_at_ms))
    });
    let mut rows = Vec::new();
    let mut last: Option<(String, u64, String)> = None;
    for t in sorted {
        let key = group_key(t);
        let base = t.slot_name();
        let name = if last.as_ref() == Some(&key) {
            format!(" \\_ {base}")
        } else {
            base
        };
        last = Some(key);
        let node = t
            .node_id
            .as_ref()
            .map(|n| hostnames.get(n).cloned().unwrap_or_else(|| n.clone()))
            .unwrap_or_default();
        rows.push(PsRow {
            id: if no_trunc {
                t.id.clone()
            } else {
                short_id(&t.id)
            },
            name,
            image: t.spec.container.image.clone(),
            node,
            desired_state: title(t.desired_state),
            current_state: format!(
                "{} {}",
                title(t.status.state),
                ago(t.status.timestamp_ms, now_ms)
            ),
            error: error_text(t),
            ports: ports_text(&t.endpoint.ports, PublishMode::Host),
        });
    }
    rows
}

/// `service ps` as a table with Docker's columns.
pub fn ps_table(rows: &[PsRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.name.clone(),
                r.image.clone(),
                r.node.clone(),
                r.desired_state.clone(),
                r.current_state.clone(),
                r.error.clone(),
                r.ports.clone(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "NAME",
            "IMAGE",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
            "PORTS",
        ],
        &cells,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::service::{EndpointSpec, TaskSpec};
    use swarm_api::task::TaskStatus;

    #[allow(clippy::too_many_arguments)]
    fn task(
        id: &str,
        slot: u64,
        node: Option<&str>,
        image: &str,
        desired: TaskState,
        state: TaskState,
        at: u64,
        message: &str,
        err: Option<&str>,
    ) -> Task {
        let mut spec = TaskSpec::default();
        spec.container.image = image.into();
        Task {
            id: id.into(),
            service_id: "s1".into(),
            service_name: "web".into(),
            slot: Some(slot),
            node_id: node.map(str::to_string),
            spec,
            endpoint: EndpointSpec::default(),
            service_version: 1,
            desired_state: desired,
            status: TaskStatus {
                state,
                message: message.into(),
                err: err.map(str::to_string),
                timestamp_ms: at,
                ..Default::default()
            },
            created_at_ms: at,
            updated_at_ms: at,
        }
    }

    #[test]
    fn history_rows_and_pending_reason() {
        use TaskState::*;
        let now = 100_000;
        let tasks = vec![
            task(
                "t2bbbbbbbbbbbbbb",
                2,
                None,
                "web:v2",
                Running,
                Pending,
                95_000,
                "no suitable node (insufficient memory on 3 nodes)",
                None,
            ),
            task(
                "t1new",
                1,
                Some("n1"),
                "web:v2",
                Running,
                Running,
                94_500,
                "started",
                None,
            ),
            task(
                "t1old",
                1,
                Some("n1"),
                "web:v1",
                Shutdown,
                Shutdown,
                30_000,
                "shutdown",
                None,
            ),
            task(
                "t1failed",
                1,
                Some("n2"),
                "web:v1",
                Shutdown,
                Failed,
                10_000,
                "",
                Some("task: non-zero exit (1)"),
            ),
        ];
        let hosts = HashMap::from([("n1".to_string(), "w1".to_string())]);
        let t = ps_table(&ps_rows(&tasks, &hosts, now, false));
        let lines: Vec<&str> = t.lines().collect();
        let want = [
            "ID             NAME        IMAGE    NODE   DESIRED STATE   CURRENT STATE                 ERROR                                                 PORTS",
            "t1new          web.1       web:v2   w1     Running         Running 5 seconds ago",
            "t1old           \\_ web.1   web:v1   w1     Shutdown        Shutdown About a minute ago",
            "t1failed        \\_ web.1   web:v1   n2     Shutdown        Failed About a minute ago     \"task: non-zero exit (1)\"",
            "t2bbbbbbbbbb   web.2       web:v2          Running         Pending 5 seconds ago         \"no suitable node (insufficient memory on 3 nodes)\"",
        ];
        assert_eq!(lines, want, "\n{t}");
        let full = ps_rows(&tasks, &hosts, now, true);
        assert_eq!(full[3].id, "t2bbbbbbbbbbbbbb");
    }

    #[test]
    fn global_tasks_group_by_node_and_show_host_ports() {
        use TaskState::*;
        let mut a = task("ta", 0, Some("n1"), "img", Running, Running, 0, "", None);
        a.slot = None;
        a.endpoint.ports = vec![
            swarm_api::publish::PortConfig::parse("published=8080,target=80,mode=host").unwrap(),
            swarm_api::publish::PortConfig::parse("9090:90").unwrap(),
        ];
        let rows = ps_rows(&[a], &HashMap::new(), 0, false);
        assert_eq!(rows[0].name, "web.n1");
        assert_eq!(rows[0].ports, "*:8080->80/tcp");
        assert_eq!(rows[0].current_state, "Running Less than a second ago");
    }
}
