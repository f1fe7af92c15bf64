//! The machine's real `docker` CLI pointed at a swarmd manager's docker socket
//! (`DOCKER_HOST=unix://STATE/docker.sock`, an empty config of its own, no context), and raw
//! requests on that socket.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{Node, Out};

/// The docker CLI against `node`'s docker socket, with an empty config of its own.
pub fn docker(node: &Node, args: &[&str]) -> Out {
    let sock = node.dir.join("docker.sock");
    let config = node.dir.join("docker-cli-config");
    std::fs::create_dir_all(&config).expect("docker config dir");
    let o = docker_cmd(&sock, &config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the docker CLI");
    Out {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn docker_cmd(sock: &Path, config: &Path) -> Command {
    let mut cmd = Command::new("docker");
    cmd.env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env_remove("DOCKER_API_VERSION");
    cmd
}

/// An HTTP/1.0 answer's status code (0: none) and body.
fn status_and_body(answer: &str) -> (u16, &str) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body)
}

/// One raw HTTP request on the docker socket: the status and the JSON body.
pub fn raw(node: &Node, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut s = std::os::unix::net::UnixStream::connect(node.dir.join("docker.sock"))
        .expect("connect to docker.sock");
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    let (status, body) = status_and_body(&answer);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `GET path` on the docker socket: the status and the body as text.
pub fn raw_text(node: &Node, path: &str) -> (u16, String) {
    let mut s = std::os::unix::net::UnixStream::connect(node.dir.join("docker.sock"))
        .expect("connect to docker.sock");
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    write!(s, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (status, body) = status_and_body(&answer);
    (status, body.to_string())
}
