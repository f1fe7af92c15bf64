//! The unvalidated spec: what the config file holds and what the flags (with their `SWARM_AWS_*`
//! environment variables) hold, each field optional, and their merge (flags win over the file).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// A cluster spec as written: every field optional, keys named like the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawSpec {
    /// `--name`
    pub name: Option<String>,
    /// `--region`
    pub region: Option<String>,
    /// `--azs`
    pub azs: Option<u32>,
    /// `--zones`
    pub zones: Option<Vec<String>>,
    /// `--managers`
    pub managers: Option<u32>,
    /// `--workers`
    pub workers: Option<u32>,
    /// `--manager-instance-type`
    pub manager_instance_type: Option<String>,
    /// `--worker-instance-type`
    pub worker_instance_type: Option<String>,
    /// `--manager-disk-size`
    pub manager_disk_size: Option<u32>,
    /// `--manager-disk-type`
    pub manager_disk_type: Option<String>,
    /// `--worker-disk-size`
    pub worker_disk_size: Option<u32>,
    /// `--worker-disk-type`
    pub worker_disk_type: Option<String>,
    /// `--key-name`
    pub key_name: Option<String>,
    /// `--ssh-public-key` (a path)
    pub ssh_public_key: Option<PathBuf>,
    /// `--ssh-cidr`
    pub ssh_cidr: Option<String>,
    /// `--allow-ssh-from-anywhere`
    pub allow_ssh_from_anywhere: Option<bool>,
    /// `--vpc-cidr`
    pub vpc_cidr: Option<String>,
    /// `--ami`
    pub ami: Option<String>,
    /// `--cloudwatch-logs`
    pub cloudwatch_logs: Option<bool>,
    /// `--publish`
    pub publish: Option<Vec<u32>>,
    /// `--tag` (a table in the file)
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Tags given as `KEY=VALUE` strings that have no `=`; kept to report them.
    #[serde(skip)]
    pub malformed_tags: Vec<String>,
}

/// What the spec is built from: the flags' values (with their environment variables, already
/// applied by the CLI layer) and the config file to read, if one was named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecInput {
    /// `--config`; `None` reads `./swarm-aws.toml` when it exists.
    pub config: Option<PathBuf>,
    /// The flags (and the global region), each unset field left to the file and the defaults.
    pub flags: RawSpec,
}

impl RawSpec {
    /// Parses a config file's text.
    pub fn from_toml(text: &str) -> Result<RawSpec, toml::de::Error> {
        toml::from_str(text)
    }

    /// Splits `KEY=VALUE` tags into the tag map, keeping the malformed ones to report them.
    pub fn set_tags<'a>(&mut self, tags: impl IntoIterator<Item = &'a String>) {
        for tag in tags {
            match tag.split_once('=') {
                Some((k, v)) => {
                    self.tags.insert(k.to_string(), v.to_string());
                }
                None => self.malformed_tags.push(tag.clone()),
            }
        }
    }

    /// This spec with every field that `over` sets taken from `over`. Zones given one way (count or
    /// names) in `over` replace both forms here, and so do the key-pair choices; tags are merged.
    pub fn overlay(mut self, over: RawSpec) -> RawSpec {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        if over.azs.is_some() || over.zones.is_some() {
            self.azs = None;
            self.zones = None;
        }
        if over.key_name.is_some() || over.ssh_public_key.is_some() {
            self.key_name = None;
            self.ssh_public_key = None;
        }
        take!(
            name,
            region,
            azs,
            zones,
            managers,
            workers,
            manager_instance_type,
            worker_instance_type,
            manager_disk_size,
            manager_disk_type,
            worker_disk_size,
            worker_disk_type,
            key_name,
            ssh_public_key,
            ssh_cidr,
            allow_ssh_from_anywhere,
            vpc_cidr,
            ami,
            cloudwatch_logs,
            publish
        );
        self.tags.extend(over.tags);
        self.malformed_tags.extend(over.malformed_tags);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_are_the_flag_names() {
        let raw = RawSpec::from_toml(
            r#"
            name = "prod"
            managers = 5
            worker-instance-type = "m7g.large"
            zones = ["eu-west-1a", "eu-west-1b"]
            publish = [80, 443]
            [tags]
            team = "web"
            "#,
        )
        .unwrap();
        assert_eq!(raw.name.as_deref(), Some("prod"));
        assert_eq!(raw.managers, Some(5));
        assert_eq!(raw.worker_instance_type.as_deref(), Some("m7g.large"));
        assert_eq!(raw.publish, Some(vec![80, 443]));
        assert_eq!(raw.tags["team"], "web");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_allowed_ones() {
        let err = RawSpec::from_toml("managres = 3").unwrap_err().to_string();
        assert!(err.contains("unknown field `managres`"), "{err}");
        assert!(err.contains("managers"), "{err}");
    }

    #[test]
    fn flags_override_file_and_zone_forms_replace_each_other() {
        let file = RawSpec {
            name: Some("file".into()),
            azs: Some(2),
            managers: Some(3),
            tags: [("a".to_string(), "1".to_string())].into(),
            ..Default::default()
        };
        let flags = RawSpec {
            name: Some("flag".into()),
            zones: Some(vec!["us-east-1a".into()]),
            tags: [("b".to_string(), "2".to_string())].into(),
            ..Default::default()
        };
        let merged = file.overlay(flags);
        assert_eq!(merged.name.as_deref(), Some("flag"));
        assert_eq!(merged.azs, None);
        assert_eq!(merged.zones, Some(vec!["us-east-1a".to_string()]));
        assert_eq!(merged.managers, Some(3));
        assert_eq!(merged.tags.len(), 2);
    }
}
