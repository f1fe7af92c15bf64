//! Paths of the control API routes the verbs call, with the key percent-encoded (pure).

/// Percent-encodes a path segment (a node or service id, prefix or name).
pub fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/v1/nodes/KEY[/verb]`.
pub fn node(key: &str, verb: &str) -> String {
    if verb.is_empty() {
        format!("/v1/nodes/{}", encode(key))
    } else {
        format!("/v1/nodes/{}/{verb}", encode(key))
    }
}

/// `/v1/services/KEY[/verb]`.
pub fn service(key: &str, verb: &str) -> String {
    if verb.is_empty() {
        format!("/v1/services/{}", encode(key))
    } else {
        format!("/v1/services/{}/{verb}", encode(key))
    }
}

/// `/v1/networks/KEY[/verb]`.
pub fn network(key: &str, verb: &str) -> String {
    if verb.is_empty() {
        format!("/v1/networks/{}", encode(key))
    } else {
        format!("/v1/networks/{}/{verb}", encode(key))
    }
}

/// `/v1/services/KEY/logs[?tail=N]`.
pub fn service_logs(key: &str, tail: Option<usize>) -> String {
    match tail {
        Some(n) => format!("{}?tail={n}", service(key, "logs")),
        None => service(key, "logs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(node("m1", ""), "/v1/nodes/m1");
        assert_eq!(node("a b", "rm"), "/v1/nodes/a%20b/rm");
        assert_eq!(service("web", "update"), "/v1/services/web/update");
        assert_eq!(service_logs("web", Some(5)), "/v1/services/web/logs?tail=5");
        assert_eq!(service("../x", ""), "/v1/services/..%2Fx");
    }
}
