//! Checks of one container setting each, shared by every source of a spec (the CLI's
//! flags in `swarm-ctl`, compose files): capabilities, `host:ip` entries, groups, the working
//! directory, the log driver, and the `--env-file` format ([`parse_env_file`]).
//!
//! A value in, the normalised value out; every bad value is a [`SpecError`] naming the field
//! (usually the docker flag), the value and the fix.

use std::net::IpAddr;

use crate::spec_error::SpecError;

/// Checks a `--workdir` value: empty (the image's) or an absolute path; returns it trimmed.
pub fn parse_workdir(field: &str, value: &str) -> Result<String, SpecError> {
    let w = value.trim();
    if !w.is_empty() && !w.starts_with('/') {
        return Err(SpecError::new(
            field,
            w,
            "the working directory is not an absolute path",
            "give --workdir /path/in/container",
        ));
    }
    Ok(w.to_string())
}

/// Checks a `--log-driver` name: not empty; returns it trimmed.
pub fn parse_log_driver(field: &str, value: &str) -> Result<String, SpecError> {
    let name = value.trim();
    if name.is_empty() {
        return Err(SpecError::new(
            field,
            name,
            "the driver name is empty",
            "give --log-driver json-file (or local, none, ...)",
        ));
    }
    Ok(name.to_string())
}

/// The error of `--log-opt` values given without a `--log-driver` (as Docker refuses them).
pub fn log_opts_without_driver(opts: &[String]) -> SpecError {
    SpecError::new(
        "--log-opt",
        opts.join(","),
        "log options need a log driver",
        "add --log-driver NAME (e.g. json-file)",
    )
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
    fn capabilities_are_normalised() {
        assert_eq!(
            parse_capability("--cap-add", "net_admin").unwrap(),
            "CAP_NET_ADMIN"
        );
        assert_eq!(
            parse_capability("--cap-add", "CAP_SYS_TIME").unwrap(),
            "CAP_SYS_TIME"
        );
        assert_eq!(parse_capability("--cap-drop", "all").unwrap(), "ALL");
        let e = parse_capability("--cap-add", "net admin")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--cap-add") && e.contains("net admin"), "{e}");
    }

    #[test]
    fn bad_values_name_the_flag() {
        assert!(parse_workdir("--workdir", "srv").is_err());
        assert_eq!(parse_workdir("--workdir", " /srv ").unwrap(), "/srv");
        assert!(parse_log_driver("--log-driver", " ").is_err());
        let e = log_opts_without_driver(&["max-size=1m".into()]).to_string();
        assert!(e.contains("--log-driver"), "{e}");
        assert_eq!(parse_host("--host", "db:10.0.0.5").unwrap(), "db:10.0.0.5");
        assert_eq!(parse_host("--host", "v6:[::1]").unwrap(), "v6:::1");
        for bad in ["db", ":10.0.0.5", "db:ten"] {
            let e = parse_host("--host-add", bad).unwrap_err().to_string();
            assert!(e.contains("--host-add") && e.contains(bad), "{e}");
        }
        assert_eq!(host_name("db:10.0.0.5"), "db");
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
