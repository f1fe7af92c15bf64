//! Placement constraints (`--constraint node.labels.zone==a`) and preferences
//! (`--placement-pref spread=node.labels.zone`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// What a constraint compares against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum ConstraintKey {
    /// `node.id`
    NodeId,
    /// `node.hostname`
    NodeHostname,
    /// `node.role` (`manager` or `worker`)
    NodeRole,
    /// `node.platform.os`: the node's operating system as its engine reports it (`linux`).
    NodePlatformOs,
    /// `node.platform.arch`: the node's CPU architecture as its engine reports it (`x86_64`).
    NodePlatformArch,
    /// `node.labels.<name>`: labels set by an operator with `node update --label-add`.
    NodeLabel(String),
    /// `engine.labels.<name>`: labels of the Docker engine on the node.
    EngineLabel(String),
}

impl fmt::Display for ConstraintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstraintKey::NodeId => f.write_str("node.id"),
            ConstraintKey::NodeHostname => f.write_str("node.hostname"),
            ConstraintKey::NodeRole => f.write_str("node.role"),
            ConstraintKey::NodePlatformOs => f.write_str("node.platform.os"),
            ConstraintKey::NodePlatformArch => f.write_str("node.platform.arch"),
            ConstraintKey::NodeLabel(l) => write!(f, "node.labels.{l}"),
            ConstraintKey::EngineLabel(l) => write!(f, "engine.labels.{l}"),
        }
    }
}

impl ConstraintKey {
    /// Parses `node.id`, `node.hostname`, `node.role`, `node.platform.os|arch`, `node.labels.X`
    /// or `engine.labels.X`;
    /// `field` and `whole` name the flag and its full value in errors.
    pub fn parse(field: &str, whole: &str, key: &str) -> Result<Self, SpecError> {
        let key = key.trim();
        let label = |prefix: &str| -> Result<Option<String>, SpecError> {
            match key.strip_prefix(prefix) {
                Some("") => Err(SpecError::new(
                    field,
                    whole,
                    format!("label name missing after {prefix:?}"),
                    format!("write {prefix}<name>, e.g. {prefix}zone"),
                )),
                Some(name) => Ok(Some(name.to_string())),
                None => Ok(None),
            }
        };
        match key {
            "node.id" => return Ok(ConstraintKey::NodeId),
            "node.hostname" => return Ok(ConstraintKey::NodeHostname),
            "node.role" => return Ok(ConstraintKey::NodeRole),
            "node.platform.os" => return Ok(ConstraintKey::NodePlatformOs),
            "node.platform.arch" => return Ok(ConstraintKey::NodePlatformArch),
            _ => {}
        }
        if let Some(name) = label("node.labels.")? {
            return Ok(ConstraintKey::NodeLabel(name));
        }
        if let Some(name) = label("engine.labels.")? {
            return Ok(ConstraintKey::EngineLabel(name));
        }
        Err(SpecError::new(
            field,
            whole,
            format!("unknown attribute {key:?}"),
            "use node.id, node.hostname, node.role, node.platform.os, node.platform.arch, \
             node.labels.<name> or engine.labels.<name>",
        ))
    }
}

/// The comparison of a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// One placement constraint such as `node.role==manager`. On the wire it is that string, as
/// in Docker's API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Constraint {
    /// The node attribute compared.
    pub key: ConstraintKey,
    /// `==` or `!=`.
    pub op: ConstraintOp,
    /// The expected value (compared case-insensitively, as swarmkit does).
    pub value: String,
}

impl Constraint {
    /// Parses `--constraint` values such as `node.labels.zone==a` or `node.role != manager`.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        const FIELD: &str = "--constraint";
        let (key, op, rhs) = if let Some((k, v)) = value.split_once("==") {
            (k, ConstraintOp::Eq, v)
        } else if let Some((k, v)) = value.split_once("!=") {
            (k, ConstraintOp::Ne, v)
        } else {
            return Err(SpecError::new(
                FIELD,
                value,
                "no == or != operator",
                "write <attribute>==<value> or <attribute>!=<value>, e.g. node.labels.zone==a",
            ));
        };
        let rhs = rhs.trim();
        if rhs.is_empty() || rhs.contains("==") || rhs.contains("!=") {
            return Err(SpecError::new(
                FIELD,
                value,
                "missing or malformed value after the operator",
                "write <attribute>==<value>, e.g. node.role==manager",
            ));
        }
        let key = ConstraintKey::parse(FIELD, value, key)?;
        if key == ConstraintKey::NodeRole
            && !["manager", "worker"].contains(&rhs.to_ascii_lowercase().as_str())
        {
            return Err(SpecError::new(
                FIELD,
                value,
                format!("node.role is never {rhs:?}"),
                "compare node.role with manager or worker",
            ));
        }
        Ok(Constraint {
            key,
            op,
            value: rhs.to_string(),
        })
    }

    /// Does a node whose attribute has value `actual` (None: label absent) satisfy this?
    /// An absent label never equals anything and so always satisfies `!=`.
    pub fn matches(&self, actual: Option<&str>) -> bool {
        let equal = actual.is_some_and(|a| a.eq_ignore_ascii_case(&self.value));
        match self.op {
            ConstraintOp::Eq => equal,
            ConstraintOp::Ne => !equal,
        }
    }
}

impl TryFrom<String> for Constraint {
    type Error = SpecError;
    fn try_from(s: String) -> Result<Self, SpecError> {
        Constraint::parse(&s)
    }
}

impl From<Constraint> for String {
    fn from(c: Constraint) -> String {
        c.to_string()
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            ConstraintOp::Eq => "==",
            ConstraintOp::Ne => "!=",
        };
        write!(f, "{}{}{}", self.key, op, self.value)
    }
}

impl FromStr for Constraint {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        Constraint::parse(s)
    }
}

/// A placement preference: spread tasks evenly over the values of a node attribute.
/// Several preferences form a hierarchy (spread over zones, then over racks within a zone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlacementPreference {
    /// The attribute whose values are spread over, e.g. `node.labels.zone`.
    pub spread: ConstraintKey,
}

impl PlacementPreference {
    /// Parses `--placement-pref spread=node.labels.zone`.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        const FIELD: &str = "--placement-pref";
        let Some((strategy, key)) = value.split_once('=') else {
            return Err(SpecError::new(
                FIELD,
                value,
                "no strategy=attribute pair",
                "write spread=node.labels.<name>",
            ));
        };
        if strategy.trim() != "spread" {
            return Err(SpecError::new(
                FIELD,
                value,
                format!("unknown strategy {:?}", strategy.trim()),
                "the only strategy is spread, e.g. spread=node.labels.zone",
            ));
        }
        let spread = ConstraintKey::parse(FIELD, value, key)?;
        Ok(PlacementPreference { spread })
    }
}

impl fmt::Display for PlacementPreference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spread={}", self.spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_constraints() {
        let c = Constraint::parse("node.labels.zone==a").unwrap();
        assert_eq!(c.key, ConstraintKey::NodeLabel("zone".into()));
        assert_eq!(c.op, ConstraintOp::Eq);
        assert_eq!(c.value, "a");
        assert_eq!(c.to_string(), "node.labels.zone==a");
        let c = Constraint::parse("node.role != manager").unwrap();
        assert_eq!(
            (c.key.clone(), c.op),
            (ConstraintKey::NodeRole, ConstraintOp::Ne)
        );
        assert_eq!(c.to_string(), "node.role!=manager");
        let c = Constraint::parse("node.platform.os==linux").unwrap();
        assert_eq!(c.key, ConstraintKey::NodePlatformOs);
        assert_eq!(c.to_string(), "node.platform.os==linux");
        let c = Constraint::parse("node.platform.arch!=aarch64").unwrap();
        assert_eq!(c.key, ConstraintKey::NodePlatformArch);
        assert_eq!(c.to_string(), "node.platform.arch!=aarch64");
        let c = Constraint::parse("engine.labels.ssd==true").unwrap();
        assert_eq!(c.key, ConstraintKey::EngineLabel("ssd".into()));
        assert_eq!(
            Constraint::parse("node.hostname==h1").unwrap().key,
            ConstraintKey::NodeHostname
        );
        assert_eq!(
            Constraint::parse("node.id==abc").unwrap().key,
            ConstraintKey::NodeId
        );
    }

    #[test]
    fn rejects_bad_constraints_with_field_value_and_fix() {
        for bad in [
            "node.role=manager",
            "node.labels.==a",
            "node.color==red",
            "node.role==boss",
            "node.role==",
        ] {
            let e = Constraint::parse(bad).unwrap_err();
            assert_eq!(e.field, "--constraint");
            assert_eq!(e.value, bad);
            assert!(!e.fix.is_empty());
        }
    }

    #[test]
    fn matching_is_case_insensitive_and_absent_labels_only_match_ne() {
        let eq = Constraint::parse("node.labels.zone==A").unwrap();
        assert!(eq.matches(Some("a")));
        assert!(!eq.matches(Some("b")));
        assert!(!eq.matches(None));
        let ne = Constraint::parse("node.labels.zone!=a").unwrap();
        assert!(ne.matches(None));
        assert!(ne.matches(Some("b")));
        assert!(!ne.matches(Some("a")));
    }

    #[test]
    fn placement_preferences() {
        let p = PlacementPreference::parse("spread=node.labels.zone").unwrap();
        assert_eq!(p.spread, ConstraintKey::NodeLabel("zone".into()));
        assert_eq!(p.to_string(), "spread=node.labels.zone");
        assert!(PlacementPreference::parse("pack=node.labels.zone").is_err());
        assert!(PlacementPreference::parse("node.labels.zone").is_err());
    }
}
