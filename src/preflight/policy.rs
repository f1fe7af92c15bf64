//! The caller's own identity policies, evaluated here when the endpoint cannot simulate (pure).
//!
//! AWS's `SimulatePrincipalPolicy` is the preflight's check. An endpoint that does not implement it
//! (moto 5.2.5 answers HTTP 500) but knows the caller's policies (moto enforcing IAM) gets the
//! same question answered from the documents IAM returns: an explicit `Deny` wins, else an
//! `Allow` whose `Action` (or `NotAction`) matches, else the implicit deny. Actions match
//! case-insensitively with `*` and `?`, as IAM matches them.
//!
//! Limits (the simulator does these; this does not): statements with a `Condition` are left out
//! (no request context to evaluate them against), `Resource`/`NotResource` are taken to match (the
//! preflight asks about `*`), and permission boundaries, session policies and organization SCPs
//! are not read.

use serde_json::Value;

/// The outcome for one action, in the simulator's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` matches and no `Deny` does.
    Allowed,
    /// A `Deny` matches.
    ExplicitDeny,
    /// Nothing matches.
    ImplicitDeny,
}

impl Decision {
    /// The simulator's `EvalDecision` text.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    /// Parses the simulator's `EvalDecision` (unknown text counts as a deny).
    pub fn parse(text: &str) -> Decision {
        match text {
            "allowed" => Decision::Allowed,
            "explicitDeny" => Decision::ExplicitDeny,
            _ => Decision::ImplicitDeny,
        }
    }
}

/// One statement, reduced to what the evaluation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    /// `Action` patterns, or `NotAction` patterns when `negated`.
    patterns: Vec<String>,
    negated: bool,
}

/// A parsed policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Parses a policy document as IAM returns it (URL-encoded JSON, or plain JSON).
pub fn parse(document: &str) -> Result<Policy, String> {
    let text = if document.trim_start().starts_with('{') {
        document.to_string()
    } else {
        percent_encoding::percent_decode_str(document)
            .decode_utf8()
            .map_err(|e| format!("not URL-encoded UTF-8: {e}"))?
            .into_owned()
    };
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Err("no Statement".into()),
    };
    let mut out = Vec::new();
    for s in statements {
        if s.get("Condition").is_some() {
            continue;
        }
        let allow = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            other => return Err(format!("statement with Effect {other:?}")),
        };
        let (field, negated) = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) => (a, false),
            (None, Some(a)) => (a, true),
            _ => return Err("statement needs exactly one of Action and NotAction".into()),
        };
        let patterns = match field {
            Value::String(p) => vec![p.clone()],
            Value::Array(list) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => return Err("Action is neither a string nor a list".into()),
        };
        out.push(Statement {
            allow,
            patterns,
            negated,
        });
    }
    Ok(Policy { statements: out })
}

/// The decision for `action` under every policy in `policies` together.
pub fn decide(policies: &[Policy], action: &str) -> Decision {
    let mut allowed = false;
    for s in policies.iter().flat_map(|p| &p.statements) {
        let hit = s.patterns.iter().any(|p| matches(p, action)) != s.negated;
        if !hit {
            continue;
        }
        if !s.allow {
            return Decision::ExplicitDeny;
        }
        allowed = true;
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

/// IAM's action match: case-insensitive, `*` any run, `?` one character.
pub fn matches(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let a: Vec<char> = action.to_ascii_lowercase().chars().collect();
    // Classic wildcard matching with one backtrack point for the last `*`.
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == a[ai]) {
            pi += 1;
            ai += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ai));
            pi += 1;
        } else if let Some((sp, sa)) = star {
            pi = sp + 1;
            ai = sa + 1;
            star = Some((sp, sa + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(matches("ec2:*", "ec2:CreateVpc"));
        assert!(matches("EC2:create*", "ec2:CreateVpc"));
        assert!(matches("*", "iam:PassRole"));
        assert!(matches("ec2:Describe?pcs", "ec2:DescribeVpcs"));
        assert!(matches(
            "cloudformation:*Stack*",
            "cloudformation:DescribeStackEvents"
        ));
        assert!(!matches("ec2:Create*", "ec2:DeleteVpc"));
        assert!(!matches("ec2:CreateVpc", "ec2:CreateVpcEndpoint"));
        assert!(!matches("ec2", "ec2:CreateVpc"));
    }

    #[test]
    fn deny_wins_and_nothing_is_an_implicit_deny() {
        let allow = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","cloudformation:Describe*"],"Resource":"*"}]}"#,
        )
        .unwrap();
        let deny =
            parse(r#"{"Statement":{"Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}}"#)
                .unwrap();
        let both = [allow.clone(), deny];
        assert_eq!(decide(&both, "ec2:CreateVpc"), Decision::Allowed);
        assert_eq!(decide(&both, "ec2:DeleteVpc"), Decision::ExplicitDeny);
        assert_eq!(
            decide(&both, "cloudformation:CreateStack"),
            Decision::ImplicitDeny
        );
        assert_eq!(decide(&[], "ec2:CreateVpc"), Decision::ImplicitDeny);
    }

    #[test]
    fn not_action_conditions_and_url_encoding() {
        // As IAM returns documents: URL-encoded.
        let p = parse("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22NotAction%22%3A%22iam%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D").unwrap();
        assert_eq!(
            decide(std::slice::from_ref(&p), "ec2:CreateVpc"),
            Decision::Allowed
        );
        assert_eq!(decide(&[p], "iam:PassRole"), Decision::ImplicitDeny);
        // A conditional allow is not counted (no request context here).
        let c = parse(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#).unwrap();
        assert_eq!(decide(&[c], "ec2:CreateVpc"), Decision::ImplicitDeny);
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"Statement":[{"Effect":"Maybe","Action":"*"}]}"#).is_err());
    }
}
