//! POSIX shell quoting for the few commands this layer builds itself (pure).

/// Quotes `s` for a POSIX shell: wrapped in single quotes, embedded single quotes escaped.
pub fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_hostile_strings_are_quoted() {
        assert_eq!(
            shell_quote("/usr/local/bin/swarmd"),
            "'/usr/local/bin/swarmd'"
        );
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(shell_quote("$(rm -rf /) `x`"), "'$(rm -rf /) `x`'");
        assert_eq!(shell_quote(""), "''");
    }
}
