//! IAM: one role and instance profile per node role, each with least-privilege inline policies.
//! Both may describe instances and groups (these calls take no resource scope); managers may
//! register instances and manage listeners on this cluster's load balancer only (its listeners
//! follow the ports services publish); with CloudWatch logs on, both may create streams in and
//! write to this cluster's log group only (the containers' logs and swarmd's own).

use serde_json::{json, Value};

use super::fns::{get_att, r#ref, sub, tags};
use super::Template;
use crate::spec::ClusterSpec;

/// Logical ids of each role's IAM role and instance profile.
pub fn role_ids(prefix: &str) -> (String, String) {
    (format!("{prefix}Role"), format!("{prefix}InstanceProfile"))
}

/// Adds both roles and instance profiles.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    for (role, prefix) in super::parameters::ROLES {
        let mut policies = vec![describe_policy()];
        if role == "manager" {
            policies.push(load_balancer_policy());
        }
        if spec.cloudwatch_logs {
            policies.push(logs_policy());
        }
        let (role_id, profile_id) = role_ids(prefix);
        t.resource(
            &role_id,
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": format!("swarm-aws {}: {role} nodes", spec.name),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": { "Service": "ec2.amazonaws.com" },
                            "Action": "sts:AssumeRole",
                        }],
                    },
                    "Path": "/",
                    "Policies": policies,
                    "Tags": tags(spec, role, role),
                },
            }),
        );
        t.resource(
            &profile_id,
            json!({
                "Type": "AWS::IAM::InstanceProfile",
                "Properties": { "Path": "/", "Roles": [r#ref(&role_id)] },
            }),
        );
    }
}

fn policy(name: &str, statements: Vec<Value>) -> Value {
    json!({
        "PolicyName": name,
        "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
    })
}

fn describe_policy() -> Value {
    policy(
        "swarm-describe",
        vec![json!({
            "Sid": "DescribeClusterMembers",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "ec2:DescribeInstances",
                "ec2:DescribeTags",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeInstanceHealth",
            ],
            "Resource": "*",
        })],
    )
}

fn load_balancer_policy() -> Value {
    policy(
        "swarm-load-balancer",
        vec![json!({
            "Sid": "ManageThisClustersLoadBalancer",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
                "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
                "elasticloadbalancing:CreateLoadBalancerListeners",
                "elasticloadbalancing:DeleteLoadBalancerListeners",
                "elasticloadbalancing:ConfigureHealthCheck",
            ],
            "Resource": sub("arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:loadbalancer/${ExternalLoadBalancer}"),
        })],
    )
}

fn logs_policy() -> Value {
    policy(
        "swarm-logs",
        vec![json!({
            "Sid": "WriteThisClustersLogs",
            "Effect": "Allow",
            // What Docker's awslogs driver calls, for the containers' streams and swarmd's
            // (`swarmd/<instance-id>`); it never describes streams.
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": get_att("LogGroup", "Arn"),
        })],
    )
}
