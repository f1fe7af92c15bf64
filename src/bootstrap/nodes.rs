//! The cluster's node list, read from the control API ([`NodeTable::from_views`]) or from
//! `swarmd node ls --format json` on a manager during the bootstrap ([`NodeTable::parse`]), and
//! its table (pure). Roles and statuses are swarm-api's own types.

use serde::{Deserialize, Serialize};

use swarm_api::node::NodeView;
pub use swarm_api::node::{ManagerStatus, NodeStatus, Role as NodeRole};

/// One row of `node ls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRow {
    /// Node id (16 hex digits).
    pub id: String,
    /// Host name given at join.
    pub hostname: String,
    /// Advertised address (`ip:port`).
    pub addr: String,
    /// Manager or worker.
    pub role: NodeRole,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// Ready or Down.
    pub status: NodeStatus,
    /// Raft view for managers, `None` for workers.
    #[serde(default)]
    pub manager_status: Option<ManagerStatus>,
}

impl NodeRow {
    /// Whether this manager is a Raft voter that answers (Leader or Reachable).
    pub fn is_voter(&self) -> bool {
        matches!(
            self.manager_status,
            Some(ManagerStatus::Leader | ManagerStatus::Reachable)
        )
    }
}

/// The cluster's nodes, as returned by a bootstrap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTable {
    /// The rows, in the order `node ls` gave them.
    pub nodes: Vec<NodeRow>,
}

impl NodeTable {
    /// Parses `swarmd node ls --format json` output (the API's node views).
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        let views: Vec<NodeView> = serde_json::from_str(json)?;
        Ok(Self::from_views(views))
    }

    /// The table of the control API's node views (`GET /v1/nodes`).
    pub fn from_views(views: impl IntoIterator<Item = NodeView>) -> Self {
        NodeTable {
            nodes: views
                .into_iter()
                .map(|v| NodeRow {
                    id: swarm_api::node::format_node_id(v.node.id),
                    hostname: v.node.hostname,
                    addr: v.node.addr,
                    role: v.node.role,
                    availability: v.node.availability.to_string().to_ascii_lowercase(),
                    status: v.node.status,
                    manager_status: v.manager_status,
                })
                .collect(),
        }
    }

    /// The node advertising `addr`.
    pub fn by_addr(&self, addr: &str) -> Option<&NodeRow> {
        self.nodes.iter().find(|n| n.addr == addr)
    }

    /// The current Raft leader.
    pub fn leader(&self) -> Option<&NodeRow> {
        self.nodes
            .iter()
            .find(|n| n.manager_status == Some(ManagerStatus::Leader))
    }

    /// How many nodes are Ready.
    pub fn ready_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Ready)
            .count()
    }

    /// A `docker node ls`-style table.
    pub fn render(&self) -> String {
        let mut rows = vec![[
            "ID".to_string(),
            "HOSTNAME".into(),
            "ADDRESS".into(),
            "STATUS".into(),
            "AVAILABILITY".into(),
            "MANAGER STATUS".into(),
        ]];
        for n in &self.nodes {
            rows.push([
                n.id.clone(),
                n.hostname.clone(),
                n.addr.clone(),
                format!("{:?}", n.status),
                capitalize(&n.availability),
                n.manager_status
                    .map(|m| format!("{m:?}"))
                    .unwrap_or_default(),
            ]);
        }
        let widths: Vec<usize> = (0..6)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for r in rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(cells.join("   ").trim_end());
            out.push('\n');
        }
        out
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LS: &str = r#"[
      {"id":"00000000000000a1","hostname":"m1","addr":"10.0.0.1:2377","role":"manager",
       "availability":"active","status":"ready","labels":{},"manager_status":"leader"},
      {"id":"00000000000000b2","hostname":"w1","addr":"10.0.0.2:2377","role":"worker",
       "availability":"drain","status":"down","labels":{},"manager_status":null}
    ]"#;

    #[test]
    fn parses_swarmd_json_and_renders_a_table() {
        let t = NodeTable::parse(LS).unwrap();
        assert_eq!(t.nodes.len(), 2);
        assert_eq!(t.leader().unwrap().hostname, "m1");
        assert_eq!(t.by_addr("10.0.0.2:2377").unwrap().role, NodeRole::Worker);
        assert_eq!(t.ready_count(), 1);
        assert!(t.nodes[0].is_voter() && !t.nodes[1].is_voter());
        let table = t.render();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("ID") && lines[0].ends_with("MANAGER STATUS"));
        assert!(
            lines[1].contains("m1") && lines[1].ends_with("Leader"),
            "{table}"
        );
        assert!(
            lines[2].contains("Down") && lines[2].contains("Drain"),
            "{table}"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(NodeTable::parse("Error: no quorum").is_err());
    }
}
