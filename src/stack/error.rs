//! The stack layer's error enum: one variant per CloudFormation call (carrying the ids involved)
//! plus the conditions a user must act on, each with a one-line hint. The other AWS calls
//! (inventory, scale-in, website records) fail with [`crate::cloud_error::CloudError`].

use crate::aws::AwsError;

/// Everything that can go wrong in the stack lifecycle (and the SDK configuration it starts with).
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// No region from `--region`, `AWS_REGION` or the profile.
    #[error("no AWS region configured")]
    NoRegion,
    /// The region is not one AWS knows.
    #[error("unknown AWS region {region:?}")]
    UnknownRegion {
        /// The region given.
        region: String,
    },
    /// The credential chain found nothing usable.
    #[error("no AWS credentials found ({detail})")]
    NoCredentials {
        /// What the credential chain said.
        detail: String,
    },
    /// DescribeStacks failed.
    #[error("DescribeStacks for stack {stack} failed: {source}")]
    DescribeStacks {
        /// Stack name or id.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// DescribeStackEvents failed.
    #[error("DescribeStackEvents for stack {stack} failed: {source}")]
    DescribeStackEvents {
        /// Stack name or id.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// DescribeStackResources failed.
    #[error("DescribeStackResources for stack {stack} failed: {source}")]
    DescribeStackResources {
        /// Stack name or id.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// GetTemplate failed.
    #[error("GetTemplate for stack {stack} failed: {source}")]
    GetTemplate {
        /// Stack name or id.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// CreateStack failed (the emulator also reports invalid resource properties here).
    #[error("CreateStack {stack} failed: {source}")]
    CreateStack {
        /// Stack name.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// CreateChangeSet failed.
    #[error("CreateChangeSet {change_set} for stack {stack} failed: {source}")]
    CreateChangeSet {
        /// Stack name.
        stack: String,
        /// Change set name.
        change_set: String,
        /// Cause.
        source: AwsError,
    },
    /// DescribeChangeSet failed.
    #[error("DescribeChangeSet {change_set} for stack {stack} failed: {source}")]
    DescribeChangeSet {
        /// Stack name.
        stack: String,
        /// Change set name or id.
        change_set: String,
        /// Cause.
        source: AwsError,
    },
    /// The change set could not be created (other than "no changes").
    #[error("change set {change_set} for stack {stack} failed: {reason}")]
    ChangeSetFailed {
        /// Stack name.
        stack: String,
        /// Change set name or id.
        change_set: String,
        /// CloudFormation's status reason.
        reason: String,
    },
    /// ExecuteChangeSet failed.
    #[error("ExecuteChangeSet {change_set} for stack {stack} failed: {source}")]
    ExecuteChangeSet {
        /// Stack name.
        stack: String,
        /// Change set name or id.
        change_set: String,
        /// Cause.
        source: AwsError,
    },
    /// DeleteChangeSet failed.
    #[error("DeleteChangeSet {change_set} for stack {stack} failed: {source}")]
    DeleteChangeSet {
        /// Stack name.
        stack: String,
        /// Change set name or id.
        change_set: String,
        /// Cause.
        source: AwsError,
    },
    /// DeleteStack failed.
    #[error("DeleteStack {stack} failed: {source}")]
    DeleteStack {
        /// Stack name or id.
        stack: String,
        /// Cause.
        source: AwsError,
    },
    /// The stack does not exist.
    #[error("stack {stack} does not exist in {region}")]
    NotFound {
        /// Stack name.
        stack: String,
        /// Region looked in.
        region: String,
    },
    /// A stack of that name exists but swarm-aws did not create it.
    #[error(
        "stack {stack} exists but was not created by swarm-aws (it has no swarm-aws:cluster tag)"
    )]
    NotOurs {
        /// Stack name.
        stack: String,
    },
    /// The stack's status forbids the requested action.
    #[error("stack {stack} is {status}, which does not allow {action}")]
    ForbiddenState {
        /// Stack name.
        stack: String,
        /// Current stack status.
        status: String,
        /// What was asked (`update`, `delete`, ...).
        action: String,
        /// What to do about it.
        hint: String,
    },
    /// The stack operation ended in failure.
    #[error("stack {stack} {status}: {cause} (rollback: {rollback})")]
    OperationFailed {
        /// Stack name.
        stack: String,
        /// Final stack status.
        status: String,
        /// The root cause (first failed resource that was not a cancellation).
        cause: String,
        /// Outcome of the rollback, when there was one.
        rollback: String,
    },
    /// DELETE_FAILED: some resources could not be deleted.
    #[error("stack {stack} DELETE_FAILED; stuck: {}", stuck_list(.stuck))]
    DeleteFailed {
        /// Stack name.
        stack: String,
        /// (logical id, type, reason) of each resource that could not be deleted.
        stuck: Vec<(String, String, String)>,
    },
    /// A stack output needed by the caller is missing.
    #[error("stack {stack} has no output {output}")]
    MissingOutput {
        /// Stack name.
        stack: String,
        /// Output key.
        output: String,
    },
    /// The user pressed Ctrl-C while watching; the stack operation goes on.
    #[error("stopped watching stack {stack}; the operation continues in CloudFormation")]
    Interrupted {
        /// Stack name.
        stack: String,
    },
    /// After an update, the stack's groups did not reach their sizes with addressed instances.
    #[error(
        "the groups of stack {stack} did not settle on {want} running instance(s) with addresses \
         within {} s (now {have}); run `swarm-aws bootstrap` once they have", .waited.as_secs()
    )]
    InstancesNotSettled {
        /// Stack name or id.
        stack: String,
        /// Live instances wanted.
        want: usize,
        /// Live instances seen last.
        have: usize,
        /// How long it waited.
        waited: std::time::Duration,
    },
    /// A template or fixture was not valid JSON.
    #[error("template for stack {stack} is not valid JSON: {detail}")]
    BadTemplate {
        /// Stack name.
        stack: String,
        /// Parser message.
        detail: String,
    },
}

fn stuck_list(stuck: &[(String, String, String)]) -> String {
    stuck
        .iter()
        .map(|(id, ty, reason)| format!("{id} ({ty}): {reason}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl StackError {
    /// A one-line suggestion for the user, when there is an obvious next step.
    pub fn hint(&self) -> Option<String> {
        use StackError::*;
        let aws = |source: &AwsError| {
            match source.kind {
            crate::aws::AwsErrorKind::Dispatch => Some(
                "could not reach AWS: check --region, your network, and AWS_ENDPOINT_URL if you use an emulator"
                    .to_string(),
            ),
            crate::aws::AwsErrorKind::Throttling | crate::aws::AwsErrorKind::Timeout => {
                Some("AWS is slow or throttling; try again in a minute".to_string())
            }
            _ => None,
        }
        };
        match self {
            NoRegion => Some("pass --region (e.g. --region us-east-1) or set AWS_REGION".into()),
            UnknownRegion { .. } => Some("use a region name such as us-east-1 or eu-west-1 (see `aws ec2 describe-regions`)".into()),
            NoCredentials { .. } => Some(
                "run `aws configure`, pass --profile NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ),
            NotFound { .. } => Some("check --name and --region; `swarm-aws ls` lists the clusters in a region".into()),
            NotOurs { .. } => Some("choose another --name; swarm-aws only manages stacks it created".into()),
            ForbiddenState { hint, .. } => Some(hint.clone()),
            OperationFailed { stack, .. } => Some(format!(
                "fix the cause, then `swarm-aws up` again; full history: `swarm-aws events --name {stack}`"
            )),
            DeleteFailed { stuck, .. } => Some(format!(
                "remove what blocks them and run `swarm-aws down` again, or keep them with `--retain {}`",
                stuck.iter().map(|s| s.0.as_str()).collect::<Vec<_>>().join(",")
            )),
            Interrupted { stack } => Some(format!("resume watching with `swarm-aws events --name {stack} --follow`")),
_ => self.aws_source().and_then(aws),
        }
    }

    /// The AWS error inside, if this is an AWS call failure.
    pub fn aws_source(&self) -> Option<&AwsError> {
        use StackError::*;
        match self {
            CreateStack { source, .. }
            | DescribeStacks { source, .. }
            | DescribeStackEvents { source, .. }
            | DescribeStackResources { source, .. }
            | GetTemplate { source, .. }
            | CreateChangeSet { source, .. }
            | DescribeChangeSet { source, .. }
            | ExecuteChangeSet { source, .. }
            | DeleteChangeSet { source, .. }
            | DeleteStack { source, .. } => Some(source),
            _ => None,
        }
    }
}
