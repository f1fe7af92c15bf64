//! The `.env` file beside the first compose file: `KEY=VALUE` lines (`#` comments, blank
//! lines, an optional `export `, single- or double-quoted values), used for interpolation.
//! Variables of the process environment win over `.env`, as in compose.

use std::collections::BTreeMap;

use crate::error::ComposeError;

/// Parses the text of a `.env` file named `file`.
pub fn parse_dotenv(file: &str, text: &str) -> Result<BTreeMap<String, String>, ComposeError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(ComposeError::File {
                path: format!("{file}:{}", i + 1),
                message: format!("{line:?} is not KEY=VALUE"),
                fix: "write one KEY=VALUE per line".into(),
            });
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return Err(ComposeError::File {
                path: format!("{file}:{}", i + 1),
                message: format!("{k:?} is not a variable name"),
                fix: "use letters, digits and _".into(),
            });
        }
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v[1..v.len() - 1].to_string()
        } else {
            // An unquoted value ends at " #" (an inline comment).
            v.split(" #").next().unwrap_or("").trim_end().to_string()
        };
        out.insert(k.to_string(), v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_forms() {
        let m = parse_dotenv(
            ".env",
            "# c\nTAG=1.25\nexport PW=\"a b\" \nQ='x#y'\nN=3 # three\nE=\n",
        )
        .unwrap();
        assert_eq!(m["TAG"], "1.25");
        assert_eq!(m["PW"], "a b");
        assert_eq!(m["Q"], "x#y");
        assert_eq!(m["N"], "3");
        assert_eq!(m["E"], "");
        let e = parse_dotenv(".env", "A=1\nnot a line\n").unwrap_err();
        assert!(e.to_string().starts_with(".env:2:"), "{e}");
    }
}
