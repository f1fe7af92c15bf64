//! The IAM actions each stack verb needs, in one place (pure).
//!
//! Two sources make up the list: the calls the command itself makes (CloudFormation, Auto Scaling,
//! EC2 key pairs; [`command_calls`]), and what CloudFormation does on the caller's behalf for each
//! resource type of the template (it acts with the caller's permissions when the stack has no
//! service role; [`resource_actions`]). `up` needs the create side of every type (and the delete
//! side, which a failed create rolls back with), `scale` the update side, `down` the delete side.
//! A test renders every template shape and checks that each resource type has an entry, so a new
//! resource type cannot slip past the preflight.

use std::collections::BTreeSet;

use crate::spec::SshKey;

/// The verbs the preflight guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `swarm-aws up` (create, or update through a change set).
    Up,
    /// `swarm-aws scale` (a change set on the sizes, scale-in protection).
    Scale,
    /// `swarm-aws down` (delete the stack and the key pair `up` made).
    Down,
}

impl Verb {
    /// The verb's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Up => "up",
            Verb::Scale => "scale",
            Verb::Down => "down",
        }
    }
}

/// What CloudFormation calls for one resource type: to create it, to update it, to delete it.
#[derive(Debug, Clone, Copy)]
pub struct ResourceActions {
    /// The resource type (`AWS::EC2::VPC`).
    pub resource_type: &'static str,
    /// Actions of a create.
    pub create: &'static [&'static str],
    /// Actions of an update in place.
    pub update: &'static [&'static str],
    /// Actions of a delete.
    pub delete: &'static [&'static str],
}

/// Every resource type the cluster template renders, with the actions CloudFormation calls for it
/// (from the CloudFormation resource provider schemas' handler permissions, reduced to the
/// properties the template sets).
pub const RESOURCE_ACTIONS: &[ResourceActions] = &[
    ResourceActions {
        resource_type: "AWS::EC2::VPC",
        create: &[
            "ec2:CreateVpc",
            "ec2:DescribeVpcs",
            "ec2:ModifyVpcAttribute",
            "ec2:CreateTags",
        ],
        update: &["ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
        delete: &["ec2:DeleteVpc", "ec2:DescribeVpcs"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::InternetGateway",
        create: &[
            "ec2:CreateInternetGateway",
            "ec2:DescribeInternetGateways",
            "ec2:CreateTags",
        ],
        update: &["ec2:CreateTags", "ec2:DeleteTags"],
        delete: &["ec2:DeleteInternetGateway", "ec2:DescribeInternetGateways"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::VPCGatewayAttachment",
        create: &["ec2:AttachInternetGateway", "ec2:DescribeInternetGateways"],
        update: &["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"],
        delete: &["ec2:DetachInternetGateway", "ec2:DescribeInternetGateways"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::RouteTable",
        create: &[
            "ec2:CreateRouteTable",
            "ec2:DescribeRouteTables",
            "ec2:CreateTags",
        ],
        update: &["ec2:CreateTags", "ec2:DeleteTags"],
        delete: &["ec2:DeleteRouteTable", "ec2:DescribeRouteTables"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::Route",
        create: &["ec2:CreateRoute", "ec2:DescribeRouteTables"],
        update: &["ec2:ReplaceRoute", "ec2:DescribeRouteTables"],
        delete: &["ec2:DeleteRoute", "ec2:DescribeRouteTables"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::Subnet",
        create: &[
            "ec2:CreateSubnet",
            "ec2:DescribeSubnets",
            "ec2:ModifySubnetAttribute",
            "ec2:CreateTags",
        ],
        update: &[
            "ec2:ModifySubnetAttribute",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ],
        delete: &["ec2:DeleteSubnet", "ec2:DescribeSubnets"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::SubnetRouteTableAssociation",
        create: &["ec2:AssociateRouteTable", "ec2:DescribeRouteTables"],
        update: &[
            "ec2:ReplaceRouteTableAssociation",
            "ec2:DescribeRouteTables",
        ],
        delete: &["ec2:DisassociateRouteTable", "ec2:DescribeRouteTables"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::SecurityGroup",
        create: &[
            "ec2:CreateSecurityGroup",
            "ec2:DescribeSecurityGroups",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
        ],
        update: &[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ],
        delete: &["ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups"],
    },
    ResourceActions {
        resource_type: "AWS::EC2::SecurityGroupIngress",
        create: &[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:DescribeSecurityGroupRules",
        ],
        update: &[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        ],
        delete: &[
            "ec2:RevokeSecurityGroupIngress",
            "ec2:DescribeSecurityGroupRules",
        ],
    },
    ResourceActions {
        resource_type: "AWS::EC2::LaunchTemplate",
        create: &[
            "ec2:CreateLaunchTemplate",
            "ec2:DescribeLaunchTemplates",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:CreateTags",
            "iam:PassRole",
        ],
        update: &[
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
            "ec2:DescribeLaunchTemplates",
            "ec2:DescribeLaunchTemplateVersions",
            "iam:PassRole",
        ],
        delete: &["ec2:DeleteLaunchTemplate", "ec2:DescribeLaunchTemplates"],
    },
    ResourceActions {
        resource_type: "AWS::AutoScaling::AutoScalingGroup",
        create: &[
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:CreateOrUpdateTags",
            "ec2:RunInstances",
            "ec2:DescribeLaunchTemplateVersions",
            "iam:PassRole",
        ],
        update: &[
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "autoscaling:CreateOrUpdateTags",
            "ec2:RunInstances",
            "ec2:DescribeLaunchTemplateVersions",
            "iam:PassRole",
        ],
        delete: &[
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
        ],
    },
    ResourceActions {
        resource_type: "AWS::ElasticLoadBalancing::LoadBalancer",
        create: &[
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:ConfigureHealthCheck",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:AddTags",
        ],
        update: &[
            "elasticloadbalancing:CreateLoadBalancerListeners",
            "elasticloadbalancing:DeleteLoadBalancerListeners",
            "elasticloadbalancing:ConfigureHealthCheck",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
        ],
        delete: &[
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:DescribeLoadBalancers",
        ],
    },
    ResourceActions {
        resource_type: "AWS::IAM::Role",
        create: &[
            "iam:CreateRole",
            "iam:GetRole",
            "iam:PutRolePolicy",
            "iam:TagRole",
        ],
        update: &[
            "iam:UpdateRole",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
        ],
        delete: &[
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
        ],
    },
    ResourceActions {
        resource_type: "AWS::IAM::InstanceProfile",
        create: &[
            "iam:CreateInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:GetInstanceProfile",
            "iam:PassRole",
        ],
        update: &[
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:GetInstanceProfile",
            "iam:PassRole",
        ],
        delete: &[
            "iam:DeleteInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:GetInstanceProfile",
        ],
    },
    ResourceActions {
        resource_type: "AWS::Logs::LogGroup",
        create: &[
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DescribeLogGroups",
            "logs:TagResource",
        ],
        update: &[
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:TagResource",
        ],
        delete: &["logs:DeleteLogGroup", "logs:DescribeLogGroups"],
    },
    ResourceActions {
        resource_type: "AWS::IAM::Policy",
        create: &["iam:PutRolePolicy", "iam:GetRolePolicy"],
        update: &["iam:PutRolePolicy", "iam:GetRolePolicy"],
        delete: &["iam:DeleteRolePolicy"],
    },
    ResourceActions {
        resource_type: "AWS::S3::Bucket",
        create: &[
            "s3:CreateBucket",
            "s3:PutEncryptionConfiguration",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
        ],
        update: &[
            "s3:PutEncryptionConfiguration",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
        ],
        delete: &["s3:DeleteBucket"],
    },
    ResourceActions {
        resource_type: "AWS::SQS::Queue",
        create: &["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:TagQueue"],
        update: &["sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"],
        delete: &["sqs:DeleteQueue", "sqs:GetQueueAttributes"],
    },
    ResourceActions {
        resource_type: "AWS::AutoScaling::LifecycleHook",
        create: &[
            "autoscaling:PutLifecycleHook",
            "autoscaling:DescribeLifecycleHooks",
            "iam:PassRole",
        ],
        update: &[
            "autoscaling:PutLifecycleHook",
            "autoscaling:DescribeLifecycleHooks",
            "iam:PassRole",
        ],
        delete: &[
            "autoscaling:DeleteLifecycleHook",
            "autoscaling:DescribeLifecycleHooks",
        ],
    },
];

/// CloudFormation resolves the template's SSM-typed AMI parameters with the caller's permissions.
const SSM_PARAMETER_READ: &str = "ssm:GetParameters";

/// The calls the command itself makes (each one's SDK call in `src/stack/`, `src/inventory.rs`,
/// `src/scale_in.rs`, `src/keypair/`), besides the resources' actions.
pub fn command_calls(verb: Verb) -> &'static [&'static str] {
    match verb {
        Verb::Up => &[
            "cloudformation:DescribeStacks",
            "cloudformation:CreateStack",
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStackResources",
            "cloudformation:GetTemplate",
            "cloudformation:CreateChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:DeleteChangeSet",
            "autoscaling:DescribeAutoScalingGroups",
            "ec2:DescribeInstances",
            "ec2:DescribeKeyPairs",
            // src/self_join.rs: the builds and the join material.
            "s3:PutObject",
            "ssm:PutParameter",
        ],
        Verb::Scale => &[
            "cloudformation:DescribeStacks",
            "cloudformation:GetTemplate",
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStackResources",
            "cloudformation:CreateChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:DeleteChangeSet",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:SetInstanceProtection",
            "ec2:DescribeInstances",
        ],
        Verb::Down => &[
            "cloudformation:DescribeStacks",
            "cloudformation:GetTemplate",
            "cloudformation:DeleteStack",
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStackResources",
            "ec2:DescribeKeyPairs",
            "ec2:DeleteKeyPair",
            // src/self_join.rs: empty the bucket, delete the parameters.
            "s3:ListBucket",
            "s3:DeleteObject",
            "ssm:GetParametersByPath",
            "ssm:DeleteParameters",
        ],
    }
}

/// The key-pair call `up` makes for this spec's key (none for an existing pair).
pub fn key_pair_call(key: &SshKey) -> Option<&'static str> {
    match key {
        SshKey::Existing(_) => None,
        SshKey::Import { .. } => Some("ec2:ImportKeyPair"),
        SshKey::Generate => Some("ec2:CreateKeyPair"),
    }
}

/// The resource types of a template (its `Resources` section), in order, once each.
pub fn resource_types(template: &serde_json::Value) -> Vec<String> {
    let mut seen = BTreeSet::new();
    template
        .get("Resources")
        .and_then(|r| r.as_object())
        .into_iter()
        .flat_map(|r| r.values())
        .filter_map(|r| r.get("Type").and_then(|t| t.as_str()))
        .filter(|t| seen.insert(t.to_string()))
        .map(str::to_string)
        .collect()
}

/// Whether the template has SSM-typed parameters (CloudFormation reads them as the caller).
fn reads_ssm_parameters(template: &serde_json::Value) -> bool {
    template
        .get("Parameters")
        .and_then(|p| p.as_object())
        .is_some_and(|p| {
            p.values().any(|v| {
                v.get("Type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::"))
            })
        })
}

/// The resource types of `types` that have no entry in [`RESOURCE_ACTIONS`].
pub fn unknown_types(types: &[String]) -> Vec<String> {
    types
        .iter()
        .filter(|t| !RESOURCE_ACTIONS.iter().any(|r| r.resource_type == *t))
        .cloned()
        .collect()
}

/// Every action `verb` needs on a stack of `template`, plus `extra` calls, sorted and once each.
pub fn required(verb: Verb, template: &serde_json::Value, extra: &[&'static str]) -> Vec<String> {
    let types = resource_types(template);
    let mut out: BTreeSet<&'static str> = command_calls(verb).iter().copied().collect();
    out.extend(extra.iter().copied());
    for entry in RESOURCE_ACTIONS
        .iter()
        .filter(|r| types.iter().any(|t| t == r.resource_type))
    {
        let sides: &[&[&'static str]] = match verb {
            // A failed create rolls back: the delete side is needed as well.
            Verb::Up => &[entry.create, entry.update, entry.delete],
            Verb::Scale => &[entry.update],
            Verb::Down => &[entry.delete],
        };
        out.extend(sides.iter().flat_map(|s| s.iter().copied()));
    }
    if verb != Verb::Down && reads_ssm_parameters(template) {
        out.insert(SSM_PARAMETER_READ);
    }
    out.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load::load;
    use crate::spec::raw::SpecInput;

    fn template(args: &[(&str, &str)], logs: bool) -> serde_json::Value {
        let mut input = SpecInput::default();
        input.flags.name = Some("pf".into());
        input.flags.ssh_cidr = Some("203.0.113.0/24".into());
        input.flags.cloudwatch_logs = Some(logs);
        for (k, v) in args {
            match *k {
                "managers" => input.flags.managers = Some(v.parse().unwrap()),
                "workers" => input.flags.workers = Some(v.parse().unwrap()),
                _ => unreachable!(),
            }
        }
        crate::template::render_cluster(&load(&input).unwrap())
    }

    #[test]
    fn every_resource_type_of_every_template_shape_has_actions() {
        for t in [
            template(&[], false),
            template(&[], true),
            template(&[("managers", "1"), ("workers", "0")], false),
        ] {
            let types = resource_types(&t);
            assert!(types.len() > 10, "{types:?}");
            assert_eq!(unknown_types(&types), Vec::<String>::new());
        }
    }

    #[test]
    fn each_verb_takes_its_side_of_the_resources() {
        let t = template(&[], true);
        let up = required(Verb::Up, &t, &["ec2:CreateKeyPair"]);
        for a in [
            "cloudformation:CreateStack",
            "ec2:CreateVpc",
            "ec2:DeleteVpc",
            "iam:PassRole",
            "logs:CreateLogGroup",
            "ssm:GetParameters",
            "ec2:CreateKeyPair",
        ] {
            assert!(up.iter().any(|x| x == a), "up lacks {a}");
        }
        let down = required(Verb::Down, &t, &[]);
        assert!(down.iter().any(|x| x == "cloudformation:DeleteStack"));
        assert!(down.iter().any(|x| x == "iam:DeleteRole"));
        assert!(!down.iter().any(|x| x == "ec2:CreateVpc"), "{down:?}");
        let scale = required(Verb::Scale, &t, &[]);
        assert!(scale
            .iter()
            .any(|x| x == "autoscaling:UpdateAutoScalingGroup"));
        assert!(scale
            .iter()
            .any(|x| x == "autoscaling:SetInstanceProtection"));
        assert!(!scale.iter().any(|x| x == "cloudformation:CreateStack"));
        // Sorted, once each.
        let mut sorted = up.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, up);
    }

    #[test]
    fn the_key_pair_call_follows_the_key() {
        assert_eq!(key_pair_call(&SshKey::Generate), Some("ec2:CreateKeyPair"));
        assert_eq!(key_pair_call(&SshKey::Existing("k".into())), None);
    }
}
