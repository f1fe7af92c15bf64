//! Deploy: create the stack, or update it through a change set. A deploy whose template,
//! parameters and tags equal what is deployed changes nothing and says so.

use std::future::Future;

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag};
use serde::Serialize;

use super::describe::{describe_stack, stack_events, stack_resources, StackInfo, CLUSTER_TAG};
use super::tracker::{Outcome, Tracker};
use super::watch::{watch, Backoff, Sink, WatchEnd};
use super::StackError;
use crate::aws::{call, Clients};

/// What to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    /// Stack name.
    pub stack: String,
    /// Rendered template (JSON).
    pub template: String,
    /// Parameter values (key, value); template defaults apply to the rest.
    pub parameters: Vec<(String, String)>,
    /// Tags besides the cluster tag.
    pub tags: Vec<(String, String)>,
    /// Value of the `swarm-aws:cluster` tag.
    pub cluster: String,
}

impl DeployRequest {
    fn all_tags(&self) -> Vec<(String, String)> {
        let mut tags = vec![(CLUSTER_TAG.to_string(), self.cluster.clone())];
        tags.extend(self.tags.iter().filter(|(k, _)| k != CLUSTER_TAG).cloned());
        tags
    }

    fn template_json(&self) -> Result<serde_json::Value, StackError> {
        serde_json::from_str(&self.template).map_err(|e| StackError::BadTemplate {
            stack: self.stack.clone(),
            detail: e.to_string(),
        })
    }
}

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DeployReport {
    /// The stack was created.
    Created {
        /// Final stack status.
        status: String,
    },
    /// The stack was updated through change set `change_set`.
    Updated {
        /// Change set name.
        change_set: String,
        /// Final stack status.
        status: String,
    },
    /// Nothing differed from what is deployed.
    NoChanges,
}

/// One change of a change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// `Add`, `Modify`, `Remove`, ...
    pub action: String,
    /// Logical id.
    pub logical_id: String,
    /// Resource type.
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for modifications.
    pub replacement: Option<String>,
}

/// A dry run's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Parameters whose value changes: (key, old, new).
    pub parameter_changes: Vec<(String, String, String)>,
    /// True when the template body differs from the deployed one.
    pub template_changed: bool,
    /// Resource changes as CloudFormation computed them (some backends leave this empty).
    pub changes: Vec<PlannedChange>,
}

impl Plan {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.parameter_changes.is_empty() && !self.template_changed && self.changes.is_empty()
    }
}

/// Reasons CloudFormation gives for a change set with nothing in it.
fn is_no_change_reason(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Checks that `info` may be updated by swarm-aws.
pub fn check_updatable(info: &StackInfo) -> Result<(), StackError> {
    if !info.is_swarm_aws() {
        return Err(StackError::NotOurs {
            stack: info.name.clone(),
        });
    }
    let forbid = |hint: String| {
        Err(StackError::ForbiddenState {
            stack: info.name.clone(),
            status: info.status.clone(),
            action: "update".into(),
            hint,
        })
    };
    let name = &info.name;
    match info.status.as_str() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" => forbid(format!(
            "the first create failed; delete it with `swarm-aws down --name {name}`, then `up` again"
        )),
        "UPDATE_ROLLBACK_FAILED" => forbid(format!(
            "continue the rollback (`aws cloudformation continue-update-rollback --stack-name {name}`) or delete it with `swarm-aws down --name {name}`"
        )),
        "DELETE_FAILED" => forbid(format!(
            "finish deleting it with `swarm-aws down --name {name}` (use --retain for stuck resources)"
        )),
        s if s.ends_with("_IN_PROGRESS") => forbid(format!(
            "another operation is running; watch it with `swarm-aws events --name {name} --follow` and retry when it ends"
        )),
        _ => Ok(()),
    }
}

/// Effective parameters: template defaults overlaid with the request's values.
fn effective_parameters(
    template: &serde_json::Value,
    given: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = template
        .get("Parameters")
        .and_then(|p| p.as_object())
        .map(|params| {
            params
                .iter()
                .filter_map(|(k, v)| {
                    let d = v.get("Default")?;
                    let s = match d {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some((k.clone(), s))
                })
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in given {
        match out.iter_mut().find(|(ek, _)| ek == k) {
            Some(slot) => slot.1 = v.clone(),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out.sort();
    out
}

/// Parameter differences between the deployed stack and the request: (key, old, new).
pub fn parameter_changes(
    deployed: &[(String, String)],
    wanted: &[(String, String)],
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (k, v) in wanted {
        let old = deployed
            .iter()
            .find(|(dk, _)| dk == k)
            .map(|(_, dv)| dv.clone())
            .unwrap_or_default();
        if &old != v {
            out.push((k.clone(), old, v.clone()));
        }
    }
    out
}

/// Parameter changes, leaving out SSM-typed parameters whose deployed value is already resolved
/// (AWS reports the parameter name for those; a backend that reports the resolved value gives
/// us nothing to compare the name with, and CloudFormation re-resolves it on update anyway).
fn effective_changes(
    template: &serde_json::Value,
    deployed: &[(String, String)],
    wanted: &[(String, String)],
) -> Vec<(String, String, String)> {
    let is_ssm = |key: &str| {
        template
            .pointer(&format!("/Parameters/{key}/Type"))
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value<"))
    };
    parameter_changes(deployed, wanted)
        .into_iter()
        .filter(|(k, old, _)| !is_ssm(k) || old.starts_with('/'))
        .collect()
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// Number of resources in a template (the progress bar's total).
pub fn resource_count(template: &serde_json::Value) -> usize {
    template
        .get("Resources")
        .and_then(|r| r.as_object())
        .map_or(0, |r| r.len())
}

/// The template body of the deployed stack (GetTemplate).
pub async fn template_body(clients: &Clients, stack: &str) -> Result<String, StackError> {
    let out = call(clients.cfn.get_template().stack_name(stack).send())
        .await
        .map_err(|source| StackError::GetTemplate {
            stack: stack.to_string(),
            source,
        })?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

async fn deployed_template(
    clients: &Clients,
    stack: &str,
) -> Result<serde_json::Value, StackError> {
    let body = template_body(clients, stack).await?;
    Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)))
}

fn cfn_parameters(params: &[(String, String)]) -> Vec<Parameter> {
    params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

fn cfn_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn change_set_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("swarm-aws-{nanos}")
}

const CAPABILITIES: [Capability; 2] = [Capability::CapabilityIam, Capability::CapabilityNamedIam];

/// Creates the change set and waits until CloudFormation has computed it. `Ok(None)` means the
/// change set holds no changes (and was deleted).
async fn prepare_change_set(
    clients: &Clients,
    req: &DeployRequest,
) -> Result<Option<(String, Vec<PlannedChange>)>, StackError> {
    let name = change_set_name();
    let err_create = |source| StackError::CreateChangeSet {
        stack: req.stack.clone(),
        change_set: name.clone(),
        source,
    };
    call(
        clients
            .cfn
            .create_change_set()
            .stack_name(&req.stack)
            .change_set_name(&name)
            .change_set_type(ChangeSetType::Update)
            .template_body(&req.template)
            .set_parameters(Some(cfn_parameters(&req.parameters)))
            .set_tags(Some(cfn_tags(&req.all_tags())))
            .set_capabilities(Some(CAPABILITIES.to_vec()))
            .send(),
    )
    .await
    .map_err(err_create)?;
    let mut backoff = Backoff::default();
    loop {
        let out = call(
            clients
                .cfn
                .describe_change_set()
                .stack_name(&req.stack)
                .change_set_name(&name)
                .send(),
        )
        .await
        .map_err(|source| StackError::DescribeChangeSet {
            stack: req.stack.clone(),
            change_set: name.clone(),
            source,
        })?;
        let status = out
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let reason = out.status_reason().unwrap_or_default().to_string();
        match status.as_str() {
            "CREATE_COMPLETE" => {
                let changes = out
                    .changes()
                    .iter()
                    .filter_map(|c| c.resource_change())
                    .map(|rc| PlannedChange {
                        action: rc
                            .action()
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_default(),
                        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                        resource_type: rc.resource_type().unwrap_or_default().to_string(),
                        replacement: rc.replacement().map(|r| r.as_str().to_string()),
                    })
                    .collect();
                return Ok(Some((name, changes)));
            }
            "FAILED" => {
                delete_change_set(clients, &req.stack, &name).await?;
                if is_no_change_reason(&reason) {
                    return Ok(None);
                }
                return Err(StackError::ChangeSetFailed {
                    stack: req.stack.clone(),
                    change_set: name,
                    reason,
                });
            }
            _ => tokio::time::sleep(backoff.next(false, false)).await,
        }
    }
}

async fn delete_change_set(clients: &Clients, stack: &str, name: &str) -> Result<(), StackError> {
    call(
        clients
            .cfn
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send(),
    )
    .await
    .map(|_| ())
    .map_err(|source| StackError::DeleteChangeSet {
        stack: stack.to_string(),
        change_set: name.to_string(),
        source,
    })
}

/// The stack as deployed, checked for ownership and an updatable state.
async fn existing(clients: &Clients, req: &DeployRequest) -> Result<Option<StackInfo>, StackError> {
    let info = describe_stack(&clients.cfn, &req.stack).await?;
    if let Some(info) = &info {
        check_updatable(info)?;
    }
    Ok(info)
}

/// Computes what `deploy` would change, without changing anything.
pub async fn plan(clients: &Clients, req: &DeployRequest) -> Result<Plan, StackError> {
    let template = req.template_json()?;
    let Some(info) = existing(clients, req).await? else {
        return Err(StackError::NotFound {
            stack: req.stack.clone(),
            region: clients.region.clone(),
        });
    };
    let wanted = effective_parameters(&template, &req.parameters);
    let parameter_changes = effective_changes(&template, &info.parameters, &wanted);
    let template_changed = deployed_template(clients, &req.stack).await? != template;
    let changes = match prepare_change_set(clients, req).await? {
        Some((name, changes)) => {
            delete_change_set(clients, &req.stack, &name).await?;
            changes
        }
        None => Vec::new(),
    };
    Ok(Plan {
        parameter_changes,
        template_changed,
        changes,
    })
}

/// Creates or updates the stack and follows it to the end, reporting to `sink`.
pub async fn deploy<C: Future<Output = ()>>(
    clients: &Clients,
    req: &DeployRequest,
    sink: &mut dyn Sink,
    cancel: C,
) -> Result<DeployReport, StackError> {
    let template = req.template_json()?;
    let total = resource_count(&template);
    let info = existing(clients, req).await?;
    let Some(info) = info else {
        let out = call(
            clients
                .cfn
                .create_stack()
                .stack_name(&req.stack)
                .template_body(&req.template)
                .set_parameters(Some(cfn_parameters(&req.parameters)))
                .set_tags(Some(cfn_tags(&req.all_tags())))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .send(),
        )
        .await
        .map_err(|source| StackError::CreateStack {
            stack: req.stack.clone(),
            source,
        })?;
        let id = out.stack_id().unwrap_or(&req.stack).to_string();
        let mut tracker = Tracker::new(&req.stack, total);
        let status = follow(clients, &req.stack, &id, &mut tracker, sink, cancel).await?;
        return Ok(DeployReport::Created { status });
    };

    // Identical template, parameters and tags: nothing to do (some backends would happily run an
    // empty update, and AWS would fail the change set; neither is worth a round trip).
    let wanted = effective_parameters(&template, &req.parameters);
    if effective_changes(&template, &info.parameters, &wanted).is_empty()
        && sorted(info.tags.clone()) == sorted(req.all_tags())
        && deployed_template(clients, &req.stack).await? == template
    {
        return Ok(DeployReport::NoChanges);
    }

    // Baseline before the change, so only this operation's events and changes show.
    let mut tracker = Tracker::new(&req.stack, total);
    // The newest page is enough: polling stops at the first page holding a known event.
    let old_events = stack_events(&clients.cfn, &info.id, |_| true).await?;
    tracker.seed_events(&old_events);
    tracker.seed_snapshot(&stack_resources(&clients.cfn, &info.id).await?);

    let Some((change_set, _)) = prepare_change_set(clients, req).await? else {
        return Ok(DeployReport::NoChanges);
    };
    call(
        clients
            .cfn
            .execute_change_set()
            .stack_name(&req.stack)
            .change_set_name(&change_set)
            .send(),
    )
    .await
    .map_err(|source| StackError::ExecuteChangeSet {
        stack: req.stack.clone(),
        change_set: change_set.clone(),
        source,
    })?;
    let status = follow(clients, &req.stack, &info.id, &mut tracker, sink, cancel).await?;
    Ok(DeployReport::Updated { change_set, status })
}

/// Watches until the stack settles; turns failure outcomes into [`StackError::OperationFailed`].
pub(crate) async fn follow<C: Future<Output = ()>>(
    clients: &Clients,
    name: &str,
    id: &str,
    tracker: &mut Tracker,
    sink: &mut dyn Sink,
    cancel: C,
) -> Result<String, StackError> {
    match watch(&clients.cfn, id, tracker, sink, cancel, Backoff::default()).await? {
        WatchEnd::Interrupted => Err(StackError::Interrupted {
            stack: name.to_string(),
        }),
        WatchEnd::Gone => Ok("DELETE_COMPLETE".into()),
        WatchEnd::Settled(outcome) => match &outcome {
            Outcome::Succeeded { status } => Ok(status.clone()),
            Outcome::Failed {
                status, rollback, ..
            } => Err(StackError::OperationFailed {
                stack: name.to_string(),
                status: status.clone(),
                cause: outcome.cause_line().unwrap_or_default(),
                rollback: rollback.as_str().to_string(),
            }),
            Outcome::Running => Ok(tracker.stack_status().unwrap_or_default().to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(status: &str, tagged: bool) -> StackInfo {
        StackInfo {
            id: "id".into(),
            name: "c1".into(),
            status: status.into(),
            reason: None,
            outputs: vec![],
            parameters: vec![],
            tags: if tagged {
                vec![(CLUSTER_TAG.into(), "c1".into())]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn refuses_foreign_and_stuck_stacks() {
        assert!(matches!(
            check_updatable(&info("CREATE_COMPLETE", false)),
            Err(StackError::NotOurs { .. })
        ));
        assert!(check_updatable(&info("UPDATE_COMPLETE", true)).is_ok());
        let e = check_updatable(&info("UPDATE_ROLLBACK_FAILED", true)).unwrap_err();
        assert!(e.to_string().contains("UPDATE_ROLLBACK_FAILED"), "{e}");
        assert!(e.hint().unwrap().contains("continue-update-rollback"));
        assert!(matches!(
            check_updatable(&info("UPDATE_IN_PROGRESS", true)),
            Err(StackError::ForbiddenState { .. })
        ));
    }

    #[test]
    fn parameters_default_then_override() {
        let t: serde_json::Value = serde_json::json!({"Parameters": {
            "A": {"Type": "Number", "Default": 3}, "B": {"Type": "String", "Default": "x"}, "C": {"Type": "String"}}});
        let eff = effective_parameters(&t, &[("B".into(), "y".into()), ("C".into(), "z".into())]);
        assert_eq!(
            eff,
            vec![
                ("A".into(), "3".into()),
                ("B".into(), "y".into()),
                ("C".into(), "z".into())
            ]
        );
        let deployed = vec![
            ("A".into(), "3".into()),
            ("B".into(), "x".into()),
            ("C".into(), "z".into()),
        ];
        assert_eq!(
            parameter_changes(&deployed, &eff),
            vec![("B".into(), "x".into(), "y".into())]
        );
    }
}
