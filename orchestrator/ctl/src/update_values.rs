//! Checks of the values only `service update` takes (`--env-rm KEY`, `--publish-rm 80/udp`,
//! `--mount-rm /path`, `--host-rm HOST`), as clap value parsers use them
//! ([`crate::checked::Checked`]): a value in, the checked value out, or a [`SpecError`]
//! naming the flag, the value and the fix.

use swarm_api::container_values::host_name;
use swarm_api::publish::{PortConfig, Protocol};
use swarm_api::spec_error::SpecError;

/// Checks a `--env-add KEY=VALUE`-style value and returns (KEY, the value as given).
pub fn keyed(field: &str, value: &str) -> Result<(String, String), SpecError> {
    Ok((key_name(field, value)?, value.to_string()))
}

/// The name of a `--env-rm KEY` / `--label-rm KEY` value (or of `KEY=VALUE`).
pub fn key_name(field: &str, value: &str) -> Result<String, SpecError> {
    let k = value
        .split_once('=')
        .map(|(k, _)| k)
        .unwrap_or(value)
        .trim();
    if k.is_empty() {
        return Err(SpecError::new(
            field,
            value,
            "name is empty",
            format!("write {field} NAME"),
        ));
    }
    Ok(k.to_string())
}

/// Checks a `--mount-rm TARGET` value: a path.
pub fn mount_to_remove(field: &str, value: &str) -> Result<String, SpecError> {
    let target = value.trim();
    if target.is_empty() {
        return Err(SpecError::new(
            field,
            target,
            "target path is empty",
            "write --mount-rm /path/in/container",
        ));
    }
    Ok(target.to_string())
}

/// The host name of a `--host-rm HOST` (or `HOST:IP`) value.
pub fn host_to_remove(field: &str, value: &str) -> Result<String, SpecError> {
    let name = host_name(value);
    if name.is_empty() {
        return Err(SpecError::new(
            field,
            value,
            "the host name is empty",
            "write --host-rm HOST (or HOST:IP)",
        ));
    }
    Ok(name.to_string())
}

/// Parses `--publish-rm` values: `80`, `80/udp`, or a full `--publish` form (its target).
pub fn port_to_remove(field: &str, value: &str) -> Result<(u16, Protocol), SpecError> {
    if value.contains('=') || value.contains(':') {
        let p = PortConfig::parse(value).map_err(|mut e| {
            e.field = field.to_string();
            e
        })?;
        return Ok((p.target, p.protocol));
    }
    let (port, proto) = match value.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (value, None),
    };
    let protocol = match proto.map(|p| p.trim().to_ascii_lowercase()) {
        None => Protocol::Tcp,
        Some(p) if p == "tcp" => Protocol::Tcp,
        Some(p) if p == "udp" => Protocol::Udp,
        Some(_) => {
            return Err(SpecError::new(
                field,
                value,
                "unknown protocol",
                "write --publish-rm TARGET_PORT[/tcp|/udp], e.g. 80 or 53/udp",
            ))
        }
    };
    match port.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok((p, protocol)),
        _ => Err(SpecError::new(
            field,
            value,
            "not a port number from 1 to 65535",
            "write --publish-rm TARGET_PORT[/tcp|/udp], e.g. 80 or 53/udp",
        )),
    }
}
