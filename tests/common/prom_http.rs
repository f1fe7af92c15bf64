//! A Prometheus's HTTP API, read by the sandbox tests (`up --sandbox --monitoring`): plain
//! HTTP/1.0 over a `TcpStream`, so the tests need no HTTP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// `GET path` on `addr` (`ip:port`): the body when the answer is 200.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
}

/// `data` of an API answer with status `success`.
fn data(addr: &str, path: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(&http_get(addr, path)?).ok()?;
    (v["status"] == "success").then(|| v["data"].clone())
}

/// The active targets as (`host` label, health).
pub fn targets(addr: &str) -> Option<Vec<(String, String)>> {
    let d = data(addr, "/api/v1/targets?state=active")?;
    Some(
        d["activeTargets"]
            .as_array()?
            .iter()
            .map(|t| {
                (
                    t["labels"]["host"].as_str().unwrap_or("").to_string(),
                    t["health"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
    )
}

/// The values of the instant query `q`, as (`host` label, value).
pub fn query(addr: &str, q: &str) -> Option<Vec<(String, f64)>> {
    let enc: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let d = data(addr, &format!("/api/v1/query?query={enc}"))?;
    d["result"]
        .as_array()?
        .iter()
        .map(|r| {
            let host = r["metric"]["host"].as_str().unwrap_or("").to_string();
            Some((host, r["value"][1].as_str()?.parse().ok()?))
        })
        .collect()
}
