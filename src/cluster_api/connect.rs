//! Opening the API of a cluster: SSH to a manager, an admin certificate, a forwarded port and a
//! mutual-TLS client; the leader is preferred.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use swarm_api::admin::{AdminCertResponse, DEFAULT_ADMIN_DAYS};
use swarm_api::client::{Client, Target};
use swarm_api::control::InfoResponse;
use swarm_api::error::{ClientError, ErrorKind};
use swarm_api::node::NodeId;
use tokio::net::TcpListener;

use super::credentials::admin_name;
use super::{AdminCredentials, ClusterApiError};
use crate::bootstrap::{swarmd_command, BootstrapHost, NodeRole, SWARMD_PORT};
use crate::ssh::{
    shell_quote, ClusterKey, ConnectOptions, Forwarder, KnownHosts, SshClient, SshError,
};
use russh::client::Msg;
use russh::ChannelStream;

/// How to reach a cluster's API.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The cluster's name (for messages).
    pub cluster: String,
    /// The cluster's SSH key.
    pub key: ClusterKey,
    /// The cluster's known_hosts (host keys are checked, unknown ones recorded).
    pub known_hosts: KnownHosts,
    /// SSH connection settings.
    pub connect: ConnectOptions,
    /// swarmd's API port on the managers.
    pub port: u16,
    /// Where the admin credentials live (the cluster's config dir).
    pub config_dir: PathBuf,
    /// The CN of a new admin certificate.
    pub admin_name: String,
    /// Validity of a new admin certificate, in days.
    pub days: u32,
    /// Per-request timeout of the API client.
    pub timeout: Duration,
}

impl ApiOptions {
    /// Defaults: port 2377, the admin name `$USER@<hostname>`, 90-day certificates, 15 s
    /// requests, SSH connect budget of 20 s.
    pub fn new(
        cluster: impl Into<String>,
        key: ClusterKey,
        known_hosts: KnownHosts,
        config_dir: impl Into<PathBuf>,
    ) -> Self {
        let mut connect = ConnectOptions::default();
        connect.backoff.total = Duration::from_secs(20);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
        ApiOptions {
            cluster: cluster.into(),
            key,
            known_hosts,
            connect,
            port: SWARMD_PORT,
            config_dir: config_dir.into(),
            admin_name: admin_name(
                std::env::var("USER").ok().as_deref(),
                host.as_deref().map(str::trim),
            ),
            days: DEFAULT_ADMIN_DAYS,
            timeout: Duration::from_secs(15),
        }
    }
}

/// A mutual-TLS client of one manager's API, through an SSH-forwarded local port. The tunnel
/// lives as long as this value.
pub struct ClusterApi {
    client: Client,
    manager: BootstrapHost,
    info: InfoResponse,
    ssh: SshClient,
    api_port: u16,
    _forward: Forwarder,
}

impl std::fmt::Debug for ClusterApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterApi")
            .field("manager", &self.manager.id)
            .field("leader", &self.is_leader())
            .finish()
    }
}

impl ClusterApi {
    /// Connects to the API of the cluster whose managers are among `hosts` (others are skipped):
    /// the first manager that answers, then the leader if that is another one. A changed host key
    /// fails at once; other failures move on to the next manager.
    pub async fn connect(
        hosts: &[BootstrapHost],
        opts: &ApiOptions,
    ) -> Result<ClusterApi, ClusterApiError> {
        let mut creds = AdminCredentials::load_or_create(&opts.config_dir)?;
        let mut tried = Vec::new();
        let mut first = None;
        for h in hosts.iter().filter(|h| h.role == NodeRole::Manager) {
            match open(h, opts, &mut creds).await {
                Ok(api) => {
                    first = Some(api);
                    break;
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tried.push(e.to_string()),
            }
        }
        let first = first.ok_or_else(|| ClusterApiError::NoManager {
            cluster: opts.cluster.clone(),
            tried,
        })?;
        if first.is_leader() {
            return Ok(first);
        }
        let Some(leader) = first.leader_host(hosts).await else {
            return Ok(first);
        };
        match open(leader, opts, &mut creds).await {
            Ok(api) if api.is_leader() => {
                first.close().await;
                Ok(api)
            }
            Ok(api) => {
                api.close().await;
                Ok(first)
            }
            Err(e) if e.is_fatal() => Err(e),
            Err(_) => Ok(first),
        }
    }

    /// The API client (requests go through the tunnel).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The manager connected to.
    pub fn manager(&self) -> &BootstrapHost {
        &self.manager
    }

    /// Whether that manager was the Raft leader when connected.
    pub fn is_leader(&self) -> bool {
        self.info.leader == Some(self.info.node_id)
    }

    /// The manager's `/v1/info` at connection time.
    pub fn info(&self) -> &InfoResponse {
        &self.info
    }

    /// Opens one new channel over this SSH connection to the manager's API port (as the manager
    /// sees it): a raw byte stream for a relay, e.g. the long-lived local tunnel
    /// ([`crate::tunnel`]) that hands each local connection its own channel.
    pub async fn open_channel(&self) -> Result<ChannelStream<Msg>, SshError> {
        self.ssh
            .open_tunnel(&self.manager.advertise_ip.to_string(), self.api_port)
            .await
    }

    /// Closes the tunnel and the SSH connection.
    pub async fn close(self) {
        let _ = self.ssh.close().await;
    }

    /// The host among `hosts` that runs the leader, if the leader is known and listed.
    async fn leader_host<'a>(&self, hosts: &'a [BootstrapHost]) -> Option<&'a BootstrapHost> {
        let leader: NodeId = self.info.leader?;
        let nodes = self.client.nodes().ls().await.ok()?;
        let addr = nodes.into_iter().find(|v| v.node.id == leader)?.node.addr;
        let ip: IpAddr = crate_host(&addr).parse().ok()?;
        hosts.iter().find(|h| h.advertise_ip == ip)
    }
}

/// The host part of `host:port` / `[v6]:port`.
fn crate_host(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
    host.trim_start_matches('[').trim_end_matches(']')
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// SSH to `h`, make sure the admin certificate fits its cluster CA, forward a local port to its
/// API and probe `/v1/info`.
async fn open(
    h: &BootstrapHost,
    opts: &ApiOptions,
    creds: &mut AdminCredentials,
) -> Result<ClusterApi, ClusterApiError> {
    let ssh_err = |step: &str, source| ClusterApiError::Ssh {
        host: h.id.clone(),
        step: step.into(),
        source: Box::new(source),
    };
    let cert_err = |detail: String| ClusterApiError::AdminCert {
        host: h.id.clone(),
        detail,
    };
    let ssh = SshClient::connect(h.ssh_addr, &opts.key, &opts.known_hosts, &opts.connect)
        .await
        .map_err(|e| ssh_err("connect", e))?;
    let ca_path = format!("{}/certs/ca.pem", h.layout.state_dir());
    let out = ssh
        .exec(&format!("cat {}", shell_quote(&ca_path)))
        .await
        .map_err(|e| ssh_err("read the cluster CA", e))?;
    if !out.success() {
        return Err(cert_err(format!(
            "no swarmd node here ({ca_path}: {}); bootstrap the cluster first",
            out.stderr_str().trim()
        )));
    }
    let cluster_ca = out.stdout_str();
    if !creds.usable(&cluster_ca, now_unix()) {
        let args: Vec<String> = [
            "admin-cert",
            "--csr-file",
            "-",
            "--name",
            &opts.admin_name,
            "--days",
            &opts.days.to_string(),
            "--format",
            "json",
        ]
        .map(String::from)
        .to_vec();
        let csr = creds.csr_pem()?;
        let out = ssh
            .exec_with_stdin(&swarmd_command(h, &args), Some(csr.as_bytes()))
            .await
            .map_err(|e| ssh_err("swarmd admin-cert", e))?;
        if !out.success() {
            return Err(cert_err(format!(
                "swarmd admin-cert exited {}: {}",
                out.exit_status,
                out.stderr_str().trim()
            )));
        }
        let signed: AdminCertResponse = serde_json::from_slice(&out.stdout)
            .map_err(|e| cert_err(format!("unreadable answer of swarmd admin-cert: {e}")))?;
        if signed.ca_cert_pem.trim() != cluster_ca.trim() {
            return Err(cert_err(
                "the certificate was signed by another CA than the one in the node's state dir"
                    .into(),
            ));
        }
        creds.store(&signed.cert_pem, &signed.ca_cert_pem)?;
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| ClusterApiError::File {
            path: PathBuf::from("127.0.0.1:0"),
            reason: format!("cannot listen for the tunnel: {e}"),
        })?;
    let api_host = h.advertise_ip.to_string();
    let forward = ssh
        .forward(listener, &api_host, opts.port)
        .map_err(|e| ssh_err("forward the API port", e))?;
    let client = Client::new(Target::Tls {
        addr: forward.local_addr().to_string(),
        config: creds.tls_config()?,
    })
    .with_server_name(Some(api_host))
    .with_timeout(opts.timeout);
    let info = client.info().await.map_err(|source| match &source {
        ClientError::Api(e)
            if e.kind == ErrorKind::Unauthorized && e.message.contains("revoked") =>
        {
            ClusterApiError::Revoked {
                host: h.id.clone(),
                message: e.message.clone(),
                cert: creds.cert_path(),
            }
        }
        _ => ClusterApiError::Api {
            host: h.id.clone(),
            step: "GET /v1/info".into(),
            source: Box::new(source),
        },
    })?;
    Ok(ClusterApi {
        client,
        manager: h.clone(),
        info,
        ssh,
        api_port: opts.port,
        _forward: forward,
    })
}
