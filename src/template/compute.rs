//! Compute: a launch template per role (AMI, type, key, instance profile, node security group,
//! encrypted root volume, IMDSv2 only, user data) and an auto-scaling group per role spanning every
//! public subnet, registered with the load balancer, replaced one manager at a time on update.

use serde_json::{json, Value};

use super::fns::{asg_tags, get_att, r#ref, subnet_refs, tags};
use super::iam::role_ids;
use super::load_balancer::ELB;
use super::parameters::ROLES;
use super::{user_data, Template};
use crate::spec::ClusterSpec;

/// Logical ids of a role's launch template and auto-scaling group.
pub fn compute_ids(prefix: &str) -> (String, String) {
    (format!("{prefix}LaunchTemplate"), format!("{prefix}Asg"))
}

/// Adds both launch templates and groups.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    for (role, prefix) in ROLES {
        let (lt_id, asg_id) = compute_ids(prefix);
        let (_, profile_id) = role_ids(prefix);
        t.resource(&lt_id, launch_template(spec, role, prefix, &profile_id));
        let (size_param, rolling) = match role {
            "manager" => (
                "ManagerSize",
                // Replace one manager at a time and keep the rest in service: quorum holds.
                json!({ "MaxBatchSize": 1, "MinInstancesInService": spec.managers - 1, "PauseTime": "PT2M" }),
            ),
            _ => (
                "WorkerSize",
                json!({ "MaxBatchSize": (spec.workers / 4).max(1), "MinInstancesInService": spec.workers - (spec.workers / 4).max(1).min(spec.workers), "PauseTime": "PT1M" }),
            ),
        };
        t.resource(
            &asg_id,
            json!({
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "DependsOn": ["GatewayAttachment", super::self_join::JOIN_POLICY],
                "UpdatePolicy": { "AutoScalingRollingUpdate": rolling },
                "Properties": {
                    "VPCZoneIdentifier": subnet_refs(spec),
                    "LaunchTemplate": {
                        "LaunchTemplateId": r#ref(&lt_id),
                        "Version": get_att(&lt_id, "LatestVersionNumber"),
                    },
                    "MinSize": r#ref(size_param),
                    "MaxSize": r#ref(size_param),
                    "DesiredCapacity": r#ref(size_param),
                    "LoadBalancerNames": [r#ref(ELB)],
                    "HealthCheckType": "EC2",
                    "HealthCheckGracePeriod": 300,
                    "Tags": asg_tags(spec, role, role),
                },
            }),
        );
    }
}

fn launch_template(spec: &ClusterSpec, role: &str, prefix: &str, profile_id: &str) -> Value {
    json!({
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {
            "LaunchTemplateData": {
                "ImageId": r#ref(&format!("{prefix}Ami")),
                "InstanceType": r#ref(&format!("{prefix}InstanceType")),
                "KeyName": r#ref("KeyName"),
                "IamInstanceProfile": { "Arn": get_att(profile_id, "Arn") },
                "SecurityGroupIds": [r#ref("NodeSecurityGroup")],
                "BlockDeviceMappings": [{
                    "DeviceName": "/dev/xvda",
                    "Ebs": {
                        "VolumeSize": r#ref(&format!("{prefix}DiskSize")),
                        "VolumeType": r#ref(&format!("{prefix}DiskType")),
                        "Iops": { "Fn::If": [format!("{prefix}DiskNeedsIops"), 3000, r#ref("AWS::NoValue")] },
                        "Encrypted": true,
                        "DeleteOnTermination": true,
                    },
                }],
                "MetadataOptions": {
                    "HttpEndpoint": "enabled",
                    "HttpTokens": "required",
                    "HttpPutResponseHopLimit": 2,
                },
                "UserData": { "Fn::Base64": user_data::render(spec, role) },
                "TagSpecifications": [{ "ResourceType": "volume", "Tags": tags(spec, role, role) }],
            },
        },
    })
}
