//! Test support: builds the `swarm-test/web` image (`FROM scratch` + the static
//! `swarm-test-web` binary of this crate) on the local Docker daemon. No registry needed.
//!
//! The binary is built with `cargo build --release --target x86_64-unknown-linux-gnu` and
//! `RUSTFLAGS=-C target-feature=+crt-static` into its own target directory (so a test running
//! under `cargo test` does not wait on its own build lock), then `docker build` tags it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The default tag of the test image.
pub const IMAGE: &str = "swarm-test/web:v1";

/// Why the image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A command could not be started.
    #[error("cannot run {cmd}: {source}")]
    Spawn {
        /// The command.
        cmd: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A command failed.
    #[error("{cmd} failed with {status}: {stderr}")]
    Failed {
        /// The command.
        cmd: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The tail of its stderr.
        stderr: String,
    },
    /// File system trouble.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn run(cmd: &mut Command) -> Result<(), BuildError> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|source| BuildError::Spawn {
        cmd: shown.clone(),
        source,
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(BuildError::Failed {
            cmd: shown,
            status: out.status,
            stderr: tail,
        });
    }
    Ok(())
}

/// The workspace root (two levels above this crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the static server binary into `target_dir` and returns its path.
pub fn build_binary(target_dir: &Path) -> Result<PathBuf, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    run(Command::new(cargo)
        .current_dir(workspace_root())
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env("CARGO_TARGET_DIR", target_dir)
        .args([
            "build",
            "--offline",
            "--release",
            "--target",
            "x86_64-unknown-linux-gnu",
            "-p",
            "swarm-testimg",
            "--bin",
            "swarm-test-web",
        ]))?;
    Ok(target_dir.join("x86_64-unknown-linux-gnu/release/swarm-test-web"))
}

/// Builds the binary (under `target_dir`) and the image `tag` from it; idempotent.
pub fn build_image(target_dir: &Path, tag: &str) -> Result<(), BuildError> {
    build_variant(target_dir, tag, &[])
}

/// Like [`build_image`], with extra arguments baked into the entrypoint (e.g.
/// `["--exit-immediately"]` for an image whose containers exit at once, or
/// `["--version", "v2"]`).
pub fn build_variant(target_dir: &Path, tag: &str, args: &[&str]) -> Result<(), BuildError> {
    let bin = build_binary(target_dir)?;
    let ctx = target_dir.join(format!("image-context-{}", std::process::id()));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { path, source }
    };
    std::fs::create_dir_all(&ctx).map_err(io(&ctx))?;
    std::fs::copy(&bin, ctx.join("web")).map_err(io(&bin))?;
    let dockerfile = ctx.join("Dockerfile");
    std::fs::write(
        &dockerfile,
        format!(
            "FROM scratch\nCOPY web /web\nEXPOSE 80\nENTRYPOINT {}\n",
            entrypoint(args)
        ),
    )
    .map_err(io(&dockerfile))?;
    let result = run(Command::new("docker")
        .arg("build")
        .arg("-q")
        .arg("-t")
        .arg(tag)
        .arg(&ctx));
    let _ = std::fs::remove_dir_all(&ctx);
    result
}

/// The JSON exec form of the entrypoint: `["/web", args...]`.
fn entrypoint(args: &[&str]) -> String {
    let quoted: Vec<String> = std::iter::once("/web")
        .chain(args.iter().copied())
        .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("[{}]", quoted.join(", "))
}
