//! Splitting docker-style `key=value,key=value` flag values (shared by `--mount` and `--publish`).

use crate::spec_error::SpecError;

/// Splits `a=1,b,c=3` into `(key, Some(value))` / `(key, None)` pairs, refusing empty keys.
pub(crate) fn split_pairs<'a>(
    field: &str,
    value: &'a str,
    fix: &str,
) -> Result<Vec<(&'a str, Option<&'a str>)>, SpecError> {
    let mut out = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(SpecError::new(
                field,
                value,
                "empty item between commas",
                fix,
            ));
        }
        match part.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => out.push((k.trim(), Some(v.trim()))),
            Some(_) => {
                return Err(SpecError::new(
                    field,
                    value,
                    format!("item {part:?} has no key"),
                    fix,
                ))
            }
            None => out.push((part, None)),
        }
    }
    Ok(out)
}

/// Parses a boolean option value: absent or `true`/`1`/`yes` is true, `false`/`0`/`no` false.
pub(crate) fn parse_bool(
    field: &str,
    whole: &str,
    key: &str,
    v: Option<&str>,
) -> Result<bool, SpecError> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None | Some("true") | Some("1") | Some("yes") => Ok(true),
        Some("false") | Some("0") | Some("no") => Ok(false),
        Some(other) => Err(SpecError::new(
            field,
            whole,
            format!("{key}={other} is not a boolean"),
            format!("write {key}, {key}=true or {key}=false"),
        )),
    }
}
