//! Running the real docker CLI for `swarm-aws context`: finding it on PATH, the `--docker`
//! endpoint value of `docker context create`, and its invocation.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::{io_err, TunnelError};

/// The first executable file `name` in the dirs of `path` (a `PATH` value; pure but for the
/// file checks).
pub fn find_on_path(name: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// The docker CLI on this machine's PATH, or [`TunnelError::NoDocker`].
pub fn docker() -> Result<PathBuf, TunnelError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_on_path("docker", &path).ok_or_else(|| TunnelError::NoDocker {
        path: path.to_string_lossy().into_owned(),
    })
}

/// One CSV field as docker's `--docker` flag reads it: quoted when it holds a comma or a quote
/// (quotes doubled).
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The `--docker` value of `docker context create` for `host` and the TLS files in `cert_dir`
/// (pure): `host=...,ca=DIR/ca.pem,cert=DIR/cert.pem,key=DIR/key.pem`.
pub fn endpoint_value(host: &str, cert_dir: &Path) -> String {
    let file = |name: &str| cert_dir.join(name).display().to_string();
    [
        format!("host={host}"),
        format!("ca={}", file("ca.pem")),
        format!("cert={}", file("cert.pem")),
        format!("key={}", file("key.pem")),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

/// Runs `docker ARGS` and returns its stdout; a failure carries its stderr.
pub fn run(docker: &Path, args: &[String]) -> Result<String, TunnelError> {
    let out = Command::new(docker)
        .args(args)
        .output()
        .map_err(|e| io_err(docker, e))?;
    if !out.status.success() {
        return Err(TunnelError::Docker {
            args: args.join(" "),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_fields_are_csv() {
        assert_eq!(
            endpoint_value("tcp://127.0.0.1:4000", Path::new("/c/docker")),
            "host=tcp://127.0.0.1:4000,ca=/c/docker/ca.pem,cert=/c/docker/cert.pem,\
             key=/c/docker/key.pem"
        );
        assert_eq!(
            endpoint_value("tcp://127.0.0.1:1", Path::new("/a,b")),
            "host=tcp://127.0.0.1:1,\"ca=/a,b/ca.pem\",\"cert=/a,b/cert.pem\",\"key=/a,b/key.pem\""
        );
        assert_eq!(csv_field("k=a\"b"), "\"k=a\"\"b\"");
    }

    #[test]
    fn only_executables_on_path_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("docker"), "").unwrap(); // not executable
        std::fs::write(b.join("docker"), "").unwrap();
        std::fs::set_permissions(b.join("docker"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(find_on_path("docker", &path), Some(b.join("docker")));
        assert_eq!(find_on_path("docker", OsStr::new("/nonexistent")), None);
    }
}
