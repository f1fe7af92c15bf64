//! The network: a VPC, an internet gateway and its attachment, a public route table with a default
//! route, and one public subnet per availability zone (public IPs on launch) with its association.

use serde_json::json;

use super::fns::{r#ref, subnet_id, tags};
use super::Template;
use crate::spec::{ClusterSpec, Zones};

/// Adds the network resources.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    t.resource(
        "Vpc",
        json!({
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": spec.vpc_cidr.to_string(),
                "EnableDnsSupport": true,
                "EnableDnsHostnames": true,
                "Tags": tags(spec, "network", "vpc"),
            },
        }),
    );
    t.resource(
        "InternetGateway",
        json!({
            "Type": "AWS::EC2::InternetGateway",
            "Properties": { "Tags": tags(spec, "network", "igw") },
        }),
    );
    t.resource(
        "GatewayAttachment",
        json!({
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": { "VpcId": r#ref("Vpc"), "InternetGatewayId": r#ref("InternetGateway") },
        }),
    );
    t.resource(
        "PublicRouteTable",
        json!({
            "Type": "AWS::EC2::RouteTable",
            "Properties": { "VpcId": r#ref("Vpc"), "Tags": tags(spec, "network", "public") },
        }),
    );
    t.resource(
        "PublicDefaultRoute",
        json!({
            "Type": "AWS::EC2::Route",
            "DependsOn": "GatewayAttachment",
            "Properties": {
                "RouteTableId": r#ref("PublicRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": r#ref("InternetGateway"),
            },
        }),
    );
    for (i, cidr) in spec.subnets.iter().enumerate() {
        let id = subnet_id(i);
        let mut subnet = json!({
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": r#ref("Vpc"),
                "CidrBlock": cidr.to_string(),
                "AvailabilityZone": zone(spec, i),
                "MapPublicIpOnLaunch": true,
                "Tags": tags(spec, "network", &format!("public-{}", i + 1)),
            },
        });
        if matches!(spec.zones, Zones::Named(_)) {
            // The user chose these zones explicitly; cfn-lint's "don't hardcode AZs" does not apply.
            subnet["Metadata"] =
                json!({ "cfn-lint": { "config": { "ignore_checks": ["W3010"] } } });
        }
        t.resource(&id, subnet);
        t.resource(
            &format!("{id}RouteTableAssociation"),
            json!({
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": { "SubnetId": r#ref(&id), "RouteTableId": r#ref("PublicRouteTable") },
            }),
        );
    }
}

fn zone(spec: &ClusterSpec, index: usize) -> serde_json::Value {
    match &spec.zones {
        Zones::Named(names) => json!(names[index]),
        Zones::Count(_) => json!({ "Fn::Select": [index, { "Fn::GetAZs": "" }] }),
    }
}
