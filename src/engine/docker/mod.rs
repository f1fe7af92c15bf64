//! The docker engine: Docker's own Swarm mode in each host's Docker engine, driven over the same
//! SSH connections as swarmd's bootstrap, with the docker CLI on the hosts.
//!
//! Design: [`command`] (pure) renders the remote docker command lines (the host's own engine
//! socket; join tokens on stdin), [`nodes`] (pure) parses docker's node and swarm state into the
//! bootstrap's types so the same planner and readiness check apply, [`host`] runs them on one
//! host, [`bootstrap`] and [`shrink`] are the cluster-wide steps, [`verbs`] (pure) maps our
//! `node` / `service` verbs onto docker's.
//!
//! Limits: the verbs run the docker CLI on a manager over SSH (its output is docker's own); the
//! kernel of the sandbox machine has no IPVS, so Docker's VIPs and routing mesh (`--publish`
//! through the ingress network) do not work there, while tasks, overlay networks and DNS do.
//! The join token is in `docker swarm join`'s argv on the joining host while it runs (docker
//! takes it no other way), never in what swarm-aws sends, prints or logs.

pub mod bootstrap;
pub mod command;
pub mod host;
pub mod nodes;
pub mod shrink;
pub mod verbs;

use std::io::Write;
use std::path::PathBuf;

use super::{ApiCluster, ClusterEngine, EngineKind};
use crate::bootstrap::{
    staying_managers, BootstrapHost, BootstrapOptions, BootstrapReport, LeaveReport, Member,
    NodeTable, ScalePlan,
};
use crate::cli::{GlobalArgs, NetworkVerb, NodeVerb, OutputFormat, ServiceVerb, StackVerb};
use crate::cluster_api::ClusterApiError;
use crate::inventory::Inventory;
use crate::provider::{HostProvider, Provider};
use crate::spec::FieldError;
use crate::Error;
use host::DockerHost;
use verbs::Unsupported;

/// Docker Swarm's cluster-management port.
pub const SWARM_PORT: u16 = 2377;

/// Docker Swarm mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct DockerEngine;

fn unsupported(e: Unsupported) -> Error {
    Error::Fields(vec![FieldError::new(e.field, e.value, e.fix)])
}

/// SSH settings of the verbs: the API options' key, known_hosts and user.
fn ssh_options(cluster: &ApiCluster) -> BootstrapOptions {
    let mut opts = BootstrapOptions::new(
        PathBuf::new(),
        cluster.api.key.clone(),
        cluster.api.known_hosts.clone(),
    );
    opts.connect = cluster.api.connect.clone();
    opts.progress = false;
    opts
}

/// One JSON array of docker's JSON lines (`--format '{{json .}}'` prints one document a line),
/// as `--output json` prints lists on swarmd; other output as it is (pure).
pub fn json_lines_to_array(stdout: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stdout);
    let docs: Result<Vec<serde_json::Value>, _> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect();
    match docs {
        Ok(docs) if docs.iter().all(|d| d.is_object()) => {
            let mut out = serde_json::to_vec(&docs).unwrap_or_default();
            out.push(b'\n');
            out
        }
        _ => stdout.to_vec(),
    }
}

/// Runs `docker ARGS` on the first manager that answers, its output passed through (JSON lines
/// made one array when `json`).
async fn run_on_manager(cluster: &ApiCluster, args: Vec<String>, json: bool) -> Result<(), Error> {
    let opts = ssh_options(cluster);
    let staying: Vec<&BootstrapHost> = cluster.managers.iter().collect();
    let mgr = shrink::answering_manager(&staying, &opts)
        .await
        .map_err(|e| ClusterApiError::NoManager {
            cluster: cluster.name.clone(),
            tried: vec![e.to_string()],
        })?;
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = mgr.docker_output(&words).await?;
    let stdout = if json {
        json_lines_to_array(&out.stdout)
    } else {
        out.stdout.clone()
    };
    std::io::stdout().write_all(&stdout)?;
    std::io::stdout().flush()?;
    if !out.success() {
        return Err(ClusterApiError::Verb {
            host: mgr.id.clone(),
            message: format!(
                "docker {} exited {}: {}",
                words.first().copied().unwrap_or_default(),
                out.exit_status,
                out.stderr_str().trim()
            ),
        }
        .into());
    }
    std::io::stderr().write_all(&out.stderr)?;
    Ok(())
}

impl ClusterEngine for DockerEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Docker
    }

    fn builds(&self) -> Result<Vec<PathBuf>, Error> {
        // The hosts bring the engine: nothing is installed.
        Ok(Vec::new())
    }

    async fn bootstrap(
        &self,
        hosts: &[BootstrapHost],
        opts: &BootstrapOptions,
    ) -> Result<BootstrapReport, Error> {
        Ok(bootstrap::bootstrap(hosts, opts).await?)
    }

    async fn node_table(
        &self,
        provider: &Provider,
        cluster: &str,
        inv: &Inventory,
        opts: &BootstrapOptions,
    ) -> Result<NodeTable, Error> {
        let managers = provider.managers(cluster, inv)?;
        let staying: Vec<&BootstrapHost> = managers.iter().collect();
        let mgr = shrink::answering_manager(&staying, opts).await?;
        Ok(mgr.node_table().await?)
    }

    async fn take_out(
        &self,
        hosts: &[BootstrapHost],
        plan: &ScalePlan,
        members: &[Member],
        opts: &BootstrapOptions,
    ) -> Result<Vec<LeaveReport>, Error> {
        let staying = staying_managers(hosts, plan, members);
        Ok(shrink::remove_nodes(hosts, &staying, &plan.leave, opts).await?)
    }

    async fn node(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NodeVerb,
    ) -> Result<(), Error> {
        let json = global.output == OutputFormat::Json;
        let args = verbs::node_args(&verb, json).map_err(unsupported)?;
        run_on_manager(cluster, args, json).await
    }

    async fn service(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: ServiceVerb,
    ) -> Result<(), Error> {
        let json = global.output == OutputFormat::Json;
        let args = verbs::service_args(&verb, json).map_err(unsupported)?;
        run_on_manager(cluster, args, json).await
    }

    async fn network(
        &self,
        global: &GlobalArgs,
        cluster: &ApiCluster,
        verb: NetworkVerb,
    ) -> Result<(), Error> {
        let json = global.output == OutputFormat::Json;
        run_on_manager(cluster, verbs::network_args(&verb, json), json).await
    }

    async fn stack(
        &self,
        _global: &GlobalArgs,
        _cluster: &ApiCluster,
        _verb: StackVerb,
    ) -> Result<(), Error> {
        // docker's `stack deploy` reads the compose file on the manager; copying the files
        // (and the .env, env_files and secret files beside them) over SSH is not built yet.
        Err(Error::NotImplemented("stack (on --engine docker)"))
    }

    async fn events(
        &self,
        cluster: &ApiCluster,
        args: swarm_ctl::EventsArgs,
        json: bool,
    ) -> Result<(), Error> {
        // Lines of `docker events --format '{{json .}}'` are already one object a line.
        let words = verbs::events_args(&args, json).map_err(unsupported)?;
        run_on_manager(cluster, words, false).await
    }
}

/// The docker host of `h` (for benches and tests that drive the engine directly).
pub async fn connect(h: &BootstrapHost, opts: &BootstrapOptions) -> Result<DockerHost, Error> {
    Ok(DockerHost::connect(h, opts).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_become_one_array_and_other_output_stays() {
        let lines = b"{\"ID\":\"a\"}\n{\"ID\":\"b\"}\n";
        let v: serde_json::Value = serde_json::from_slice(&json_lines_to_array(lines)).unwrap();
        assert_eq!(v, serde_json::json!([{"ID": "a"}, {"ID": "b"}]));
        assert_eq!(json_lines_to_array(b""), b"[]\n");
        let inspect = b"[\n  {\"ID\": \"a\"}\n]\n";
        assert_eq!(
            json_lines_to_array(inspect),
            inspect.to_vec(),
            "already a document"
        );
        assert_eq!(json_lines_to_array(b"web\n"), b"web\n".to_vec());
    }
}
