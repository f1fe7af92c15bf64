//! Read-only CloudFormation calls, converted to plain types: stacks, events, resources.

use aws_sdk_cloudformation::types as cfn;
use aws_sdk_cloudformation::Client;
use serde::Serialize;

use super::event::{ResourceSnapshot, StackEvent};
use super::StackError;
use crate::aws::call;

/// Tag that marks a stack as a swarm-aws cluster (its value is the cluster name).
pub const CLUSTER_TAG: &str = "swarm-aws:cluster";

/// What DescribeStacks says about one stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackInfo {
    /// Stack id (ARN).
    pub id: String,
    /// Stack name.
    pub name: String,
    /// Current status.
    pub status: String,
    /// Reason for the status, if any.
    pub reason: Option<String>,
    /// Outputs (key, value), in template order.
    pub outputs: Vec<(String, String)>,
    /// Parameters (key, value).
    pub parameters: Vec<(String, String)>,
    /// Tags (key, value).
    pub tags: Vec<(String, String)>,
}

impl StackInfo {
    /// Value of output `key`.
    pub fn output(&self, key: &str) -> Option<&str> {
        lookup(&self.outputs, key)
    }

    /// Value of tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        lookup(&self.tags, key)
    }

    /// Value of parameter `key`.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        lookup(&self.parameters, key)
    }

    /// True when swarm-aws created this stack (it carries the [`CLUSTER_TAG`]).
    pub fn is_swarm_aws(&self) -> bool {
        self.tag(CLUSTER_TAG).is_some()
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn convert_stack(s: &cfn::Stack) -> StackInfo {
    StackInfo {
        id: s.stack_id().unwrap_or_default().to_string(),
        name: s.stack_name().unwrap_or_default().to_string(),
        status: s
            .stack_status()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        reason: s.stack_status_reason().map(str::to_string),
        outputs: s
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap_or_default().to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        parameters: s
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        tags: s
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    }
}

fn millis(t: Option<&aws_smithy_types::DateTime>) -> i64 {
    t.and_then(|t| t.to_millis().ok()).unwrap_or_default()
}

/// Describes one stack by name or id; `Ok(None)` when it does not exist.
pub async fn describe_stack(cfn: &Client, stack: &str) -> Result<Option<StackInfo>, StackError> {
    match call(cfn.describe_stacks().stack_name(stack).send()).await {
        Ok(out) => Ok(out.stacks().first().map(convert_stack)),
        Err(e) if e.is_stack_missing() => Ok(None),
        Err(source) => Err(StackError::DescribeStacks {
            stack: stack.to_string(),
            source,
        }),
    }
}

/// Every stack in the region that carries the swarm-aws cluster tag, deleted ones excluded.
pub async fn list_clusters(cfn: &Client) -> Result<Vec<StackInfo>, StackError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(cfn.describe_stacks().set_next_token(token.clone()).send())
            .await
            .map_err(|source| StackError::DescribeStacks {
                stack: "*".into(),
                source,
            })?;
        out.extend(
            page.stacks()
                .iter()
                .map(convert_stack)
                .filter(|s| s.is_swarm_aws() && s.status != "DELETE_COMPLETE"),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn convert_event(e: &cfn::StackEvent) -> StackEvent {
    StackEvent {
        event_id: e.event_id().unwrap_or_default().to_string(),
        stack_name: e.stack_name().unwrap_or_default().to_string(),
        logical_resource_id: e.logical_resource_id().unwrap_or_default().to_string(),
        physical_resource_id: e.physical_resource_id().map(str::to_string),
        resource_type: e.resource_type().unwrap_or_default().to_string(),
        timestamp_ms: millis(e.timestamp()),
        resource_status: e
            .resource_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        resource_status_reason: e.resource_status_reason().map(str::to_string),
    }
}

/// Stack events, newest first, stopping at the first page that contains an event for which
/// `known` is true (older pages were read before) or at the end of the history.
pub async fn stack_events(
    cfn: &Client,
    stack: &str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<StackEvent>, StackError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(
            cfn.describe_stack_events()
                .stack_name(stack)
                .set_next_token(token.clone())
                .send(),
        )
        .await
        .map_err(|source| StackError::DescribeStackEvents {
            stack: stack.to_string(),
            source,
        })?;
        let mut hit_known = false;
        for e in page.stack_events() {
            let e = convert_event(e);
            hit_known |= known(&e.event_id);
            out.push(e);
        }
        token = page.next_token().map(str::to_string);
        if hit_known || token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Current state of every resource of the stack (DescribeStackResources).
pub async fn stack_resources(
    cfn: &Client,
    stack: &str,
) -> Result<Vec<ResourceSnapshot>, StackError> {
    let out = call(cfn.describe_stack_resources().stack_name(stack).send())
        .await
        .map_err(|source| StackError::DescribeStackResources {
            stack: stack.to_string(),
            source,
        })?;
    Ok(out
        .stack_resources()
        .iter()
        .map(|r| ResourceSnapshot {
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            physical_id: r.physical_resource_id().map(str::to_string),
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            status: r
                .resource_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            reason: r.resource_status_reason().map(str::to_string),
            timestamp_ms: millis(r.timestamp()),
        })
        .collect())
}
