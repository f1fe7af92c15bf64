//! The container flags `service create` and `service update` share (Docker's names):
//! `--hostname`, `--user`, `--workdir`, `--read-only`, `--tty`, `--stop-grace-period`,
//! `--log-driver`, `--log-opt`, `--cap-add`, `--cap-drop`, `--init`, `--stop-signal`, the
//! healthcheck flags ([`crate::healthcheck::HealthFlags`]); plus the list flags `--group`/`--group-add`/`--group-rm`,
//! `--host`/`--host-add`/`--host-rm` and the `--env-file` format ([`parse_env_file`]).
//!
//! Raw strings in, a changed [`TaskSpec`] out; every bad value is a [`SpecError`] naming
//! the flag, the value and the fix.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::restart::parse_duration_ms;
use crate::service::{LogDriver, TaskSpec};
use crate::spec_error::SpecError;

/// The scalar container flags as given (None = not given: unchanged on update).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerFlags {
    /// `--hostname`
    #[serde(default)]
    pub hostname: Option<String>,
    /// `--user`, `-u`
    #[serde(default)]
    pub user: Option<String>,
    /// `--workdir`, `-w`
    #[serde(default)]
    pub workdir: Option<String>,
    /// `--read-only[=false]`
    #[serde(default)]
    pub read_only: Option<bool>,
    /// `--tty[=false]`, `-t`
    #[serde(default)]
    pub tty: Option<bool>,
    /// `--stop-grace-period` (e.g. 10s)
    #[serde(default)]
    pub stop_grace_period: Option<String>,
    /// `--log-driver`
    #[serde(default)]
    pub log_driver: Option<String>,
    /// `--log-opt k=v` (repeatable; needs `--log-driver`, as in Docker)
    #[serde(default)]
    pub log_opts: Vec<String>,
    /// `--cap-add CAP` (repeatable): add a kernel capability (and stop dropping it)
    #[serde(default)]
    pub cap_add: Vec<String>,
    /// `--cap-drop CAP` (repeatable): drop a kernel capability (and stop adding it)
    #[serde(default)]
    pub cap_drop: Vec<String>,
    /// `--init[=false]`
    #[serde(default)]
    pub init: Option<bool>,
    /// `--stop-signal` (e.g. SIGINT)
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// `--health-*`, `--no-healthcheck`
    #[serde(default)]
    pub health: crate::healthcheck::HealthFlags,
}

impl ContainerFlags {
    /// Applies the given flags to `task`.
    pub fn apply(&self, task: &mut TaskSpec) -> Result<(), SpecError> {
        let c = &mut task.container;
        if let Some(h) = &self.hostname {
            c.hostname = h.trim().to_string();
        }
        if let Some(u) = &self.user {
            c.user = u.trim().to_string();
        }
        if let Some(w) = &self.workdir {
            let w = w.trim();
            if !w.is_empty() && !w.starts_with('/') {
                return Err(SpecError::new(
                    "--workdir",
                    w,
                    "the working directory is not an absolute path",
                    "give --workdir /path/in/container",
                ));
            }
            c.dir = w.to_string();
        }
        if let Some(r) = self.read_only {
            c.read_only = r;
        }
        if let Some(t) = self.tty {
            c.tty = t;
        }
        if let Some(g) = &self.stop_grace_period {
            c.stop_grace_period_ms = Some(parse_duration_ms("--stop-grace-period", g)?);
        }
        if let Some(i) = self.init {
            c.init = Some(i);
        }
        if let Some(s) = &self.stop_signal {
            c.stop_signal = parse_signal("--stop-signal", s)?;
        }
        self.health.apply(&mut c.healthcheck)?;
        // As Docker's `service update`: an added capability is no longer dropped and the
        // other way round; the same on create, which starts from none.
        for v in &self.cap_add {
            let cap = parse_capability("--cap-add", v)?;
            c.cap_drop.retain(|d| *d != cap);
            if !c.cap_add.contains(&cap) {
                c.cap_add.push(cap);
            }
        }
        for v in &self.cap_drop {
            let cap = parse_capability("--cap-drop", v)?;
            c.cap_add.retain(|a| *a != cap);
            if !c.cap_drop.contains(&cap) {
                c.cap_drop.push(cap);
            }
        }
        match (&self.log_driver, self.log_opts.is_empty()) {
            (None, false) => {
                return Err(SpecError::new(
                    "--log-opt",
                    self.log_opts.join(","),
                    "log options need a log driver",
                    "add --log-driver NAME (e.g. json-file)",
                ))
            }
            (None, true) => {}
            (Some(name), _) => {
                let name = name.trim();
                if name.is_empty() {
                    return Err(SpecError::new(
                        "--log-driver",
                        name,
                        "the driver name is empty",
                        "give --log-driver json-file (or local, none, ...)",
                    ));
                }
                let mut d = LogDriver {
                    name: name.to_string(),
                    ..Default::default()
                };
                for o in &self.log_opts {
                    let (k, v) = crate::service::parse_label("--log-opt", o)?;
                    d.options.insert(k, v);
                }
                task.log_driver = Some(d);
            }
        }
        Ok(())
    }
}

/// Normalises one `--cap-add`/`--cap-drop` value as Docker does: upper case with the `CAP_`
/// prefix (`net_admin` -> `CAP_NET_ADMIN`), `ALL` as it is.
pub fn parse_capability(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim().to_ascii_uppercase();
    let name = v.strip_prefix("CAP_").unwrap_or(&v);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(SpecError::new(
            field,
            value,
            "not a capability name",
            format!("give {field} a capability such as NET_ADMIN (or ALL)"),
        ));
    }
    Ok(if name == "ALL" {
        "ALL".to_string()
    } else {
        format!("CAP_{name}")
    })
}

/// Checks a stop signal as Docker takes it: a name (`SIGINT`, `INT`, `SIGRTMIN+3`) or a
/// number; returned trimmed, empty for none (the image's).
pub fn parse_signal(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim();
    let ok = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-')
        && v.bytes().next().is_none_or(|b| b.is_ascii_alphanumeric())
        && v != "0";
    if !ok {
        return Err(SpecError::new(
            field,
            value,
            "not a signal name or number",
            format!("give {field} SIGINT (or a signal number such as 2)"),
        ));
    }
    Ok(v.to_string())
}

/// Checks one `--host host:ip` value (Docker's `--add-host` form) and returns it trimmed.
pub fn parse_host(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim();
    let fix = format!("write {field} HOST:IP, e.g. {field} db:10.0.0.5");
    let Some((host, ip)) = v.split_once(':') else {
        return Err(SpecError::new(field, value, "no IP address given", fix));
    };
    if host.is_empty() {
        return Err(SpecError::new(field, value, "the host name is empty", fix));
    }
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip.parse::<IpAddr>().is_err() {
        return Err(SpecError::new(
            field,
            value,
            format!("{ip:?} is not an IP address"),
            fix,
        ));
    }
    Ok(format!("{host}:{ip}"))
}

/// The host name of a `--host-rm` value (`host` or `host:ip`).
pub fn host_name(entry: &str) -> &str {
    entry.split_once(':').map_or(entry, |(h, _)| h).trim()
}

/// Checks one `--group` value (a group name or GID).
pub fn parse_group(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim();
    if v.is_empty() || v.contains(char::is_whitespace) {
        return Err(SpecError::new(
            field,
            value,
            "not a group name or GID",
            format!("write {field} GROUP, e.g. {field} audio or {field} 1001"),
        ));
    }
    Ok(v.to_string())
}

/// Parses the text of an `--env-file` (Docker's format): one `KEY=VALUE` per line, `#` lines
/// and blank lines skipped, a bare `KEY` takes its value from `lookup` (and is dropped when
/// unset there). `file` names the file in errors.
pub fn parse_env_file(
    file: &str,
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, SpecError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line.trim_end(), None),
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(SpecError::new(
                "--env-file",
                format!("{file}:{}", i + 1),
                format!("variable name {key:?} is empty or contains whitespace"),
                "write one KEY=VALUE per line",
            ));
        }
        match value {
            Some(v) => out.push(format!("{key}={v}")),
            None => {
                if let Some(v) = lookup(key) {
                    out.push(format!("{key}={v}"));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_flags_set_the_container_and_log_driver() {
        let mut t = TaskSpec::default();
        ContainerFlags {
            hostname: Some("web-host".into()),
            user: Some("1000:1000".into()),
            workdir: Some("/srv".into()),
            read_only: Some(true),
            tty: Some(true),
            stop_grace_period: Some("2s".into()),
            log_driver: Some("json-file".into()),
            log_opts: vec!["max-size=10m".into(), "max-file=3".into()],
            init: Some(true),
            stop_signal: Some("SIGQUIT".into()),
            health: crate::healthcheck::HealthFlags {
                cmd: Some("true".into()),
                ..Default::default()
            },
            ..Default::default()
        }
        .apply(&mut t)
        .unwrap();
        let c = &t.container;
        assert_eq!(
            (c.hostname.as_str(), c.user.as_str(), c.dir.as_str()),
            ("web-host", "1000:1000", "/srv")
        );
        assert!(c.read_only && c.tty);
        assert_eq!(c.stop_grace_period_ms, Some(2_000));
        assert_eq!((c.init, c.stop_signal.as_str()), (Some(true), "SIGQUIT"));
        assert_eq!(
            c.healthcheck.as_ref().map(|h| h.test.clone()),
            Some(vec!["CMD-SHELL".to_string(), "true".to_string()])
        );
        let d = t.log_driver.clone().unwrap();
        assert_eq!(d.name, "json-file");
        assert_eq!(d.options["max-size"], "10m");
        // Not given: unchanged; false clears.
        ContainerFlags {
            read_only: Some(false),
            ..Default::default()
        }
        .apply(&mut t)
        .unwrap();
        assert!(!t.container.read_only && t.container.tty);
    }

    #[test]
    fn capabilities_are_normalised_and_add_and_drop_undo_each_other() {
        let mut t = TaskSpec::default();
        ContainerFlags {
            cap_add: vec![
                "net_admin".into(),
                "CAP_SYS_TIME".into(),
                "net_admin".into(),
            ],
            cap_drop: vec!["all".into()],
            ..Default::default()
        }
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.container.cap_add, ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
        assert_eq!(t.container.cap_drop, ["ALL"]);
        // An update that drops an added capability and adds back a dropped one.
        ContainerFlags {
            cap_add: vec!["ALL".into()],
            cap_drop: vec!["sys_time".into()],
            ..Default::default()
        }
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.container.cap_add, ["CAP_NET_ADMIN", "ALL"]);
        assert_eq!(t.container.cap_drop, ["CAP_SYS_TIME"]);
        let e = ContainerFlags {
            cap_add: vec!["net admin".into()],
            ..Default::default()
        }
        .apply(&mut TaskSpec::default())
        .unwrap_err()
        .to_string();
        assert!(e.contains("--cap-add") && e.contains("net admin"), "{e}");
    }

    #[test]
    fn bad_values_name_the_flag() {
        let cases = [
            (
                ContainerFlags {
                    workdir: Some("srv".into()),
                    ..Default::default()
                },
                "--workdir",
            ),
            (
                ContainerFlags {
                    log_opts: vec!["max-size=1m".into()],
                    ..Default::default()
                },
                "--log-driver",
            ),
            (
                ContainerFlags {
                    stop_grace_period: Some("soon".into()),
                    ..Default::default()
                },
                "--stop-grace-period",
            ),
        ];
        for (f, needle) in cases {
            let e = f.apply(&mut TaskSpec::default()).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        assert_eq!(parse_host("--host", "db:10.0.0.5").unwrap(), "db:10.0.0.5");
        assert_eq!(parse_host("--host", "v6:[::1]").unwrap(), "v6:::1");
        for bad in ["db", ":10.0.0.5", "db:ten"] {
            let e = parse_host("--host-add", bad).unwrap_err().to_string();
            assert!(e.contains("--host-add") && e.contains(bad), "{e}");
        }
        assert_eq!(host_name("db:10.0.0.5"), "db");
        assert_eq!(parse_signal("--stop-signal", " SIGINT ").unwrap(), "SIGINT");
        assert_eq!(
            parse_signal("--stop-signal", "SIGRTMIN+3").unwrap(),
            "SIGRTMIN+3"
        );
        for bad in ["SIG INT", "0", "-9", "$HUP"] {
            let e = parse_signal("--stop-signal", bad).unwrap_err().to_string();
            assert!(e.contains("--stop-signal") && e.contains(bad), "{e}");
        }
        assert!(parse_group("--group", "a b").is_err());
    }

    #[test]
    fn env_files_read_as_docker_reads_them() {
        let text = "# comment\n\nA=1\nB=x y\n  C=with=equals\nFROM_ENV\nUNSET\n";
        let lookup = |k: &str| (k == "FROM_ENV").then(|| "here".to_string());
        let env = parse_env_file("a.env", text, &lookup).unwrap();
        assert_eq!(env, ["A=1", "B=x y", "C=with=equals", "FROM_ENV=here"]);
        let e = parse_env_file("a.env", "OK=1\nBAD KEY=1\n", &lookup)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.env:2"), "{e}");
    }
}
