//! The IAM preflight of `up`, `scale` and `down`: before a verb creates or changes anything, ask
//! IAM whether the caller may call every action the verb needs, and refuse with every missing
//! action named (exit 2, nothing created). `--skip-preflight` goes ahead without asking.
//!
//! Design: [`actions`] lists the actions (pure: the verb's own calls plus CloudFormation's for the
//! template's resource types); the caller comes from `sts:GetCallerIdentity` ([`principal`]);
//! `iam:SimulatePrincipalPolicy` decides each action. An endpoint that does not implement the
//! simulator (moto answers HTTP 500) has the caller's own policies read and evaluated here
//! instead ([`policy`], with that module's limits); when that endpoint has no IAM entity for the
//! caller at all, it cannot be enforcing the caller's permissions either, and the preflight says
//! it checked nothing (a warning, not a silent pass).
//!
//! Limits: actions are simulated against resource `*` (the stack's ARNs do not exist yet); a
//! simulation does not see organization SCPs.

pub mod actions;
mod error;
pub mod policy;
pub mod principal;

use aws_smithy_types::retry::RetryConfig;

pub use actions::Verb;
pub use error::PreflightError;

use crate::aws::{call, AwsError, AwsErrorKind, Clients};
use policy::{Decision, Policy};
use principal::Principal;

/// How the preflight reached its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// IAM's policy simulator decided every action.
    Simulated,
    /// The endpoint cannot simulate; the caller's own identity policies were evaluated here.
    OwnPolicies,
    /// The account root user: IAM policies do not limit it.
    Root,
    /// Nothing could be checked, and nothing enforces the caller's permissions (the reason).
    Nothing(String),
}

/// A passed preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    /// The caller's ARN.
    pub caller: String,
    /// How many actions were checked.
    pub actions: usize,
    /// How.
    pub checked: Checked,
}

impl Passed {
    /// One line for the user (stderr).
    pub fn line(&self, verb: Verb) -> String {
        match &self.checked {
            Checked::Simulated => format!(
                "preflight: {} may call the {} actions `{}` needs (IAM policy simulator)",
                self.caller,
                self.actions,
                verb.name()
            ),
            Checked::OwnPolicies => format!(
                "preflight: {} may call the {} actions `{}` needs (its own IAM policies; the \
                 endpoint has no policy simulator)",
                self.caller,
                self.actions,
                verb.name()
            ),
            Checked::Root => format!(
                "preflight: {} is the account root user; IAM policies do not limit it",
                self.caller
            ),
            Checked::Nothing(why) => format!("warning: preflight checked nothing: {why}"),
        }
    }
}

/// Checks that the caller of `clients` may call every action in `needed` for `verb`.
pub async fn check(
    clients: &Clients,
    verb: Verb,
    needed: &[String],
) -> Result<Passed, PreflightError> {
    let identity = call(clients.sts.get_caller_identity().send())
        .await
        .map_err(|source| PreflightError::GetCallerIdentity { source })?;
    let caller = identity.arn().unwrap_or_default().to_string();
    let passed = |checked| Passed {
        caller: caller.clone(),
        actions: needed.len(),
        checked,
    };
    let who = principal::principal(&caller);
    let (arn, name) = match &who {
        Principal::Root => return Ok(passed(Checked::Root)),
        Principal::Unsupported(arn) => {
            return Err(PreflightError::CannotCheck {
                principal: arn.clone(),
                reason: "IAM's policy simulator takes users and roles only".into(),
            })
        }
        Principal::User { arn, name } => (arn.clone(), name.clone()),
        Principal::Role { arn, name } => (
            role_arn(clients, name).await.unwrap_or(arn.clone()),
            name.clone(),
        ),
    };
    let decisions = match simulate(clients, &arn, needed).await {
        Ok(d) => (d, "IAM policy simulator"),
        Err(e) if is_access_denied(&e) => {
            return Err(PreflightError::CannotCheck {
                principal: arn,
                reason: format!("it may not call iam:SimulatePrincipalPolicy ({e})"),
            })
        }
        Err(e) if !simulator_missing(&e) => {
            return Err(PreflightError::Iam {
                call: "SimulatePrincipalPolicy",
                principal: arn,
                source: e,
            })
        }
        Err(simulator) => match own_policies(clients, &who, &name).await {
            Ok(policies) => (
                needed
                    .iter()
                    .map(|a| (a.clone(), policy::decide(&policies, a)))
                    .collect(),
                "its own IAM policies",
            ),
            Err(e) if e.code.as_deref() == Some("NoSuchEntity") => {
                return Ok(passed(Checked::Nothing(format!(
                    "the endpoint has no IAM policy simulator ({simulator}) and no IAM entity for \
                     the caller {caller} ({e}), so it does not enforce the caller's permissions \
                     either"
                ))))
            }
            Err(e) if is_access_denied(&e) => {
                return Err(PreflightError::CannotCheck {
                    principal: arn,
                    reason: format!(
                        "the endpoint has no IAM policy simulator ({simulator}) and the caller may \
                         not read its own policies ({e})"
                    ),
                })
            }
            Err(e) => {
                return Err(PreflightError::Iam {
                    call: "reading the caller's policies",
                    principal: arn,
                    source: e,
                })
            }
        },
    };
    let (decisions, how) = decisions;
    let missing: Vec<(String, &'static str)> = decisions
        .into_iter()
        .filter(|(_, d)| *d != Decision::Allowed)
        .map(|(a, d)| (a, d.as_str()))
        .collect();
    if !missing.is_empty() {
        return Err(PreflightError::Missing {
            verb: verb.name(),
            principal: arn,
            missing,
            how,
        });
    }
    Ok(passed(if how == "IAM policy simulator" {
        Checked::Simulated
    } else {
        Checked::OwnPolicies
    }))
}

fn is_access_denied(e: &AwsError) -> bool {
    matches!(
        e.code.as_deref(),
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")
    )
}

/// Whether the endpoint does not have the simulator: it answered with a server error, a body
/// that is not an IAM answer, or said the operation is not implemented.
fn simulator_missing(e: &AwsError) -> bool {
    matches!(e.kind, AwsErrorKind::Other)
        // A service error without an AWS error code: the body was no IAM answer (moto's HTML 500).
        || (e.kind == AwsErrorKind::Service && e.code.is_none())
        || matches!(
            e.code.as_deref(),
            Some("NotImplemented" | "InternalFailure" | "InternalError" | "ServiceFailure")
        )
}

/// The role's full ARN (with its path); the session ARN has none.
async fn role_arn(clients: &Clients, name: &str) -> Option<String> {
    let out = call(clients.iam.get_role().role_name(name).send())
        .await
        .ok()?;
    out.role().map(|r| r.arn().to_string())
}

/// The simulator's decision for each action (one attempt: an endpoint without the simulator
/// answers 500, which is not worth retrying).
async fn simulate(
    clients: &Clients,
    arn: &str,
    needed: &[String],
) -> Result<Vec<(String, Decision)>, AwsError> {
    let iam = aws_sdk_iam::Client::from_conf(
        clients
            .iam
            .config()
            .to_builder()
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build(),
    );
    let pages = call(
        iam.simulate_principal_policy()
            .policy_source_arn(arn)
            .set_action_names(Some(needed.to_vec()))
            .into_paginator()
            .send()
            .try_collect(),
    )
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.evaluation_results())
        .map(|r| {
            (
                r.eval_action_name().to_string(),
                Decision::parse(r.eval_decision().as_str()),
            )
        })
        .collect())
}

/// Every identity policy of the caller: inline and attached, and a user's groups' too.
async fn own_policies(
    clients: &Clients,
    who: &Principal,
    name: &str,
) -> Result<Vec<Policy>, AwsError> {
    let iam = &clients.iam;
    let mut docs = Vec::new();
    let mut attached = Vec::new();
    match who {
        Principal::User { .. } => {
            for page in call(
                iam.list_user_policies()
                    .user_name(name)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await?
            {
                for policy in page.policy_names() {
                    let out = call(
                        iam.get_user_policy()
                            .user_name(name)
                            .policy_name(policy)
                            .send(),
                    )
                    .await?;
                    docs.push(out.policy_document().to_string());
                }
            }
            for page in call(
                iam.list_attached_user_policies()
                    .user_name(name)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await?
            {
                attached.extend(
                    page.attached_policies()
                        .iter()
                        .filter_map(|p| p.policy_arn().map(str::to_string)),
                );
            }
            for page in call(
                iam.list_groups_for_user()
                    .user_name(name)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await?
            {
                for group in page.groups() {
                    let g = group.group_name();
                    for gp in call(
                        iam.list_group_policies()
                            .group_name(g)
                            .into_paginator()
                            .send()
                            .try_collect(),
                    )
                    .await?
                    {
                        for policy in gp.policy_names() {
                            let out = call(
                                iam.get_group_policy()
                                    .group_name(g)
                                    .policy_name(policy)
                                    .send(),
                            )
                            .await?;
                            docs.push(out.policy_document().to_string());
                        }
                    }
                    for gp in call(
                        iam.list_attached_group_policies()
                            .group_name(g)
                            .into_paginator()
                            .send()
                            .try_collect(),
                    )
                    .await?
                    {
                        attached.extend(
                            gp.attached_policies()
                                .iter()
                                .filter_map(|p| p.policy_arn().map(str::to_string)),
                        );
                    }
                }
            }
        }
        Principal::Role { .. } => {
            for page in call(
                iam.list_role_policies()
                    .role_name(name)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await?
            {
                for policy in page.policy_names() {
                    let out = call(
                        iam.get_role_policy()
                            .role_name(name)
                            .policy_name(policy)
                            .send(),
                    )
                    .await?;
                    docs.push(out.policy_document().to_string());
                }
            }
            for page in call(
                iam.list_attached_role_policies()
                    .role_name(name)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await?
            {
                attached.extend(
                    page.attached_policies()
                        .iter()
                        .filter_map(|p| p.policy_arn().map(str::to_string)),
                );
            }
        }
        Principal::Root | Principal::Unsupported(_) => {}
    }
    for arn in attached {
        let policy = call(iam.get_policy().policy_arn(&arn).send()).await?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_string();
        let out = call(
            iam.get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send(),
        )
        .await?;
        if let Some(doc) = out.policy_version().and_then(|v| v.document()) {
            docs.push(doc.to_string());
        }
    }
    docs.iter()
        .map(|d| policy::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|detail| AwsError {
            kind: AwsErrorKind::Other,
            code: Some("MalformedPolicyDocument".into()),
            message: format!("a policy of the caller could not be read: {detail}"),
        })
}
