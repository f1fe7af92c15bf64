//! What a new instance of a group gets at boot, read back from the emulator as EC2 would hand it
//! over: its launch template's user data (as CloudFormation rendered it) and credentials of its
//! instance profile's role (assumed in the emulator: `sts:AssumeRole`, the session named after
//! the instance). The sandbox runs that user data in the host made for the instance
//! ([`crate::sandbox::boot`]). Credentials are never printed or logged.

use std::path::PathBuf;

use super::ProviderError;
use crate::aws::{call, Clients};

/// A group's boot material.
#[derive(Clone)]
pub struct InstanceBoot {
    /// The user data script (decoded).
    pub user_data: String,
    /// The role the instance's profile carries.
    pub role_arn: String,
    /// Key id, secret and session token standing for that role.
    pub credentials: (String, String, Option<String>),
}

impl std::fmt::Debug for InstanceBoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceBoot")
            .field("role_arn", &self.role_arn)
            .field("credentials", &"<redacted>")
            .finish()
    }
}

fn fail(group: &str, step: &'static str, detail: impl std::fmt::Display) -> ProviderError {
    ProviderError::InstanceBoot {
        group: group.to_string(),
        step,
        detail: detail.to_string(),
    }
}

/// The boot material of a new instance `instance` of `group`.
pub async fn instance_boot(
    clients: &Clients,
    group: &str,
    instance: &str,
) -> Result<InstanceBoot, ProviderError> {
    let groups = call(
        clients
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(group)
            .send(),
    )
    .await
    .map_err(|e| fail(group, "autoscaling:DescribeAutoScalingGroups", e))?;
    let spec = groups
        .auto_scaling_groups()
        .first()
        .and_then(|g| g.launch_template())
        .ok_or_else(|| fail(group, "its launch template", "the group names none"))?;
    let mut versions = clients.ec2.describe_launch_template_versions();
    if let Some(id) = spec.launch_template_id() {
        versions = versions.launch_template_id(id);
    } else if let Some(name) = spec.launch_template_name() {
        versions = versions.launch_template_name(name);
    }
    let version = spec.version().unwrap_or("$Latest");
    let versions = call(versions.versions(version).send())
        .await
        .map_err(|e| fail(group, "ec2:DescribeLaunchTemplateVersions", e))?;
    let data = versions
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .ok_or_else(|| fail(group, "its launch template", "no version {version}"))?;
    let encoded = data
        .user_data()
        .ok_or_else(|| fail(group, "its launch template", "it has no user data"))?;
    let decoded = aws_smithy_types::base64::decode(encoded)
        .map_err(|e| fail(group, "the user data", format!("not base64: {e}")))?;
    let user_data = String::from_utf8(decoded)
        .map_err(|e| fail(group, "the user data", format!("not UTF-8: {e}")))?;
    let profile = data
        .iam_instance_profile()
        .and_then(|p| {
            p.name().map(str::to_string).or_else(|| {
                p.arn()
                    .and_then(|a| a.rsplit('/').next())
                    .map(str::to_string)
            })
        })
        .ok_or_else(|| fail(group, "its launch template", "it names no instance profile"))?;
    let got = call(
        clients
            .iam
            .get_instance_profile()
            .instance_profile_name(&profile)
            .send(),
    )
    .await
    .map_err(|e| fail(group, "iam:GetInstanceProfile", e))?;
    let role_arn = got
        .instance_profile()
        .and_then(|p| p.roles().first())
        .map(|r| r.arn().to_string())
        .ok_or_else(|| {
            fail(
                group,
                "its instance profile",
                format!("{profile} has no role"),
            )
        })?;
    let assumed = call(
        clients
            .sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name(instance)
            .send(),
    )
    .await
    .map_err(|e| fail(group, "sts:AssumeRole", e))?;
    let c = assumed
        .credentials()
        .ok_or_else(|| fail(group, "sts:AssumeRole", "no credentials returned"))?;
    Ok(InstanceBoot {
        user_data,
        role_arn,
        credentials: (
            c.access_key_id().to_string(),
            c.secret_access_key().to_string(),
            Some(c.session_token().to_string()),
        ),
    })
}

/// The dir holding the `aws` CLI the sandbox's hosts use: `$SWARM_AWS_AWSCLI_DIR`, else the
/// venv `scripts/setup` makes (`$SWARM_AWS_CACHE/awscli-venv/bin`, the cache defaulting to
/// `~/.cache/swarm-aws`).
pub fn aws_cli_dir() -> Result<PathBuf, ProviderError> {
    let dir = match std::env::var_os("SWARM_AWS_AWSCLI_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("SWARM_AWS_CACHE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/swarm-aws")))
            .unwrap_or_else(|| PathBuf::from("/root/.cache/swarm-aws"))
            .join("awscli-venv/bin"),
    };
    if dir.join("aws").is_file() && dir.join("python3").exists() {
        Ok(dir)
    } else {
        Err(ProviderError::NoAwsCli { dir })
    }
}
