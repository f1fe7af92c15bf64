//! Variable interpolation as the compose specification defines it, on the parsed YAML tree:
//! `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
//! `${VAR:?error}` / `${VAR?error}` (required), `${VAR:+alt}` / `${VAR+alt}`, and `$$` for a
//! literal `$`. Defaults may themselves hold `${...}`. Only values are interpolated, not keys.
//!
//! A variable that is unset and has no default is an error naming it and the key path (compose
//! warns and substitutes an empty string; a silently empty image or password is worse than a
//! clear refusal). A value that interpolation changed into a plain number or boolean becomes
//! one, so `replicas: ${N:-3}` is a number.

use serde_yaml::Value;

use crate::error::ComposeError;

/// Looks a variable up (the process environment over `.env`).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Interpolates every string value of `v` in place; `path` is the key path of `v`.
pub fn interpolate_tree(v: &mut Value, path: &str, lookup: Lookup) -> Result<(), ComposeError> {
    match v {
        Value::String(s) if s.contains('$') => {
            let out = interpolate(s, lookup).map_err(|m| ComposeError::key(path, m.0, m.1))?;
            *v = retype(out);
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, &format!("{path}[{i}]"), lookup)?;
            }
        }
        Value::Mapping(m) => {
            for (k, item) in m.iter_mut() {
                let key = key_text(k);
                let p = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                interpolate_tree(item, &p, lookup)?;
            }
        }
        Value::Tagged(t) => interpolate_tree(&mut t.value, path, lookup)?,
        _ => {}
    }
    Ok(())
}

/// The text of a mapping key as it appears in a key path.
pub fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        _ => "?".into(),
    }
}

fn retype(s: String) -> Value {
    if let Ok(n) = s.parse::<u64>() {
        return Value::Number(n.into());
    }
    if let Ok(n) = s.parse::<i64>() {
        return Value::Number(n.into());
    }
    if s.contains('.') && !s.starts_with('.') && !s.ends_with('.') {
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                return Value::Number(f.into());
            }
        }
    }
    match s.as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(s),
    }
}

/// (message, fix) of a failed interpolation.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure(pub String, pub String);

/// Interpolates one string.
pub fn interpolate(s: &str, lookup: Lookup) -> Result<String, Failure> {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let start = i + 2;
                let end = matching_brace(&chars, start).ok_or_else(|| {
                    Failure(
                        format!("{s:?}: unterminated ${{ (no closing }})"),
                        "close the variable with } or write $$ for a literal $".into(),
                    )
                })?;
                let inner: String = chars[start..end].iter().collect();
                out.push_str(&expand(&inner, lookup)?);
                i = end + 1;
            }
            Some(&n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                out.push_str(&required(&name, lookup)?);
                i = j;
            }
            _ => {
                return Err(Failure(
                    format!("{s:?}: invalid interpolation format (a $ not followed by a name)"),
                    "write $$ for a literal $".into(),
                ))
            }
        }
    }
    Ok(out)
}

fn matching_brace(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 1;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn required(name: &str, lookup: Lookup) -> Result<String, Failure> {
    lookup(name).ok_or_else(|| {
        Failure(
            format!("variable {name} is not set and has no default"),
            format!("set {name} in the environment or in .env, or write ${{{name}:-default}}"),
        )
    })
}

fn expand(inner: &str, lookup: Lookup) -> Result<String, Failure> {
    let name_end = inner
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(Failure(
            format!("${{{inner}}}: invalid variable name"),
            "a variable name is letters, digits and _, not starting with a digit".into(),
        ));
    }
    let value = lookup(name);
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":?") {
        (":?", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if rest.is_empty() {
        ("", "")
    } else {
        (&rest[..1], &rest[1..])
    };
    match op {
        "" => required(name, lookup),
        ":-" if set_nonempty => Ok(value.unwrap_or_default()),
        ":-" => interpolate(arg, lookup),
        "-" => match value {
            Some(v) => Ok(v),
            None => interpolate(arg, lookup),
        },
        ":?" | "?" => {
            let ok = if op == ":?" {
                set_nonempty
            } else {
                value.is_some()
            };
            if ok {
                Ok(value.unwrap_or_default())
            } else {
                let msg = interpolate(arg, lookup)?;
                Err(Failure(
                    format!("required variable {name} is missing a value: {msg}"),
                    format!("set {name} in the environment or in .env"),
                ))
            }
        }
        ":+" if set_nonempty => interpolate(arg, lookup),
        ":+" => Ok(String::new()),
        "+" if value.is_some() => interpolate(arg, lookup),
        "+" => Ok(String::new()),
        _ => Err(Failure(
            format!("${{{inner}}}: invalid interpolation format"),
            "use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} or ${VAR:+alt}".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("1.25".into()),
            "EMPTY" => Some(String::new()),
            "N" => Some("3".into()),
            _ => None,
        }
    }

    fn i(s: &str) -> Result<String, Failure> {
        interpolate(s, &env)
    }

    #[test]
    fn every_form() {
        assert_eq!(i("nginx:${TAG}").unwrap(), "nginx:1.25");
        assert_eq!(i("nginx:$TAG-x").unwrap(), "nginx:1.25-x");
        assert_eq!(i("${UNSET:-def}").unwrap(), "def");
        assert_eq!(i("${EMPTY:-def}").unwrap(), "def");
        assert_eq!(i("${EMPTY-def}").unwrap(), "");
        assert_eq!(i("${UNSET-def}").unwrap(), "def");
        assert_eq!(i("${UNSET:-${TAG}}").unwrap(), "1.25");
        assert_eq!(i("${TAG:+set}|${UNSET:+set}").unwrap(), "set|");
        assert_eq!(i("cost $$5 and $${TAG}").unwrap(), "cost $5 and ${TAG}");
        assert_eq!(i("${TAG:?need a tag}").unwrap(), "1.25");
    }

    #[test]
    fn failures_name_the_variable() {
        let e = i("${NOPE}").unwrap_err();
        assert!(e.0.contains("NOPE is not set"), "{e:?}");
        let e = i("$NOPE").unwrap_err();
        assert!(e.0.contains("NOPE"), "{e:?}");
        let e = i("${EMPTY:?give a password}").unwrap_err();
        assert!(
            e.0.contains("EMPTY") && e.0.contains("give a password"),
            "{e:?}"
        );
        assert!(i("${EMPTY?x}").is_ok());
        assert!(i("${TAG").unwrap_err().0.contains("unterminated"));
        assert!(i("a $ b").is_err());
    }

    #[test]
    fn tree_paths_and_retyping() {
        let mut v: Value = serde_yaml::from_str(
            "services:\n  web:\n    deploy:\n      replicas: ${N}\n    image: x:${NOPE}\n",
        )
        .unwrap();
        let e = interpolate_tree(&mut v, "", &env).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("services.web.image: variable NOPE"),
            "{e}"
        );
        let mut v: Value = serde_yaml::from_str("replicas: ${N}\nname: ${TAG}x").unwrap();
        interpolate_tree(&mut v, "", &env).unwrap();
        assert_eq!(v["replicas"], Value::Number(3u64.into()));
        assert_eq!(v["name"], Value::String("1.25x".into()));
    }
}
