//! One host's Docker engine, driven over SSH with the docker CLI: its swarm state, the swarm
//! verbs the bootstrap and shrink need, and waiting on the node table.

use std::time::{Duration, Instant};

use super::command::{docker_command, join_command};
use super::nodes::{parse_inspect, LocalSwarm};
use crate::bootstrap::{
    BootstrapError, BootstrapHost, BootstrapOptions, NodeRole, NodeTable, RemoteLayout,
};
use crate::ssh::{ExecOutput, SshClient};

/// A host whose engine is reached over SSH.
#[derive(Clone)]
pub struct DockerHost {
    /// Inventory id (for messages).
    pub id: String,
    /// The SSH connection.
    pub ssh: SshClient,
    /// Where the host keeps its env file (the engine's socket).
    pub layout: RemoteLayout,
}

impl DockerHost {
    /// Connects to `h` over SSH.
    pub async fn connect(
        h: &BootstrapHost,
        opts: &BootstrapOptions,
    ) -> Result<DockerHost, BootstrapError> {
        let ssh = SshClient::connect(h.ssh_addr, &opts.key, &opts.known_hosts, &opts.connect)
            .await
            .map_err(|source| BootstrapError::Ssh {
                host: h.id.clone(),
                step: format!("connect to {}", h.ssh_addr),
                source,
            })?;
        Ok(DockerHost {
            id: h.id.clone(),
            ssh,
            layout: h.layout.clone(),
        })
    }

    async fn exec(
        &self,
        step: &str,
        cmd: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, BootstrapError> {
        self.ssh
            .exec_with_stdin(cmd, stdin)
            .await
            .map_err(|source| BootstrapError::Ssh {
                host: self.id.clone(),
                step: step.to_string(),
                source,
            })
    }

    /// Runs `docker ARGS` and returns its output, whatever the exit status.
    pub async fn docker_output(&self, args: &[&str]) -> Result<ExecOutput, BootstrapError> {
        let step = format!("docker {}", args.join(" "));
        self.exec(&step, &docker_command(&self.layout, args), None)
            .await
    }

    /// Runs `docker ARGS`; a non-zero exit is an error naming the step and stderr.
    pub async fn docker(&self, args: &[&str]) -> Result<String, BootstrapError> {
        let out = self.docker_output(args).await?;
        if !out.success() {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step: format!("docker {}", args.join(" ")),
                detail: format!("exit {}: {}", out.exit_status, out.stderr_str().trim()),
            });
        }
        Ok(out.stdout_str())
    }

    /// The engine's own view of its swarm membership.
    pub async fn local_swarm(&self) -> Result<LocalSwarm, BootstrapError> {
        let out = self
            .docker(&["info", "--format", "{{json .Swarm}}"])
            .await?;
        LocalSwarm::parse(&out).map_err(|e| BootstrapError::Remote {
            host: self.id.clone(),
            step: "docker info".into(),
            detail: format!("unreadable swarm state ({e}): {}", out.trim()),
        })
    }

    /// `docker node inspect` of every node, as a table (on a manager).
    pub async fn node_table(&self) -> Result<NodeTable, BootstrapError> {
        let ids = self.docker(&["node", "ls", "-q"]).await?;
        let mut args = vec!["node", "inspect"];
        args.extend(ids.split_whitespace());
        let json = self.docker(&args).await?;
        parse_inspect(&json).map_err(|e| BootstrapError::Remote {
            host: self.id.clone(),
            step: "docker node inspect".into(),
            detail: format!("unreadable node list: {e}"),
        })
    }

    /// Polls the node table until `ok` holds, for at most `timeout`.
    pub async fn wait_nodes(
        &self,
        step: &str,
        timeout: Duration,
        ok: impl Fn(&NodeTable) -> bool,
    ) -> Result<NodeTable, BootstrapError> {
        let start = Instant::now();
        loop {
            let last = match self.node_table().await {
                Ok(t) if ok(&t) => return Ok(t),
                Ok(t) => t.render(),
                Err(e) => e.to_string(),
            };
            if start.elapsed() >= timeout {
                return Err(BootstrapError::Timeout {
                    host: self.id.clone(),
                    step: step.to_string(),
                    waited: timeout,
                    detail: last,
                });
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// `docker swarm init` advertising `ip` (the cluster port on it).
    pub async fn init(&self, ip: &str) -> Result<(), BootstrapError> {
        let listen = format!("{ip}:{}", super::SWARM_PORT);
        self.docker(&[
            "swarm",
            "init",
            "--advertise-addr",
            ip,
            "--listen-addr",
            &listen,
        ])
        .await
        .map(drop)
    }

    /// The join token of `role` (secret: never printed or logged).
    pub async fn join_token(&self, role: NodeRole) -> Result<String, BootstrapError> {
        let role = role.to_string();
        let out = self.docker(&["swarm", "join-token", "-q", &role]).await?;
        let token = out.trim().to_string();
        if !token.starts_with("SWMTKN-") {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step: format!("docker swarm join-token {role}"),
                detail: "the answer is not a join token".into(),
            });
        }
        Ok(token)
    }

    /// `docker swarm join` through `manager_addr`, the token passed on stdin.
    pub async fn join(
        &self,
        token: &str,
        advertise_ip: &str,
        manager_addr: &str,
    ) -> Result<(), BootstrapError> {
        let step = format!("docker swarm join {manager_addr}");
        let line = format!("{token}\n");
        let out = self
            .exec(
                &step,
                &join_command(&self.layout, advertise_ip, manager_addr),
                Some(line.as_bytes()),
            )
            .await?;
        if !out.success() {
            return Err(BootstrapError::Remote {
                host: self.id.clone(),
                step,
                detail: format!(
                    "exit {}: {}",
                    out.exit_status,
                    out.stderr_str().replace(token, "<token>").trim()
                ),
            });
        }
        Ok(())
    }
}
