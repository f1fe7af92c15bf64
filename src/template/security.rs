//! Security groups. The load balancer's group admits the published ports from anywhere and may
//! only reach the nodes on those ports and the health port. The nodes' group admits SSH only from
//! the given CIDR, published ports and the health check only from the load balancer (and from other
//! nodes, for the routing mesh), and the cluster ports only from the group itself.

use serde_json::{json, Value};

use super::fns::{r#ref, tags};
use super::Template;
use crate::spec::ClusterSpec;

/// swarmd's cluster API and Raft port.
pub const CLUSTER_API_PORT: u16 = 2377;
/// Node gossip (TCP and UDP).
pub const GOSSIP_PORT: u16 = 7946;
/// Overlay network data plane (UDP).
pub const VXLAN_PORT: u16 = 4789;
/// The node health endpoint the load balancer checks.
pub const HEALTH_PORT: u16 = 44554;
/// Ephemeral host ports on which a node's containers publish their ingress target ports; other
/// nodes' routing mesh connects to them (Linux's default `ip_local_port_range`).
pub const TASK_PORTS: (u16, u16) = (32768, 60999);

/// Adds both groups and their rules.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    let vpc = spec.vpc_cidr.to_string();
    let mut elb_ingress: Vec<Value> = spec
        .publish
        .iter()
        .map(|p| tcp_rule(*p, json!({ "CidrIp": "0.0.0.0/0" }), "published port"))
        .collect();
    elb_ingress.sort_by_key(|r| r["FromPort"].as_u64());
    let mut elb_egress: Vec<Value> = spec
        .publish
        .iter()
        .map(|p| tcp_rule(*p, json!({ "CidrIp": vpc }), "published port on the nodes"))
        .collect();
    elb_egress.push(tcp_rule(
        HEALTH_PORT,
        json!({ "CidrIp": vpc }),
        "node health check",
    ));
    t.resource(
        "ElbSecurityGroup",
        json!({
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": format!("swarm-aws {}: load balancer (published ports)", spec.name),
                "VpcId": r#ref("Vpc"),
                "SecurityGroupIngress": elb_ingress,
                "SecurityGroupEgress": elb_egress,
                "Tags": tags(spec, "load-balancer", "elb"),
            },
        }),
    );

    let from_elb = || json!({ "SourceSecurityGroupId": r#ref("ElbSecurityGroup") });
    let mut node_ingress = vec![tcp_rule(
        22,
        json!({ "CidrIp": r#ref("SshCidr") }),
        "SSH from the allowed CIDR",
    )];
    node_ingress.push(tcp_rule(
        HEALTH_PORT,
        from_elb(),
        "load balancer health check",
    ));
    node_ingress.extend(
        spec.publish
            .iter()
            .map(|p| tcp_rule(*p, from_elb(), "published port from the load balancer")),
    );
    t.resource(
        "NodeSecurityGroup",
        json!({
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": format!("swarm-aws {}: swarm nodes", spec.name),
                "VpcId": r#ref("Vpc"),
                "SecurityGroupIngress": node_ingress,
                "Tags": tags(spec, "node", "nodes"),
            },
        }),
    );

    // Rules whose source is the group itself must be separate resources (no self-reference cycle).
    let mut intra: Vec<(String, &str, u16, String)> = vec![
        (
            "ClusterApi".into(),
            "tcp",
            CLUSTER_API_PORT,
            "swarmd cluster API and Raft".into(),
        ),
        ("GossipTcp".into(), "tcp", GOSSIP_PORT, "node gossip".into()),
        ("GossipUdp".into(), "udp", GOSSIP_PORT, "node gossip".into()),
        (
            "Overlay".into(),
            "udp",
            VXLAN_PORT,
            "overlay network".into(),
        ),
    ];
    intra.extend(spec.publish.iter().map(|p| {
        (
            format!("Mesh{p}"),
            "tcp",
            *p,
            format!("routing mesh, port {p}"),
        )
    }));
    for (id, proto, port, what) in intra {
        intra_rule(t, &id, proto, (port, port), &what);
    }
    intra_rule(
        t,
        "MeshBackends",
        "tcp",
        TASK_PORTS,
        "routing mesh to the tasks' published host ports",
    );
    intra_rule(
        t,
        "MeshBackendsUdp",
        "udp",
        TASK_PORTS,
        "routing mesh (UDP) to the tasks' published host ports",
    );
}

/// A rule admitting `proto` ports `range` from the node group itself.
fn intra_rule(t: &mut Template, id: &str, proto: &str, range: (u16, u16), what: &str) {
    t.resource(
        &format!("NodeIngress{id}"),
        json!({
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": r#ref("NodeSecurityGroup"),
                "SourceSecurityGroupId": r#ref("NodeSecurityGroup"),
                "IpProtocol": proto,
                "FromPort": range.0,
                "ToPort": range.1,
                "Description": format!("{what} between nodes"),
            },
        }),
    );
}

fn tcp_rule(port: u16, source: Value, description: &str) -> Value {
    let mut rule = json!({
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "Description": description,
    });
    for (k, v) in source.as_object().expect("source is an object") {
        rule[k] = v.clone();
    }
    rule
}
