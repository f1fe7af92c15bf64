//! Self-join and self-heal resources: what a new instance needs to join on its own, and what tells
//! the managers that an instance is about to go.
//!
//! - `ArtifactBucket` (S3, encrypted, no public access): the swarmd build per architecture,
//!   uploaded by `up` under `swarmd/<uname -m>/swarmd`; its SHA-256 is an SSM parameter written by
//!   `up`, and the instance verifies it before installing.
//! - SSM parameters under [`parameter_path`] (`/swarm-aws/<stack>/`), written by `up` after the
//!   stack is created (CloudFormation cannot create `SecureString`s) and deleted by `down`: the
//!   join tokens (`SecureString`), the managers' addresses and the builds' checksums. So they are
//!   not resources of this template; their names are [`params`].
//! - `LifecycleQueue` (SQS, SSE) with a terminate lifecycle hook on each group
//!   (`ManagerTerminateHook`, `WorkerTerminateHook`, sent by the `LifecycleHookRole`): a manager
//!   consumes it, drains and removes the node, then completes the action.
//! - `NodeSelfJoinPolicy` (both roles): read this stack's parameters and this bucket's builds;
//!   `ManagerSelfHealPolicy` (managers): consume this queue, complete or heartbeat lifecycle
//!   actions of these two groups, keep the manager addresses and join tokens current, fetch the
//!   lifecycle consumer's build (`guide/*`) and tell gone instances (`ec2:DescribeInstances`,
//!   which has no resource-level permissions). Separate
//!   `AWS::IAM::Policy` resources, because the groups depend on the roles (no cycle).

use serde_json::{json, Value};

use super::compute::compute_ids;
use super::fns::{get_att, r#ref, sub, tags};
use super::iam::role_ids;
use super::Template;
use crate::spec::ClusterSpec;

/// Logical id of the artifact bucket.
pub const BUCKET: &str = "ArtifactBucket";
/// Logical id of the lifecycle queue.
pub const QUEUE: &str = "LifecycleQueue";
/// Logical id of the role the groups send lifecycle notifications with.
pub const HOOK_ROLE: &str = "LifecycleHookRole";
/// Logical id of the policy both node roles get.
pub const JOIN_POLICY: &str = "NodeSelfJoinPolicy";
/// Logical id of the managers' self-heal policy.
pub const HEAL_POLICY: &str = "ManagerSelfHealPolicy";
/// Seconds a terminating instance waits for the managers (heartbeats extend it).
pub const HOOK_TIMEOUT_SECONDS: u32 = 900;

/// The SSM parameter names under a stack's path (the contract between `up`, `down`, the user
/// data and the managers).
pub mod params {
    /// The manager join token (`SecureString`).
    pub const MANAGER_TOKEN: &str = "manager-token";
    /// The worker join token (`SecureString`).
    pub const WORKER_TOKEN: &str = "worker-token";
    /// The managers' `ip:port` addresses, comma-separated (`String`).
    pub const MANAGERS: &str = "managers";
    /// The SHA-256 of the swarmd build for an architecture (`uname -m`): `swarmd-sha256-<arch>`.
    pub const SWARMD_SHA256: &str = "swarmd-sha256-";
    /// The SHA-256 of the lifecycle consumer's build for an architecture:
    /// `swarm-guide-sha256-<arch>`.
    pub const GUIDE_SHA256: &str = "swarm-guide-sha256-";
}

/// The parameter path of a stack: `/swarm-aws/<stack>` (no trailing slash).
pub fn parameter_path(stack: &str) -> String {
    format!("/swarm-aws/{stack}")
}

/// The object key of the swarmd build for an architecture (`uname -m`).
pub fn swarmd_key(arch: &str) -> String {
    format!("swarmd/{arch}/swarmd")
}

/// The object key of the lifecycle consumer's build for an architecture (managers only).
pub fn guide_key(arch: &str) -> String {
    format!("guide/{arch}/swarm-guide")
}

/// Adds the bucket, the queue, the hooks and the policies.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    t.resource(
        BUCKET,
        json!({
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
                }]},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true,
                    "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true,
                    "RestrictPublicBuckets": true,
                },
                "Tags": tags(spec, "cluster", "artifacts"),
            },
        }),
    );
    t.resource(
        QUEUE,
        json!({
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "SqsManagedSseEnabled": true,
                "MessageRetentionPeriod": 3600,
                "VisibilityTimeout": 60,
                "Tags": tags(spec, "cluster", "lifecycle"),
            },
        }),
    );
    t.resource(
        HOOK_ROLE,
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": format!("swarm-aws {}: lifecycle notifications to the queue", spec.name),
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "Service": "autoscaling.amazonaws.com" },
                        "Action": "sts:AssumeRole",
                    }],
                },
                "Path": "/",
                "Policies": [{
                    "PolicyName": "swarm-lifecycle-notify",
                    "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
                        "Resource": get_att(QUEUE, "Arn"),
                    }]},
                }],
                "Tags": tags(spec, "cluster", "lifecycle"),
            },
        }),
    );
    for (role, prefix) in super::parameters::ROLES {
        let (_, asg) = compute_ids(prefix);
        t.resource(
            &format!("{prefix}TerminateHook"),
            json!({
                "Type": "AWS::AutoScaling::LifecycleHook",
                "Properties": {
                    "AutoScalingGroupName": r#ref(&asg),
                    "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                    "HeartbeatTimeout": HOOK_TIMEOUT_SECONDS,
                    "DefaultResult": "CONTINUE",
                    "NotificationTargetARN": get_att(QUEUE, "Arn"),
                    "RoleARN": get_att(HOOK_ROLE, "Arn"),
                    "NotificationMetadata": role,
                },
            }),
        );
    }
    let (manager_role, _) = role_ids("Manager");
    let (worker_role, _) = role_ids("Worker");
    t.resource(
        JOIN_POLICY,
        json!({
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "swarm-self-join",
                "Roles": [r#ref(&manager_role), r#ref(&worker_role)],
                "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                    {
                        "Sid": "ReadThisStacksParameters",
                        "Effect": "Allow",
                        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                        "Resource": sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/swarm-aws/${AWS::StackName}/*"),
                    },
                    {
                        "Sid": "ReadThisStacksBuilds",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{BUCKET}}}/swarmd/*")),
                    },
                ]},
            },
        }),
    );
    let group_arn = |asg: &str| -> Value {
        sub(&format!("arn:${{AWS::Partition}}:autoscaling:${{AWS::Region}}:${{AWS::AccountId}}:autoScalingGroup:*:autoScalingGroupName/${{{asg}}}"))
    };
    let (_, manager_asg) = compute_ids("Manager");
    let (_, worker_asg) = compute_ids("Worker");
    let join_params: Vec<Value> = [params::MANAGERS, params::MANAGER_TOKEN, params::WORKER_TOKEN]
        .iter()
        .map(|p| sub(&format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/swarm-aws/${{AWS::StackName}}/{p}")))
        .collect();
    t.resource(
        HEAL_POLICY,
        json!({
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "swarm-self-heal",
                "Roles": [r#ref(&manager_role)],
                "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                    {
                        "Sid": "ConsumeThisStacksLifecycleQueue",
                        "Effect": "Allow",
                        "Action": [
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:ChangeMessageVisibility",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                        ],
                        "Resource": get_att(QUEUE, "Arn"),
                    },
                    {
                        "Sid": "AnswerThisStacksLifecycleActions",
                        "Effect": "Allow",
                        "Action": [
                            "autoscaling:CompleteLifecycleAction",
                            "autoscaling:RecordLifecycleActionHeartbeat",
                        ],
                        "Resource": [group_arn(&manager_asg), group_arn(&worker_asg)],
                    },
                    {
                        "Sid": "KeepTheJoinParametersCurrent",
                        "Effect": "Allow",
                        "Action": "ssm:PutParameter",
                        "Resource": join_params,
                    },
                    {
                        "Sid": "ReadThisStacksGuideBuilds",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{BUCKET}}}/guide/*")),
                    },
                    {
                        // DescribeInstances has no resource-level permissions: `*` is the
                        // narrowest AWS allows (read-only; used to tell a gone instance).
                        "Sid": "TellGoneInstances",
                        "Effect": "Allow",
                        "Action": "ec2:DescribeInstances",
                        "Resource": "*",
                    },
                ]},
            },
        }),
    );
}
