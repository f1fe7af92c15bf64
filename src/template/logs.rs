//! The optional CloudWatch log group that every node's Docker daemon ships container logs to.

use serde_json::json;

use super::fns::{sub, tags};
use super::Template;
use crate::spec::ClusterSpec;

/// Days CloudWatch keeps container logs.
pub const RETENTION_DAYS: u32 = 30;

/// Adds the log group when the spec turns CloudWatch logs on.
pub fn add(t: &mut Template, spec: &ClusterSpec) {
    if !spec.cloudwatch_logs {
        return;
    }
    t.resource(
        "LogGroup",
        json!({
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "LogGroupName": sub("/swarm-aws/${AWS::StackName}"),
                "RetentionInDays": RETENTION_DAYS,
                "Tags": tags(spec, "logs", "logs"),
            },
        }),
    );
}
