//! Delete: remove the stack and follow it to the end. On DELETE_FAILED, name the stuck resources
//! and why, retry once where a retry can succeed (dependencies released meanwhile), and delete
//! around resources the user chose to retain.

use std::future::Future;

use serde::Serialize;

use super::describe::{describe_stack, stack_events, stack_resources};
use super::tracker::{classify, Phase, Tracker};
use super::watch::Sink;
use super::StackError;
use crate::aws::{call, Clients};

/// Options for [`delete`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Logical ids to keep when the stack is DELETE_FAILED (`--retain`).
    pub retain: Vec<String>,
    /// Extra attempts after a DELETE_FAILED whose causes may clear up.
    pub retries: u32,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DeleteReport {
    /// The stack is gone.
    Deleted {
        /// Attempts made.
        attempts: u32,
        /// Resources left in place (`--retain`).
        retained: Vec<String>,
        /// An error the backend reported although the stack is gone.
        warning: Option<String>,
    },
}

/// True when a DELETE_FAILED reason may clear up on its own (dependencies being released).
pub fn is_retryable_reason(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    [
        "dependencyviolation",
        "has dependencies",
        "in use",
        "throttl",
        "rate exceeded",
        "timed out",
    ]
    .iter()
    .any(|k| r.contains(k))
}

/// Deletes `stack` (which must carry the swarm-aws tag), following it until it is gone.
pub async fn delete<C: Future<Output = ()>>(
    clients: &Clients,
    stack: &str,
    opts: &DeleteOptions,
    sink: &mut dyn Sink,
    cancel: C,
) -> Result<DeleteReport, StackError> {
    tokio::pin!(cancel);
    let Some(info) = describe_stack(&clients.cfn, stack).await? else {
        return Err(StackError::NotFound {
            stack: stack.to_string(),
            region: clients.region.clone(),
        });
    };
    if !info.is_swarm_aws() {
        return Err(StackError::NotOurs {
            stack: stack.to_string(),
        });
    }
    let mut status = info.status.clone();
    if deletion_blocked(&status) {
        return Err(StackError::ForbiddenState {
            stack: stack.to_string(),
            status,
            action: "delete".into(),
            hint: format!(
                "wait for the running operation (`swarm-aws events --name {stack} --follow`), then `down` again"
            ),
        });
    }
    let mut attempts = 0u32;
    let mut retained = Vec::new();
    loop {
        let mut tracker = Tracker::new(stack, 0);
        let old = stack_events(&clients.cfn, &info.id, |_| true).await?; // newest page suffices
        tracker.seed_events(&old);
        let snapshot = stack_resources(&clients.cfn, &info.id)
            .await
            .unwrap_or_default();
        tracker.seed_snapshot(&snapshot);

        if status != "DELETE_IN_PROGRESS" {
            // RetainResources is only accepted for a stack in DELETE_FAILED.
            let retain: Vec<String> = if status == "DELETE_FAILED" {
                snapshot
                    .iter()
                    .filter(|r| opts.retain.contains(&r.logical_id) && r.status == "DELETE_FAILED")
                    .map(|r| r.logical_id.clone())
                    .collect()
            } else {
                Vec::new()
            };
            attempts += 1;
            let sent = call(
                clients
                    .cfn
                    .delete_stack()
                    .stack_name(&info.id)
                    .set_retain_resources((!retain.is_empty()).then(|| retain.clone()))
                    .send(),
            )
            .await;
            if let Err(source) = sent {
                // Some backends fail the call yet drop the stack: judge by what is left.
                if describe_stack(&clients.cfn, &info.id)
                    .await?
                    .is_none_or(|s| s.status == "DELETE_COMPLETE")
                {
                    return Ok(DeleteReport::Deleted {
                        attempts,
                        retained,
                        warning: Some(source.to_string()),
                    });
                }
                return Err(StackError::DeleteStack {
                    stack: stack.to_string(),
                    source,
                });
            }
            retained.extend(retain);
        }

        let end =
            super::deploy::follow(clients, stack, &info.id, &mut tracker, sink, &mut cancel).await;
        match end {
            Ok(_) => {
                return Ok(DeleteReport::Deleted {
                    attempts,
                    retained,
                    warning: None,
                })
            }
            Err(StackError::OperationFailed { status: s, .. }) if s == "DELETE_FAILED" => {
                let stuck = stuck_resources(clients, &info.id, &tracker).await;
                let all_retainable =
                    !stuck.is_empty() && stuck.iter().all(|(id, _, _)| opts.retain.contains(id));
                let retryable = stuck.iter().any(|(_, _, r)| is_retryable_reason(r));
                if all_retainable || (retryable && attempts <= opts.retries) {
                    status = s;
                    continue;
                }
                return Err(StackError::DeleteFailed {
                    stack: stack.to_string(),
                    stuck,
                });
            }
            Err(e) => return Err(e),
        }
    }
}

/// True when CloudFormation refuses DeleteStack in this status: updates, imports and rollbacks
/// must finish first. A create in progress may be deleted (CloudFormation cancels it), and a
/// delete in progress is simply followed.
pub fn deletion_blocked(status: &str) -> bool {
    classify(status) == Phase::InProgress
        && !matches!(
            status,
            "CREATE_IN_PROGRESS" | "DELETE_IN_PROGRESS" | "REVIEW_IN_PROGRESS"
        )
}

async fn stuck_resources(
    clients: &Clients,
    id: &str,
    tracker: &Tracker,
) -> Vec<(String, String, String)> {
    let from_events = tracker.failed_resources();
    if !from_events.is_empty() {
        return from_events;
    }
    stack_resources(&clients.cfn, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.status == "DELETE_FAILED")
        .map(|r| (r.logical_id, r.resource_type, r.reason.unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_created_stacks_may_be_deleted_but_updating_ones_not() {
        for ok in [
            "CREATE_IN_PROGRESS",
            "ROLLBACK_COMPLETE",
            "CREATE_FAILED",
            "DELETE_FAILED",
            "UPDATE_ROLLBACK_FAILED",
        ] {
            assert!(!deletion_blocked(ok), "{ok}");
        }
        for blocked in [
            "UPDATE_IN_PROGRESS",
            "ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "IMPORT_IN_PROGRESS",
        ] {
            assert!(deletion_blocked(blocked), "{blocked}");
        }
    }

    #[test]
    fn retryable_reasons() {
        assert!(is_retryable_reason(
            "The vpc 'vpc-1' has dependencies and cannot be deleted. (Service: AmazonEC2; Error Code: DependencyViolation)"
        ));
        assert!(!is_retryable_reason("Access Denied"));
    }
}
