//! The sandbox's AWS: the local emulator on 127.0.0.1:4566 (moto, started with
//! `localstack/start`), or the endpoint `AWS_ENDPOINT_URL` names. The endpoint goes into the SDK
//! options ([`crate::aws::AwsOptions::endpoint_url`]); the process environment is not changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ProviderError;
use crate::sandbox::sandbox_state_root;

/// Where the emulator listens when nobody says otherwise.
pub const EMULATOR_URL: &str = "http://127.0.0.1:4566";

/// How a verb uses the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmulatorUse {
    /// Start it when none answers (`up`).
    Start,
    /// It must answer: the sandbox's stack lives there (`scale`, `bootstrap`, `node`).
    Existing,
    /// Use it if it answers; if not, the stack went with it (`down`).
    IfRunning,
}

/// The emulator this verb talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emulator {
    /// The endpoint to set on the SDK, or `None` when `AWS_ENDPOINT_URL` already says it.
    pub endpoint_url: Option<String>,
    /// Whether this call started it.
    pub started: bool,
    /// Whether it answers (always, except for [`EmulatorUse::IfRunning`]).
    pub answers: bool,
}

/// Finds (or starts) the emulator for `usage`.
pub fn emulator(usage: EmulatorUse) -> Result<Emulator, ProviderError> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        return Ok(Emulator {
            endpoint_url: None,
            started: false,
            answers: true,
        });
    }
    let here = |answers| Emulator {
        endpoint_url: Some(EMULATOR_URL.to_string()),
        started: false,
        answers,
    };
    if answers() {
        return Ok(here(true));
    }
    match usage {
        EmulatorUse::IfRunning => Ok(here(false)),
        EmulatorUse::Existing => Err(ProviderError::EmulatorDown {
            url: EMULATOR_URL.into(),
        }),
        EmulatorUse::Start => {
            eprintln!("sandbox: starting the local AWS emulator (localstack/start)");
            let out = run_script("start")?;
            let url = out
                .lines()
                .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
                .ok_or_else(|| ProviderError::EmulatorScript {
                    script: localstack_dir().join("start"),
                    detail: format!("printed no endpoint: {out}"),
                })?
                .trim()
                .to_string();
            Ok(Emulator {
                endpoint_url: Some(url),
                started: true,
                answers: true,
            })
        }
    }
}

/// The endpoint the sandbox's AWS answers on: `AWS_ENDPOINT_URL`, else [`EMULATOR_URL`].
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| EMULATOR_URL.to_string())
}

/// Whether the user's credential chain has anything to offer; when not, the emulator gets
/// throw-away static credentials (it accepts any).
pub fn user_has_credentials(profile: Option<&str>) -> bool {
    profile.is_some()
        || std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        || std::env::var_os("AWS_PROFILE").is_some()
}

fn answers() -> bool {
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:4566".parse().expect("a socket address"),
        std::time::Duration::from_millis(300),
    )
    .is_ok()
}

/// The file that says the sandbox of `cluster` started the emulator.
pub fn marker(cluster: &str) -> PathBuf {
    sandbox_state_root().join(format!("{cluster}.emulator-started"))
}

/// Records that the sandbox of `cluster` started the emulator.
pub fn mark_started(cluster: &str) -> Result<(), ProviderError> {
    let root = sandbox_state_root();
    let local = |e: std::io::Error| ProviderError::Local {
        path: marker(cluster),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(&root).map_err(local)?;
    std::fs::write(marker(cluster), b"").map_err(local)
}

/// Stops the emulator if the sandbox of `cluster` started it and no other sandbox is left.
/// Returns whether it stopped it.
pub fn stop_if_ours(cluster: &str, others_left: bool) -> Result<bool, ProviderError> {
    let marker = marker(cluster);
    if !marker.exists() {
        return Ok(false);
    }
    std::fs::remove_file(&marker).map_err(|e| ProviderError::Local {
        path: marker.clone(),
        detail: e.to_string(),
    })?;
    if others_left {
        return Ok(false);
    }
    run_script("stop")?;
    Ok(true)
}

/// The emulator harness: `$SWARM_AWS_LOCALSTACK_DIR`, else the checkout this binary was built from.
fn localstack_dir() -> PathBuf {
    std::env::var_os("SWARM_AWS_LOCALSTACK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack"))
}

fn run_script(name: &str) -> Result<String, ProviderError> {
    let script = localstack_dir().join(name);
    let fail = |detail: String| ProviderError::EmulatorScript {
        script: script.clone(),
        detail,
    };
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
