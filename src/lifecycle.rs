//! Lifecycle notices the emulator never sends: for an instance it terminates, the sandbox posts
//! to the stack's lifecycle queue the body Auto Scaling sends to a terminate hook's SQS target
//! (`swarm_guide::message::termination_body`, the same code the consumer parses it with), so the
//! managers' `swarm-guide` drains and removes the node through the path it takes on AWS. On AWS
//! the hook sends it and nothing here runs.

use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::inventory::Role;
use crate::template::outputs::keys::LIFECYCLE_QUEUE;

/// Posts the terminate notice of `instance_id` (of `group`, `role`) to the lifecycle queue at
/// `queue_url` (the stack's [`QUEUE_OUTPUT`]).
pub async fn post_termination(
    clients: &Clients,
    queue_url: &str,
    instance_id: &str,
    group: &str,
    role: Role,
) -> Result<(), CloudError> {
    let (prefix, metadata) = match role {
        Role::Manager => ("Manager", "manager"),
        Role::Worker => ("Worker", "worker"),
    };
    let t = swarm_guide::message::Termination {
        instance_id: instance_id.to_string(),
        group: group.to_string(),
        hook: format!("{prefix}TerminateHook"),
        token: None,
        metadata: Some(metadata.to_string()),
    };
    let body = swarm_guide::message::termination_body(&t, "123456789012", &now_iso());
    call(
        clients
            .sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .send(),
    )
    .await
    .map_err(|source| CloudError::SendMessage {
        queue: queue_url.to_string(),
        source,
    })?;
    Ok(())
}

/// The stack output naming the lifecycle queue.
pub const QUEUE_OUTPUT: &str = LIFECYCLE_QUEUE;

fn now_iso() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    aws_smithy_types::DateTime::from_secs(d.as_secs() as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
