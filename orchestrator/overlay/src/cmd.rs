//! Runs the system tools the data plane still uses: `nft` (through `nsenter`) and `iptables`.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::error::OverlayError;

/// Runs `prog args`, feeding `stdin` if given; answers stdout, or the error with stderr.
pub async fn run(prog: &str, args: &[&str], stdin: Option<&str>) -> Result<String, OverlayError> {
    let line = format!("{prog} {}", args.join(" "));
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| OverlayError::Command {
        command: line.clone(),
        stderr: e.to_string(),
    })?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes())
            .await
            .map_err(|e| OverlayError::Command {
                command: line.clone(),
                stderr: e.to_string(),
            })?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| OverlayError::Command {
            command: line.clone(),
            stderr: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(OverlayError::Command {
            command: line,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `prog args` in the network namespace of process `pid`.
pub async fn in_netns(
    pid: u32,
    prog: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, OverlayError> {
    let pid = pid.to_string();
    let mut all = vec!["-t", pid.as_str(), "-n", prog];
    all.extend_from_slice(args);
    run("nsenter", &all, stdin).await
}
