//! Parameters (sizes, instance types, disks, key, SSH CIDR, AMIs) with the spec's values as
//! defaults, so the template also launches by hand from the console as Docker for AWS's did; the
//! conditions they feed; and the console's parameter groups.

use serde_json::{json, Value};

use super::fns::r#ref;
use super::Template;
use crate::spec::{Ami, ClusterSpec, DiskType, NodeGroup, MANAGER_COUNTS, MAX_WORKERS};

/// Roles and the prefix of their parameter names.
pub const ROLES: [(&str, &str); 2] = [("manager", "Manager"), ("worker", "Worker")];

/// Adds the parameters, conditions and parameter-group metadata.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    t.parameter(
        "ManagerSize",
        json!({
            "Type": "Number",
            "Description": "Number of Swarm managers (1, 3, 5 or 7: an odd count keeps a Raft majority)",
            "AllowedValues": MANAGER_COUNTS.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            "Default": spec.managers.to_string(),
        }),
    );
    t.parameter(
        "WorkerSize",
        json!({
            "Type": "Number",
            "Description": "Number of Swarm worker nodes (0-1000)",
            "MinValue": 0,
            "MaxValue": MAX_WORKERS,
            "Default": spec.workers.to_string(),
        }),
    );
    for ((role, prefix), group) in ROLES.iter().zip([&spec.manager, &spec.worker]) {
        add_group(t, role, prefix, group, &spec.ami);
    }
    t.parameter(
        "KeyName",
        json!({
            "Type": "AWS::EC2::KeyPair::KeyName",
            "Description": "Name of an existing EC2 key pair for SSH access to the nodes",
            "Default": spec.key_pair_name(),
        }),
    );
    t.parameter(
        "SshCidr",
        json!({
            "Type": "String",
            "Description": "CIDR allowed to reach the nodes over SSH (never 0.0.0.0/0 by default)",
            "AllowedPattern": r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$",
            "ConstraintDescription": "must be a CIDR block such as 203.0.113.0/24",
            "Default": spec.ssh_cidr.to_string(),
        }),
    );
    for (_, prefix) in ROLES {
        t.condition(
            &format!("{prefix}DiskNeedsIops"),
            json!({ "Fn::Or": [
                { "Fn::Equals": [r#ref(&format!("{prefix}DiskType")), "io1"] },
                { "Fn::Equals": [r#ref(&format!("{prefix}DiskType")), "io2"] },
            ]}),
        );
    }
    t.metadata("AWS::CloudFormation::Interface", interface());
}

fn add_group(t: &mut Template, role: &str, prefix: &str, group: &NodeGroup, ami: &Ami) {
    t.parameter(
        &format!("{prefix}InstanceType"),
        json!({
            "Type": "String",
            "Description": format!("EC2 instance type of {role} nodes"),
            "AllowedPattern": r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$",
            "ConstraintDescription": "must be an EC2 instance type such as t3.medium",
            "Default": group.instance_type,
        }),
    );
    t.parameter(
        &format!("{prefix}DiskSize"),
        json!({
            "Type": "Number",
            "Description": format!("Root volume size of {role} nodes, GiB"),
            "MinValue": 8,
            "MaxValue": 16384,
            "Default": group.disk_size.to_string(),
        }),
    );
    t.parameter(
        &format!("{prefix}DiskType"),
        json!({
            "Type": "String",
            "Description": format!("Root volume type of {role} nodes"),
            "AllowedValues": DiskType::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            "Default": group.disk_type.as_str(),
        }),
    );
    let ami_param = match ami {
        Ami::LatestAmazonLinux => json!({
            "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "Description": format!("AMI of {role} nodes: AWS's public parameter for the latest Amazon Linux 2023 ({})", group.arch().as_str()),
            "Default": Ami::ssm_parameter(group.arch()),
        }),
        Ami::Id(id) => json!({
            "Type": "AWS::EC2::Image::Id",
            "Description": format!("AMI of {role} nodes"),
            "Default": id,
        }),
    };
    t.parameter(&format!("{prefix}Ami"), ami_param);
}

fn interface() -> Value {
    json!({
        "ParameterGroups": [
            { "Label": { "default": "Swarm size" }, "Parameters": ["ManagerSize", "WorkerSize"] },
            { "Label": { "default": "Managers" }, "Parameters": ["ManagerInstanceType", "ManagerDiskSize", "ManagerDiskType", "ManagerAmi"] },
            { "Label": { "default": "Workers" }, "Parameters": ["WorkerInstanceType", "WorkerDiskSize", "WorkerDiskType", "WorkerAmi"] },
            { "Label": { "default": "Access" }, "Parameters": ["KeyName", "SshCidr"] },
        ],
        "ParameterLabels": {
            "ManagerSize": { "default": "Number of managers" },
            "WorkerSize": { "default": "Number of workers" },
            "KeyName": { "default": "SSH key pair" },
            "SshCidr": { "default": "Allow SSH from" },
        },
    })
}
