//! The classic ELB in front of every node: a TCP listener per published port (the routing mesh on
//! each node forwards to the service), cross-zone, connection draining, and a health check on the
//! nodes' health endpoint.

use serde_json::{json, Value};

use super::fns::{r#ref, subnet_refs, tags};
use super::security::HEALTH_PORT;
use super::Template;
use crate::spec::ClusterSpec;

/// Logical id of the load balancer.
pub const ELB: &str = "ExternalLoadBalancer";

/// Adds the load balancer.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    let listeners: Vec<Value> = spec
        .publish
        .iter()
        .map(|p| {
            json!({
                "LoadBalancerPort": p.to_string(),
                "InstancePort": p.to_string(),
                "Protocol": "TCP",
                "InstanceProtocol": "TCP",
            })
        })
        .collect();
    t.resource(
        ELB,
        json!({
            "Type": "AWS::ElasticLoadBalancing::LoadBalancer",
            "DependsOn": "GatewayAttachment",
            "Properties": {
                "Scheme": "internet-facing",
                "Subnets": subnet_refs(spec),
                "SecurityGroups": [r#ref("ElbSecurityGroup")],
                "CrossZone": true,
                "Listeners": listeners,
                "HealthCheck": {
                    "Target": format!("HTTP:{HEALTH_PORT}/"),
                    "HealthyThreshold": "2",
                    "UnhealthyThreshold": "4",
                    "Interval": "10",
                    "Timeout": "5",
                },
                "ConnectionDrainingPolicy": { "Enabled": true, "Timeout": 60 },
                "Tags": tags(spec, "load-balancer", "elb"),
            },
        }),
    );
}
