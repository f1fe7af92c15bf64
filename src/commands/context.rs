//! `swarm-aws context create|rm`: a docker context for the cluster, made with the real docker
//! CLI (`docker context create NAME --docker host=tcp://127.0.0.1:PORT,ca=,cert=,key=`) over
//! the same tunnel and TLS files as `docker-env`.

use super::api::cluster_name;
use super::docker_env::prepare;
use super::shared::print_text;
use crate::cli::{ContextArgs, ContextVerb, GlobalArgs};
use crate::tunnel::{self, docker_cli, process, DOCKER_DIR};
use crate::Error;

/// The default context name of `cluster`.
pub fn default_context(cluster: &str) -> String {
    format!("swarm-aws-{cluster}")
}

/// Runs `swarm-aws context ...`.
pub async fn run(global: &GlobalArgs, args: &ContextArgs) -> Result<(), Error> {
    // Before anything starts: without the docker CLI there is nothing to do.
    let docker = docker_cli::docker()?;
    let cluster = cluster_name(&args.target)?;
    match &args.verb {
        ContextVerb::Create {
            name,
            description,
            port,
        } => {
            let context = name.clone().unwrap_or_else(|| default_context(&cluster));
            let (env, record) = prepare(global, &args.target, &cluster, *port)?;
            let dir = tunnel::config_dir(&cluster)?.join(DOCKER_DIR);
            let description = description.clone().unwrap_or_else(|| {
                format!("swarm-aws cluster {cluster} (SSH tunnel to its leader)")
            });
            let out = docker_cli::run(
                &docker,
                &[
                    "context".into(),
                    "create".into(),
                    context.clone(),
                    "--description".into(),
                    description,
                    "--docker".into(),
                    docker_cli::endpoint_value(&env.docker_host, &dir),
                ],
            )?;
            print_text(&out)?;
            eprintln!(
                "context {context}: {} (tunnel pid {}); use it with `docker --context {context} \
                 ...` or `docker context use {context}`",
                env.docker_host,
                record.pid.unwrap_or_default()
            );
            Ok(())
        }
        ContextVerb::Rm {
            name,
            force,
            stop_tunnel,
        } => {
            let context = name.clone().unwrap_or_else(|| default_context(&cluster));
            let mut argv = vec!["context".to_string(), "rm".into()];
            if *force {
                argv.push("--force".into());
            }
            argv.push(context.clone());
            print_text(&docker_cli::run(&docker, &argv)?)?;
            let dir = tunnel::config_dir(&cluster)?;
            if *stop_tunnel {
                match process::stop(&dir, &cluster)? {
                    Some(r) => eprintln!(
                        "context {context} removed; stopped the tunnel of {cluster} (pid {}, \
                         127.0.0.1:{})",
                        r.pid.unwrap_or_default(),
                        r.port
                    ),
                    None => eprintln!("context {context} removed; no tunnel of {cluster} ran"),
                }
            } else if let Some(r) = process::running(&dir, &cluster) {
                eprintln!(
                    "context {context} removed; the tunnel of {cluster} stays (pid {}, \
                     127.0.0.1:{}): stop it with `swarm-aws docker-env --unset --cluster \
                     {cluster}`",
                    r.pid.unwrap_or_default(),
                    r.port
                );
            } else {
                eprintln!("context {context} removed; no tunnel of {cluster} runs");
            }
            Ok(())
        }
    }
}
