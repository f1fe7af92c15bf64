//! The error of the AWS calls outside the stack lifecycle: the inventory (auto-scaling groups and
//! instances), scale-in protection and the failover website's record sets. One variant per call,
//! carrying the ids involved; the stack reads they make keep their own [`StackError`].

use crate::aws::{AwsError, AwsErrorKind};
use crate::stack::StackError;

/// What an inventory, scale-in or website call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// Reading the stack (its resources, outputs) failed.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// DescribeAutoScalingGroups failed.
    #[error("DescribeAutoScalingGroups {groups:?} failed: {source}")]
    DescribeAutoScalingGroups {
        /// Group names asked for.
        groups: Vec<String>,
        /// Cause.
        source: AwsError,
    },
    /// DescribeInstances failed.
    #[error("DescribeInstances ({count} instances) failed: {source}")]
    DescribeInstances {
        /// How many instance ids were asked for.
        count: usize,
        /// Cause.
        source: AwsError,
    },
    /// SetInstanceProtection failed.
    #[error("SetInstanceProtection on group {group} ({count} instances) failed: {source}")]
    SetInstanceProtection {
        /// Group name.
        group: String,
        /// How many instances.
        count: usize,
        /// Cause.
        source: AwsError,
    },
    /// ListResourceRecordSets failed.
    #[error("ListResourceRecordSets for hosted zone {zone} failed: {source}")]
    ListResourceRecordSets {
        /// Hosted zone id.
        zone: String,
        /// Cause.
        source: AwsError,
    },
    /// PutObject (a swarmd build into the stack's bucket) failed.
    #[error("PutObject s3://{bucket}/{key} failed: {source}")]
    PutObject {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
        /// Cause.
        source: AwsError,
    },
    /// Emptying the stack's bucket (ListObjectsV2, DeleteObject) failed.
    #[error("emptying bucket {bucket} failed: {source}")]
    EmptyBucket {
        /// Bucket.
        bucket: String,
        /// Cause.
        source: AwsError,
    },
    /// PutParameter failed (the value is never shown).
    #[error("PutParameter {name} failed: {source}")]
    PutParameter {
        /// Parameter name.
        name: String,
        /// Cause.
        source: AwsError,
    },
    /// GetParametersByPath failed.
    #[error("GetParametersByPath {path} failed: {source}")]
    GetParametersByPath {
        /// Parameter path.
        path: String,
        /// Cause.
        source: AwsError,
    },
    /// SendMessage (a lifecycle notice the emulator does not send) failed.
    #[error("SendMessage to {queue} failed: {source}")]
    SendMessage {
        /// Queue URL.
        queue: String,
        /// Cause.
        source: AwsError,
    },
    /// DescribeLoadBalancers (the stack's classic ELB) failed.
    #[error("DescribeLoadBalancers {name} failed: {source}")]
    DescribeLoadBalancers {
        /// Load balancer name.
        name: String,
        /// Cause.
        source: AwsError,
    },
    /// GetHealthCheck (the website's health check on the primary) failed.
    #[error("GetHealthCheck {id} failed: {source}")]
    GetHealthCheck {
        /// Health check id.
        id: String,
        /// Cause.
        source: AwsError,
    },
    /// DeleteParameters failed.
    #[error("DeleteParameters under {path} ({count} parameters) failed: {source}")]
    DeleteParameters {
        /// Parameter path.
        path: String,
        /// How many were asked for.
        count: usize,
        /// Cause.
        source: AwsError,
    },
}

impl CloudError {
    /// The AWS error inside, if this is an AWS call failure.
    pub fn aws_source(&self) -> Option<&AwsError> {
        match self {
            CloudError::Stack(e) => e.aws_source(),
            CloudError::DescribeAutoScalingGroups { source, .. }
            | CloudError::SendMessage { source, .. }
            | CloudError::DescribeInstances { source, .. }
            | CloudError::SetInstanceProtection { source, .. }
            | CloudError::ListResourceRecordSets { source, .. }
            | CloudError::PutObject { source, .. }
            | CloudError::EmptyBucket { source, .. }
            | CloudError::PutParameter { source, .. }
            | CloudError::GetParametersByPath { source, .. }
            | CloudError::DeleteParameters { source, .. }
            | CloudError::DescribeLoadBalancers { source, .. }
            | CloudError::GetHealthCheck { source, .. } => Some(source),
        }
    }

    /// A one-line suggestion for the user, when there is an obvious next step.
    pub fn hint(&self) -> Option<String> {
        if let CloudError::Stack(e) = self {
            return e.hint();
        }
        match self.aws_source()?.kind {
            AwsErrorKind::Dispatch => Some(
                "could not reach AWS: check --region, your network, and AWS_ENDPOINT_URL if you \
                 use an emulator"
                    .into(),
            ),
            AwsErrorKind::Throttling | AwsErrorKind::Timeout => {
                Some("AWS is slow or throttling; try again in a minute".into())
            }
            _ => None,
        }
    }
}
