//! `up --sandbox` / `down --sandbox`: the whole product on this machine, no AWS account needed.
//!
//! `up --sandbox` starts the local AWS emulator when no endpoint is set (`localstack/start`),
//! creates the cluster's stack there exactly as `up` does on AWS, starts one local host per
//! instance the stack holds (network namespaces with a real `sshd`), and bootstraps `swarmd` onto
//! them over SSH. `down --sandbox` deletes the stack, removes the hosts and stops the emulator if
//! the sandbox started it and no other sandbox uses it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::shared::{print_json, print_text};
use crate::cli::{DownArgs, GlobalArgs, OutputFormat, UpArgs};
use crate::sandbox::{sandbox_state_root, Sandbox};
use crate::spec::load::load;
use crate::Error;

/// Cluster name when `--name` is not given.
pub const DEFAULT_NAME: &str = "sandbox";
/// The sandbox hosts' address range (see `sandbox::plan`): SSH is allowed from there only.
pub const SSH_CIDR: &str = "10.213.0.0/16";
/// Region of the emulated stack when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_MANAGERS: u32 = 3;
const DEFAULT_WORKERS: u32 = 2;

/// Runs `swarm-aws up --sandbox`.
pub async fn up(global: &GlobalArgs, args: &UpArgs) -> Result<(), Error> {
    let mut cluster = args.cluster.clone();
    cluster.name.get_or_insert_with(|| DEFAULT_NAME.into());
    cluster.ssh_cidr.get_or_insert_with(|| SSH_CIDR.into());
    cluster.managers.get_or_insert(DEFAULT_MANAGERS);
    cluster.workers.get_or_insert(DEFAULT_WORKERS);
    let mut global = global.clone();
    global.region.get_or_insert_with(|| DEFAULT_REGION.into());
    // Validate before starting anything.
    let spec = load(&cluster, global.region.as_deref())?;
    let swarmd = locate_swarmd()?;
    let started = ensure_emulator()?;
    if started {
        std::fs::create_dir_all(sandbox_state_root())?;
        std::fs::write(emulator_marker(&spec.name), b"")?;
    }

    let stack_args = UpArgs {
        cluster,
        no_bootstrap: true,
        sandbox: false,
        dry_run: args.dry_run,
        yes: args.yes,
    };
    super::up::run(&global, &stack_args).await?;
    if args.dry_run || args.no_bootstrap {
        return Ok(());
    }

    eprintln!(
        "sandbox: starting {} local host(s) with sshd and bootstrapping swarmd over SSH",
        spec.managers + spec.workers
    );
    let table = crate::bootstrap::sandbox_up(
        &spec.name,
        spec.managers as usize,
        spec.workers as usize,
        &swarmd,
    )
    .await
    .map_err(|e| Error::Sandbox(e.to_string()))?;
    let registry = Sandbox::new(&spec.name)
        .and_then(|sb| sb.registry_addr())
        .map_err(|e| Error::Sandbox(e.to_string()))?;
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "cluster": spec.name,
            "registry": registry.to_string(),
            "nodes": table,
        })),
        OutputFormat::Text => print_text(&format!(
            "\nNodes of sandbox cluster {}:\n{}\nImage registry: {registry} (docker tag IMAGE {registry}/IMAGE && docker push {registry}/IMAGE)\n\
             Remove it all with: swarm-aws down --sandbox --name {} --yes\n",
            spec.name,
            table.render(),
            spec.name
        )),
    }
}

/// Runs `swarm-aws down --sandbox`.
pub async fn down(global: &GlobalArgs, args: &DownArgs) -> Result<(), Error> {
    let mut global = global.clone();
    global.region.get_or_insert_with(|| DEFAULT_REGION.into());
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() && emulator_answers() {
        set_emulator_env(EMULATOR_URL);
    }
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        let stack_args = DownArgs {
            name: args.name.clone(),
            yes: args.yes,
            retain: args.retain.clone(),
            sandbox: false,
        };
        match super::down::run(&global, &stack_args).await {
            Ok(()) | Err(Error::Stack(crate::stack::StackError::NotFound { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    crate::bootstrap::sandbox_down(&args.name)
        .await
        .map_err(|e| Error::Sandbox(e.to_string()))?;
    eprintln!("sandbox: hosts of {} removed", args.name);
    let marker = emulator_marker(&args.name);
    if marker.exists() {
        std::fs::remove_file(&marker)?;
        let others = Sandbox::list_all(&sandbox_state_root()).unwrap_or_default();
        if others.is_empty() {
            run_script("stop")?;
            eprintln!("sandbox: stopped the local AWS emulator it had started");
        }
    }
    Ok(())
}

const EMULATOR_URL: &str = "http://127.0.0.1:4566";

/// For verbs on an existing sandbox (`scale --sandbox`, `bootstrap --sandbox`): the region
/// defaults to the sandbox's, and the emulator answering on 127.0.0.1:4566 is used unless
/// `AWS_ENDPOINT_URL` says otherwise. Fails when there is no emulator to talk to.
pub(super) fn use_sandbox_emulator(global: &GlobalArgs) -> Result<GlobalArgs, Error> {
    let mut global = global.clone();
    global.region.get_or_insert_with(|| DEFAULT_REGION.into());
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        if !emulator_answers() {
            return Err(Error::Sandbox(format!(
                "the local AWS emulator does not answer on {EMULATOR_URL}: the sandbox's stack lives \
                 there; start the sandbox with `swarm-aws up --sandbox` (or set AWS_ENDPOINT_URL)"
            )));
        }
        set_emulator_env(EMULATOR_URL);
    }
    Ok(global)
}

/// Makes sure an AWS endpoint is set: an explicit `AWS_ENDPOINT_URL` is used as it is; otherwise
/// an emulator already answering on 127.0.0.1:4566, or one started with `localstack/start`.
/// Returns whether this call started it.
fn ensure_emulator() -> Result<bool, Error> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        return Ok(false);
    }
    let (url, started) = if emulator_answers() {
        (EMULATOR_URL.to_string(), false)
    } else {
        eprintln!("sandbox: starting the local AWS emulator (localstack/start)");
        let out = run_script("start")?;
        let url = out
            .lines()
            .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
            .ok_or_else(|| Error::Sandbox(format!("localstack/start printed no endpoint: {out}")))?
            .trim()
            .to_string();
        (url, true)
    };
    set_emulator_env(&url);
    Ok(started)
}

/// Points the AWS SDK at the emulator, with the throw-away credentials it accepts when the user
/// has none. Called before any SDK client exists and before other tasks run.
fn set_emulator_env(url: &str) {
    std::env::set_var("AWS_ENDPOINT_URL", url);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none()
    {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
}

fn emulator_answers() -> bool {
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:4566".parse().expect("a socket address"),
        std::time::Duration::from_millis(300),
    )
    .is_ok()
}

fn emulator_marker(cluster: &str) -> PathBuf {
    sandbox_state_root().join(format!("{cluster}.emulator-started"))
}

/// The emulator harness: `$SWARM_AWS_LOCALSTACK_DIR`, else the checkout this binary was built from.
fn localstack_dir() -> PathBuf {
    std::env::var_os("SWARM_AWS_LOCALSTACK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack"))
}

fn run_script(name: &str) -> Result<String, Error> {
    let script = localstack_dir().join(name);
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| Error::Sandbox(format!("cannot run {}: {e}", script.display())))?;
    if !out.status.success() {
        return Err(Error::Sandbox(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `swarmd` binary to install: the first of `$SWARMD_BIN`, else the one built next to this
/// binary.
pub(super) fn locate_swarmd() -> Result<PathBuf, Error> {
    Ok(locate_swarmd_builds()?.remove(0))
}

/// Every `swarmd` build to choose from by architecture: `$SWARMD_BIN` (paths separated by `:`,
/// e.g. an x86_64 and an aarch64 build), else the one built next to this binary. Never empty.
pub(super) fn locate_swarmd_builds() -> Result<Vec<PathBuf>, Error> {
    if let Some(list) = std::env::var_os("SWARMD_BIN") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Ok(paths);
        }
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("swarmd")))
        .filter(|p| p.is_file());
    sibling.map(|p| vec![p]).ok_or_else(|| {
        Error::Sandbox(
            "the swarmd binary is not next to swarm-aws; build it with `cargo build --workspace` (or set SWARMD_BIN)".into(),
        )
    })
}
