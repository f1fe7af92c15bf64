//! Outputs in the shape of Docker for AWS's (DefaultDNSTarget, ELBDNSZoneID, VPCID, Managers,
//! ZoneAvailabilityComment) plus what `swarm-aws` itself reads back: the groups, subnets and
//! security groups.

use serde_json::json;

use super::compute::compute_ids;
use super::fns::{get_att, join, r#ref, sub, subnet_refs};
use super::load_balancer::ELB;
use super::Template;
use crate::spec::ClusterSpec;

/// Output keys other code reads.
pub mod keys {
    /// The load balancer's DNS name.
    pub const DNS_TARGET: &str = "DefaultDNSTarget";
    /// The load balancer's canonical hosted-zone id.
    pub const ELB_ZONE_ID: &str = "ELBDNSZoneID";
    /// The load balancer's name.
    pub const ELB_NAME: &str = "ELBName";
    /// The manager auto-scaling group.
    pub const MANAGER_ASG: &str = "ManagerAutoScalingGroup";
    /// The worker auto-scaling group.
    pub const WORKER_ASG: &str = "WorkerAutoScalingGroup";
    /// The VPC.
    pub const VPC: &str = "VPCID";
    /// The bucket holding the swarmd builds.
    pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
    /// The URL of the lifecycle-hook queue.
    pub const LIFECYCLE_QUEUE: &str = "LifecycleQueueUrl";
    /// The SSM parameter path of the cluster's join material.
    pub const PARAMETER_PATH: &str = "ParameterPath";
}

/// Adds the outputs.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    let (_, manager_asg) = compute_ids("Manager");
    let (_, worker_asg) = compute_ids("Worker");
    t.output(
        keys::DNS_TARGET,
        "Use this name to update your DNS records",
        get_att(ELB, "DNSName"),
    );
    t.output(
        keys::ELB_ZONE_ID,
        "Use this zone ID to update your DNS records",
        get_att(ELB, "CanonicalHostedZoneNameID"),
    );
    t.output(keys::ELB_NAME, "The cluster's load balancer", r#ref(ELB));
    t.output(
        "ZoneAvailabilityComment",
        "Availability Zones Comment",
        json!(zone_comment(spec.zone_count(), spec.managers)),
    );
    t.output(
        "Managers",
        "You can see the manager nodes associated with this cluster.",
        sub(&format!("https://${{AWS::Region}}.console.aws.amazon.com/ec2/home?region=${{AWS::Region}}#Instances:tag:aws:autoscaling:groupName=${{{manager_asg}}}")),
    );
    t.output(
        keys::ARTIFACT_BUCKET,
        "The bucket holding the swarmd builds new instances install",
        r#ref(super::self_join::BUCKET),
    );
    t.output(
        keys::LIFECYCLE_QUEUE,
        "The queue of the groups' terminate lifecycle hooks",
        r#ref(super::self_join::QUEUE),
    );
    t.output(
        keys::PARAMETER_PATH,
        "The SSM parameter path of the join tokens and manager addresses (written by swarm-aws up)",
        sub("/swarm-aws/${AWS::StackName}"),
    );
    t.output(
        keys::VPC,
        "Use this as the VPC for configuring Private Hosted Zones",
        r#ref("Vpc"),
    );
    t.output(
        keys::MANAGER_ASG,
        "Auto-scaling group of the managers",
        r#ref(&manager_asg),
    );
    t.output(
        keys::WORKER_ASG,
        "Auto-scaling group of the workers",
        r#ref(&worker_asg),
    );
    t.output(
        "Subnets",
        "Public subnets, one per availability zone",
        join(",", subnet_refs(spec)),
    );
    t.output(
        "NodeSecurityGroupID",
        "Security group of every node",
        r#ref("NodeSecurityGroup"),
    );
    t.output(
        "ELBSecurityGroupID",
        "Security group of the load balancer",
        r#ref("ElbSecurityGroup"),
    );
    if spec.cloudwatch_logs {
        t.output(
            "LogGroupName",
            "CloudWatch log group of the containers",
            r#ref("LogGroup"),
        );
    }
}

/// What the zone count means for surviving the loss of a zone, in Docker for AWS's words.
pub fn zone_comment(zones: u32, managers: u32) -> String {
    match zones {
        1 => "This cluster is in a single Availability Zone (AZ): losing that AZ loses the whole Swarm. Use 3 AZs to survive it.".to_string(),
        2 => format!("This cluster spans 2 Availability Zones (AZ). With {managers} manager(s), losing the AZ that holds most of them loses the Raft majority; 3 AZs are ideal."),
        _ => "This region has at least 3 Availability Zones (AZ). This is ideal to ensure a fully functional Swarm in case you lose an AZ.".to_string(),
    }
}
