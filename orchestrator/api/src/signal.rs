//! A stop signal as Docker takes it (`--stop-signal`, compose's `stop_signal`).

use crate::spec_error::SpecError;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_names_or_numbers() {
        assert_eq!(parse_signal("--stop-signal", " SIGINT ").unwrap(), "SIGINT");
        assert_eq!(
            parse_signal("--stop-signal", "SIGRTMIN+3").unwrap(),
            "SIGRTMIN+3"
        );
        for bad in ["SIG INT", "0", "-9", "$HUP"] {
            let e = parse_signal("--stop-signal", bad).unwrap_err().to_string();
            assert!(e.contains("--stop-signal") && e.contains(bad), "{e}");
        }
    }
}
