//! `KEY=VALUE` labels of the CLI flags (`--label`, `--container-label`, `--log-opt`) (pure).

use crate::spec_error::SpecError;

/// Parses a `KEY=VALUE` label (`--label`, `--container-label`); a bare `KEY` gets an empty value.
pub fn parse_label(field: &str, value: &str) -> Result<(String, String), SpecError> {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    if k.trim().is_empty() {
        return Err(SpecError::new(
            field,
            value,
            "label name is empty",
            format!("write {field} key=value"),
        ));
    }
    Ok((k.trim().to_string(), v.to_string()))
}
