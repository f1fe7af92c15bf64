//! `node ls` and `node inspect` as text.

use swarm_api::node::{format_node_id, ManagerStatus, NodeId, NodeView};
use swarm_api::resources::format_cpu;

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

/// A byte count as docker's `prettyBytes` (go-units `BytesSize`): binary units, 4 significant
/// digits, e.g. `512MiB`, `7.704GiB`.
pub fn pretty_bytes(bytes: i64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    // %.4g: 4 significant digits, no trailing zeros.
    let decimals = if v >= 1000.0 {
        0
    } else if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let mut t = format!("{v:.decimals$}");
    if t.contains('.') {
        t = t.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{t}{}", UNITS[i])
}

/// `node inspect --pretty` as `docker node inspect --pretty` lays it out (the fields swarmd
/// has: no join time, platform or plugins).
pub fn node_text(v: &NodeView) -> String {
    let n = &v.node;
    let mut out = format!("ID:\t\t\t{}\n", format_node_id(n.id));
    if !n.labels.is_empty() {
        out.push_str("Labels:\n");
        for (k, val) in &n.labels {
            out.push_str(&label_line(k, val));
        }
    }
    out.push_str(&format!("Hostname:\t\t{}\n", n.hostname));
    out.push_str(&format!(
        "Status:\n State:\t\t\t{}\n Availability:\t\t{}\n Address:\t\t{}\n",
        n.status,
        n.availability,
        host_of(&n.addr)
    ));
    if let Some(m) = v.manager_status {
        let reach = match m {
            ManagerStatus::Leader | ManagerStatus::Reachable => "Reachable",
            ManagerStatus::Unreachable => "Unreachable",
        };
        let leader = if m == ManagerStatus::Leader {
            "Yes"
        } else {
            "No"
        };
        out.push_str(&format!(
            "Manager Status:\n Address:\t\t{}\n Raft Status:\t\t{reach}\n Leader:\t\t{leader}\n",
            n.addr
        ));
    }
    let r = &n.description.resources;
    out.push_str(&format!(
        "Resources:\n CPUs:\t\t\t{}\n Memory:\t\t{}\n",
        format_cpu(r.nano_cpus),
        pretty_bytes(r.memory_bytes)
    ));
    out.push_str(&format!(
        "Engine Version:\t\t{}\n",
        n.description.engine_version
    ));
    if !n.description.engine_labels.is_empty() {
        out.push_str("Engine Labels:\n");
        for (k, val) in &n.description.engine_labels {
            out.push_str(&label_line(k, val));
        }
    }
    expand_tabs(&out)
}

fn label_line(k: &str, v: &str) -> String {
    if v.is_empty() {
        format!(" - {k}\n")
    } else {
        format!(" - {k}={v}\n")
    }
}

fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Tabs to 8-column stops, as docker's tabwriter prints the template.
fn expand_tabs(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 64);
    for line in s.split_inclusive('\n') {
        let mut col = 0;
        for c in line.chars() {
            if c == '\t' {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            } else {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Availability, ManagerStatus, Node, NodeStatus, Role};

    #[test]
    fn table_has_docker_columns() {
        let v = NodeView {
            version: 1,
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

    #[test]
    fn pretty_is_dockers_layout() {
        let mut v = NodeView {
            version: 1,
            node: Node {
                id: 2,
                hostname: "node1".into(),
                addr: "172.30.5.70:2377".into(),
                role: Role::Manager,
                availability: Availability::Active,
                status: NodeStatus::Ready,
                labels: [("zone".to_string(), "a".to_string())].into(),
                description: Default::default(),
            },
            manager_status: Some(ManagerStatus::Leader),
        };
        v.node.description.resources.nano_cpus = 500_000_000;
        v.node.description.resources.memory_bytes = 512 << 20;
        v.node.description.engine_version = "28.1.1".into();
        let t = node_text(&v);
        let want = "\
ID:                     0000000000000002
Labels:
 - zone=a
Hostname:               node1
Status:
 State:                 Ready
 Availability:          Active
 Address:               172.30.5.70
Manager Status:
 Address:               172.30.5.70:2377
 Raft Status:           Reachable
 Leader:                Yes
Resources:
 CPUs:                  0.5
 Memory:                512MiB
Engine Version:         28.1.1
";
        assert_eq!(t, want);
    }

    #[test]
    fn bytes_like_go_units() {
        assert_eq!(pretty_bytes(512 << 20), "512MiB");
        assert_eq!(pretty_bytes(1 << 30), "1GiB");
        assert_eq!(pretty_bytes(8_272_478_208), "7.704GiB");
        assert_eq!(pretty_bytes(1_040_318_464), "992.1MiB");
        assert_eq!(pretty_bytes(0), "0B");
    }
}
