//! Who the caller is, from `sts:GetCallerIdentity`'s ARN, as the IAM entity whose policies the
//! preflight simulates (pure).
//!
//! `SimulatePrincipalPolicy` takes a user, group or role ARN. An assumed-role session
//! (`arn:aws:sts::123456789012:assumed-role/Deploy/ci`) is simulated as its role; the session ARN
//! carries no role path, so a role with a path is looked up by name first (`iam:GetRole`). The
//! account root cannot be simulated (it may do everything IAM policies govern), nor can a
//! federated-user session.

/// The caller as the preflight sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An IAM user: simulate this ARN.
    User {
        /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
        arn: String,
        /// The user name (last path segment).
        name: String,
    },
    /// A role session: simulate the role.
    Role {
        /// `arn:aws:iam::ACCOUNT:role/NAME` (without the role's path, which the session ARN lacks).
        arn: String,
        /// The role name.
        name: String,
    },
    /// The account root user: IAM policies do not limit it.
    Root,
    /// Something IAM cannot simulate (a federated-user session, an unknown shape).
    Unsupported(String),
}

/// The principal behind a caller ARN.
pub fn principal(caller_arn: &str) -> Principal {
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Principal::Unsupported(caller_arn.to_string());
    }
    let (partition, service, account, resource) = (parts[1], parts[2], parts[4], parts[5]);
    let user = |arn: String| {
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        Principal::User { arn, name }
    };
    match (service, resource.split_once('/')) {
        (_, None) if resource == "root" => Principal::Root,
        ("iam", Some(("user", _))) => user(caller_arn.to_string()),
        // moto answers GetCallerIdentity with an `sts` service in a user ARN.
        ("sts", Some(("user", rest))) => {
            user(format!("arn:{partition}:iam::{account}:user/{rest}"))
        }
        ("sts", Some(("assumed-role", rest))) => match rest.split_once('/') {
            Some((role, _session)) if !role.is_empty() => Principal::Role {
                arn: format!("arn:{partition}:iam::{account}:role/{role}"),
                name: role.to_string(),
            },
            _ => Principal::Unsupported(caller_arn.to_string()),
        },
        ("iam", Some(("role", rest))) => Principal::Role {
            arn: caller_arn.to_string(),
            name: rest.rsplit('/').next().unwrap_or_default().to_string(),
        },
        _ => Principal::Unsupported(caller_arn.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_map_to_the_entity_to_simulate() {
        assert_eq!(
            principal("arn:aws:iam::123456789012:user/ops/alice"),
            Principal::User {
                arn: "arn:aws:iam::123456789012:user/ops/alice".into(),
                name: "alice".into()
            }
        );
        assert_eq!(
            principal("arn:aws:sts::123456789012:user/moto"),
            Principal::User {
                arn: "arn:aws:iam::123456789012:user/moto".into(),
                name: "moto".into()
            }
        );
        assert_eq!(
            principal("arn:aws-cn:sts::123456789012:assumed-role/Deploy/ci-42"),
            Principal::Role {
                arn: "arn:aws-cn:iam::123456789012:role/Deploy".into(),
                name: "Deploy".into()
            }
        );
        assert_eq!(principal("arn:aws:iam::123456789012:root"), Principal::Root);
        assert!(matches!(
            principal("arn:aws:sts::123456789012:federated-user/bob"),
            Principal::Unsupported(_)
        ));
        assert!(matches!(principal("nonsense"), Principal::Unsupported(_)));
    }
}
