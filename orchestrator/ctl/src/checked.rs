//! clap value parsers built from swarm-api's checks, so a flag's value is typed when clap
//! parses it (durations in ms, counts, memory in bytes, CPUs in nano-CPUs, constraints, ...).
//!
//! [`Checked`] wraps a check `fn(field, value) -> Result<T, SpecError>`; the field it passes is
//! the flag's long name (`--update-delay`, `--rollback-order`), so one check serves both twins
//! of a prefixed flag set. A refused value is a clap error (exit 2) whose text is the check's
//! own: `invalid --update-delay "10": ... (fix: ...)`.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::mount::Mount;
use swarm_api::publish::PortConfig;
use swarm_api::restart::RestartCondition;
use swarm_api::spec_error::SpecError;

/// A flag's value: as checked, and as typed (its [`Display`](std::fmt::Display)).
#[derive(Debug, Clone, PartialEq)]
pub struct Given<T> {
    /// The checked value.
    pub value: T,
    /// The text given.
    pub text: String,
}

impl<T> std::fmt::Display for Given<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The value of an optional flag.
pub fn value<T: Clone>(g: &Option<Given<T>>) -> Option<T> {
    g.as_ref().map(|g| g.value.clone())
}

/// The values of a repeatable flag, in order.
pub fn values<T: Clone>(g: &[Given<T>]) -> Vec<T> {
    g.iter().map(|g| g.value.clone()).collect()
}

/// A clap value parser from a swarm-api check (see the module doc).
#[derive(Clone, Copy)]
pub struct Checked<T>(pub fn(&str, &str) -> Result<T, SpecError>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = Given<T>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Given<T>, clap::Error> {
        let field = arg
            .and_then(|a| a.get_long())
            .map(|l| format!("--{l}"))
            .unwrap_or_else(|| "value".into());
        let text = value.to_string_lossy().into_owned();
        match (self.0)(&field, &text) {
            Ok(value) => Ok(Given { value, text }),
            Err(mut e) => {
                e.field = field;
                Err(clap::Error::raw(ErrorKind::ValueValidation, format!("{e}\n")).with_cmd(cmd))
            }
        }
    }
}

/// A duration (`10s`, `1m30s`) in milliseconds.
pub fn duration() -> Checked<u64> {
    Checked(swarm_api::restart::parse_duration_ms)
}

/// A whole number of 0 or more.
pub fn count() -> Checked<u64> {
    Checked(swarm_api::update_policy::parse_count)
}

/// A memory size (`64M`) in bytes.
pub fn memory() -> Checked<i64> {
    Checked(swarm_api::resources::parse_memory)
}

/// A number of CPUs (`0.5`) in nano-CPUs.
pub fn cpu() -> Checked<i64> {
    Checked(swarm_api::resources::parse_cpu)
}

/// A `key=value` label (or log option).
pub fn label() -> Checked<(String, String)> {
    Checked(swarm_api::label::parse_label)
}

/// A placement constraint (`node.role==worker`).
pub fn constraint() -> Checked<Constraint> {
    Checked(|_: &str, v: &str| Constraint::parse(v))
}

/// A placement preference (`spread=node.labels.zone`).
pub fn placement_pref() -> Checked<PlacementPreference> {
    Checked(|_: &str, v: &str| PlacementPreference::parse(v))
}

/// A mount (`type=volume,source=data,target=/data`).
pub fn mount() -> Checked<Mount> {
    Checked(|_: &str, v: &str| Mount::parse(v))
}

/// A published port (`8080:80`, `published=8080,target=80,mode=host`).
pub fn publish() -> Checked<PortConfig> {
    Checked(|_: &str, v: &str| PortConfig::parse(v))
}

/// A restart condition (`none`, `on-failure`, `any`).
pub fn restart_condition() -> Checked<RestartCondition> {
    Checked(|_: &str, v: &str| RestartCondition::parse(v))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[arg(long, value_parser = duration())]
        update_delay: Option<Given<u64>>,
        #[arg(long, value_parser = memory())]
        limit_memory: Option<Given<i64>>,
    }

    #[test]
    fn values_are_typed_and_errors_name_the_flag() {
        let c =
            Cli::try_parse_from(["x", "--update-delay", "1m30s", "--limit-memory", "64M"]).unwrap();
        assert_eq!(
            (value(&c.update_delay), value(&c.limit_memory)),
            (Some(90_000), Some(64 << 20))
        );
        assert_eq!(c.update_delay.unwrap().to_string(), "1m30s");
        let e = Cli::try_parse_from(["x", "--update-delay", "10"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(text.contains("invalid --update-delay \"10\""), "{text}");
        assert!(text.contains("fix:"), "{text}");
    }
}
