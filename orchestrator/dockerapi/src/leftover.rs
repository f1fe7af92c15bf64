//! Unsupported fields, found by round trip: a docker spec is converted to swarmd's and back,
//! and every field of the request that is set (not null, false, 0, "", [] or {}) but did not
//! survive the round trip is one swarmd cannot honour. The docker CLI always sends some
//! zero-valued fields (`"Init": false`, `"DNSConfig": {}`); those pass, so the request is
//! accepted exactly when nothing it asks for would be silently dropped.

use serde_json::Value;

/// Whether `v` is docker's zero value (what Go's `omitempty` would leave out).
pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_zero),
    }
}

/// The first field of `asked` (a path such as `TaskTemplate.ContainerSpec.Healthcheck`)
/// that is set but differs in `kept`, with the value asked for.
pub fn first_dropped(asked: &Value, kept: &Value) -> Option<(String, Value)> {
    walk(asked, kept, String::new())
}

fn walk(asked: &Value, kept: &Value, path: String) -> Option<(String, Value)> {
    if is_zero(asked) {
        return None;
    }
    match (asked, kept) {
        (Value::Object(a), Value::Object(k)) => a.iter().find_map(|(key, v)| {
            let sub = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            walk(v, k.get(key).unwrap_or(&Value::Null), sub)
        }),
        (Value::Array(a), Value::Array(k)) if a.len() == k.len() => a
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (x, y))| walk(x, y, format!("{path}[{i}]"))),
        (Value::Number(a), Value::Number(k)) if a.as_f64() == k.as_f64() => None,
        _ if asked == kept => None,
        _ => Some((path, asked.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zero_fields_pass_and_set_ones_are_named() {
        let asked = json!({"A": {"Init": false, "DNSConfig": {}, "Image": "x"}, "B": [1, 2]});
        let kept = json!({"A": {"Image": "x"}, "B": [1, 2], "C": 5});
        assert_eq!(first_dropped(&asked, &kept), None);
        let asked = json!({"A": {"Init": true, "Image": "x"}});
        assert_eq!(
            first_dropped(&asked, &kept),
            Some(("A.Init".to_string(), json!(true)))
        );
        let asked = json!({"B": [1, 3]});
        assert_eq!(
            first_dropped(&asked, &kept),
            Some(("B[1]".into(), json!(3)))
        );
        assert_eq!(first_dropped(&json!({"B": [1.0, 2]}), &kept), None);
    }
}
