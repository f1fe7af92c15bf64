//! `node ls` and `node inspect` as text.

use swarm_api::node::{format_node_id, NodeId, NodeView};

use crate::table::table;

/// `node ls` as a table like `docker node ls`; `me` (the node answering) gets a `*`.
pub fn node_table(nodes: &[NodeView], me: Option<NodeId>) -> String {
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|v| {
            let star = if Some(v.node.id) == me { " *" } else { "" };
            vec![
                format!("{}{star}", format_node_id(v.node.id)),
                v.node.hostname.clone(),
                v.node.status.to_string(),
                v.node.availability.to_string(),
                v.manager_status.map(|m| m.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"],
        &rows,
    )
}

/// `node inspect` as text.
pub fn node_text(v: &NodeView) -> String {
    let labels: Vec<String> = v
        .node
        .labels
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    format!(
        "ID:             {}\nHostname:       {}\nAddress:        {}\nRole:           {}\nStatus:         {}\nAvailability:   {}\nManager Status: {}\nLabels:         {}\n",
        format_node_id(v.node.id),
        v.node.hostname,
        v.node.addr,
        v.node.role,
        v.node.status,
        v.node.availability,
        v.manager_status.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
        labels.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Availability, ManagerStatus, Node, NodeStatus, Role};

    #[test]
    fn table_has_docker_columns() {
        let v = NodeView {
            node: Node {
                id: 1,
                hostname: "m1".into(),
                addr: "127.0.0.1:1".into(),
                role: Role::Manager,
                availability: Availability::Drain,
                status: NodeStatus::Ready,
                labels: Default::default(),
                description: Default::default(),
            },
            manager_status: Some(ManagerStatus::Leader),
        };
        let t = node_table(&[v], Some(1));
        let mut lines = t.lines();
        assert_eq!(
            lines.next().unwrap(),
            "ID                   HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS"
        );
        assert_eq!(
            lines.next().unwrap(),
            "0000000000000001 *   m1         Ready    Drain          Leader"
        );
    }
}
