//! `swarm-aws docker-env`: like `docker-machine env`, prints `DOCKER_HOST`, `DOCKER_TLS_VERIFY`
//! and `DOCKER_CERT_PATH` for the cluster's local tunnel (started detached when none runs), with
//! the admin credentials written as `ca.pem`, `cert.pem`, `key.pem` for the docker CLI.
//! `--unset` prints the unsets and stops the tunnel.

use std::ffi::OsString;

use serde_json::json;

use super::api::cluster_name;
use super::shared::{print_json, print_text};
use crate::cli::{ApiTargetArgs, DockerEnvArgs, GlobalArgs, OutputFormat};
use crate::cluster_api::AdminCredentials;
use crate::tunnel::shell::{set_lines, unset_lines, VARS};
use crate::tunnel::{self, process, DockerEnv, TunnelError, TunnelRecord, DOCKER_DIR};
use crate::Error;

/// The command line of a detached `swarm-aws tunnel` for `cluster` (the global flags that
/// choose the account, then the verb).
fn tunnel_args(
    global: &GlobalArgs,
    target: &ApiTargetArgs,
    cluster: &str,
    port: Option<u16>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if let Some(r) = &global.region {
        args.extend(["--region".into(), r.into()]);
    }
    if let Some(p) = &global.profile {
        args.extend(["--profile".into(), p.into()]);
    }
    args.extend([
        "tunnel".into(),
        "--cluster".into(),
        cluster.into(),
        "--ssh-user".into(),
        target.ssh_user.clone().into(),
    ]);
    if let Some(p) = port {
        args.extend(["--port".into(), p.to_string().into()]);
    }
    args
}

/// The cluster's running tunnel, started detached when none runs (or when its process is
/// alive but its port does not answer).
fn ensure_tunnel(
    global: &GlobalArgs,
    target: &ApiTargetArgs,
    cluster: &str,
    port: Option<u16>,
) -> Result<TunnelRecord, Error> {
    let dir = tunnel::config_dir(cluster)?;
    if let Some(r) = process::running(&dir, cluster) {
        let pid = r.pid.unwrap_or_default();
        if let Some(asked) = port.filter(|p| *p != r.port) {
            return Err(TunnelError::OtherPort {
                cluster: cluster.into(),
                asked,
                port: r.port,
                pid,
            }
            .into());
        }
        if process::port_answers(r.port) {
            return Ok(r);
        }
        eprintln!("docker-env: the tunnel (pid {pid}) does not answer on its port; restarting it");
        process::stop(&dir, cluster)?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| TunnelError::Io {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    let exe = std::env::current_exe().map_err(|e| TunnelError::Io {
        path: "/proc/self/exe".into(),
        reason: e.to_string(),
    })?;
    let args = tunnel_args(global, target, cluster, port);
    let r = process::start_detached(&exe, &args, &dir, cluster)?;
    eprintln!(
        "docker-env: started the tunnel of {cluster}: 127.0.0.1:{} -> manager {} (pid {}; \
         `swarm-aws docker-env --unset --cluster {cluster}` stops it)",
        r.port,
        r.manager.as_deref().unwrap_or("?"),
        r.pid.unwrap_or_default()
    );
    Ok(r)
}

/// The tunnel running and the TLS files written: the docker CLI's environment for `cluster`.
pub(crate) fn prepare(
    global: &GlobalArgs,
    target: &ApiTargetArgs,
    cluster: &str,
    port: Option<u16>,
) -> Result<(DockerEnv, TunnelRecord), Error> {
    let record = ensure_tunnel(global, target, cluster, port)?;
    let dir = tunnel::config_dir(cluster)?;
    let docker_dir = dir.join(DOCKER_DIR);
    AdminCredentials::load_or_create(&dir)?.export_docker_files(&docker_dir)?;
    let env = DockerEnv::new(record.port, &docker_dir.display().to_string());
    Ok((env, record))
}

/// Runs `swarm-aws docker-env`.
pub async fn run(global: &GlobalArgs, args: &DockerEnvArgs) -> Result<(), Error> {
    let cluster = cluster_name(&args.target)?;
    if args.unset {
        let dir = tunnel::config_dir(&cluster)?;
        let stopped = process::stop(&dir, &cluster)?;
        match &stopped {
            Some(r) => eprintln!(
                "docker-env: stopped the tunnel of {cluster} (pid {}, 127.0.0.1:{})",
                r.pid.unwrap_or_default(),
                r.port
            ),
            None => eprintln!("docker-env: no tunnel of {cluster} runs"),
        }
        return match global.output {
            OutputFormat::Json => print_json(&json!({
                "unset": VARS,
                "stopped": stopped.map(|r| json!({"pid": r.pid, "port": r.port})),
            })),
            OutputFormat::Text => print_text(&unset_lines(args.shell, &cluster)),
        };
    }
    let (env, _) = prepare(global, &args.target, &cluster, args.port)?;
    match global.output {
        OutputFormat::Json => print_json(&env),
        OutputFormat::Text => print_text(&set_lines(args.shell, &env, &cluster)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_detached_tunnel_gets_the_account_flags_and_the_cluster() {
        let cli = crate::cli::Cli::try_parse_from([
            "swarm-aws",
            "--region",
            "eu-west-1",
            "docker-env",
            "--cluster",
            "prod",
            "--port",
            "4000",
        ])
        .unwrap();
        let crate::cli::Command::DockerEnv(a) = &cli.command else {
            panic!("not docker-env")
        };
        let args = tunnel_args(&cli.global, &a.target, "prod", a.port);
        let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "--region",
                "eu-west-1",
                "tunnel",
                "--cluster",
                "prod",
                "--ssh-user",
                crate::bootstrap::AWS_SSH_USER,
                "--port",
                "4000"
            ]
        );
        assert!(process::is_tunnel_cmdline(
            &["swarm-aws"]
                .iter()
                .chain(args.iter())
                .copied()
                .collect::<Vec<_>>()
                .join("\0")
                .into_bytes(),
            "prod"
        ));
    }
}
