//! Connecting (with host-key verification, retries and keepalive) and running commands.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;

use super::{ClusterKey, ConnectOptions, HostKeyCheck, KnownHosts, SshError};

/// What a remote command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status.
    pub exit_status: u32,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// Whether the command exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_status == 0
    }

    /// stdout as (lossy) UTF-8.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as (lossy) UTF-8.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// The russh handler: judges host keys against the cluster's known_hosts (trust on first use).
pub(super) struct Verifier {
    known_hosts: KnownHosts,
    addr: SocketAddr,
    /// Why the host key was refused, for the caller to report (russh only says "unknown key").
    refusal: Arc<Mutex<Option<SshError>>>,
}

impl Verifier {
    fn judge(&self, presented: &PublicKeyOrCertificate) -> Result<(), SshError> {
        let host = self.addr.ip().to_string();
        let port = self.addr.port();
        let PublicKeyOrCertificate::PublicKey { key, .. } = presented else {
            return Err(SshError::Protocol {
                addr: self.addr.to_string(),
                context: "host key".into(),
                source: Box::new(russh::Error::UnknownKey),
            });
        };
        match self.known_hosts.check(&host, port, key)? {
            HostKeyCheck::Known => Ok(()),
            HostKeyCheck::Unknown => self.known_hosts.record(&host, port, key),
            HostKeyCheck::Mismatch { expected } => Err(SshError::HostKeyMismatch {
                addr: self.addr.to_string(),
                host: super::host_pattern(&host, port),
                expected,
                presented: key.fingerprint(HashAlg::Sha256).to_string(),
                known_hosts: self.known_hosts.path().to_path_buf(),
            }),
        }
    }
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match self.judge(server_public_key) {
            Ok(()) => Ok(true),
            Err(e) => {
                *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Ok(false)
            }
        }
    }
}

/// An authenticated SSH connection to one host. Cheap to clone (the connection is shared).
#[derive(Clone)]
pub struct SshClient {
    pub(super) handle: Arc<Handle<Verifier>>,
    pub(super) addr: SocketAddr,
}

impl std::fmt::Debug for SshClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshClient")
            .field("addr", &self.addr)
            .finish()
    }
}

impl SshClient {
    /// Connects to `addr` as `opts.user` with `key`, checking the host key against `known_hosts`.
    ///
    /// Transient failures (refused, unreachable, reset, a slow handshake) are retried with
    /// `opts.backoff` until its total budget is spent, then [`SshError::Timeout`] names the address.
    /// A host-key mismatch or a refused key fails at once.
    pub async fn connect(
        addr: SocketAddr,
        key: &ClusterKey,
        known_hosts: &KnownHosts,
        opts: &ConnectOptions,
    ) -> Result<Self, SshError> {
        let start = Instant::now();
        let budget = opts.backoff.total;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = budget.saturating_sub(start.elapsed());
            let limit = opts
                .attempt_timeout
                .min(remaining.max(Duration::from_millis(100)));
            let last = match tokio::time::timeout(limit, connect_once(addr, key, known_hosts, opts))
                .await
            {
                Ok(Ok(client)) => return Ok(client),
                Ok(Err(e)) if is_fatal(&e) => return Err(e),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("attempt timed out after {}s", limit.as_secs_f32().round()),
            };
            let elapsed = start.elapsed();
            match opts.backoff.next_delay(attempt, elapsed) {
                Some(delay) if elapsed + delay < budget => tokio::time::sleep(delay).await,
                _ => {
                    return Err(SshError::Timeout {
                        addr: addr.to_string(),
                        after: start.elapsed(),
                        attempts: attempt,
                        last,
                    })
                }
            }
        }
    }

    /// The address connected to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs `command` (through the remote user's shell) and collects its output and exit status.
    pub async fn exec(&self, command: &str) -> Result<ExecOutput, SshError> {
        self.exec_with_stdin(command, None).await
    }

    /// Runs `command`, giving up after `limit` (the remote command may keep running).
    pub async fn exec_timeout(
        &self,
        command: &str,
        limit: Duration,
    ) -> Result<ExecOutput, SshError> {
        tokio::time::timeout(limit, self.exec(command))
            .await
            .map_err(|_| SshError::Exec {
                addr: self.addr.to_string(),
                command: command.to_string(),
                reason: format!("no result within {}s", limit.as_secs()),
            })?
    }

    /// Runs `command`, feeding `stdin` (then EOF) when given.
    pub async fn exec_with_stdin(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, SshError> {
        let exec_err = |reason: String| SshError::Exec {
            addr: self.addr.to_string(),
            command: command.to_string(),
            reason,
        };
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| exec_err(format!("cannot open a session channel: {e}")))?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| exec_err(format!("cannot start: {e}")))?;
        if let Some(bytes) = stdin {
            channel
                .data(bytes)
                .await
                .map_err(|e| exec_err(format!("cannot send stdin: {e}")))?;
        }
        channel
            .eof()
            .await
            .map_err(|e| exec_err(format!("cannot close stdin: {e}")))?;
        let mut out = ExecOutput {
            exit_status: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        let mut status = None;
        let mut signal = None;
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => out.stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::ExitSignal {
                    signal_name,
                    error_message,
                    ..
                } => signal = Some(format!("killed by signal {signal_name:?} {error_message}")),
                ChannelMsg::Failure => return Err(exec_err("the server refused to run it".into())),
                _ => {}
            }
        }
        match (status, signal) {
            (Some(s), _) => {
                out.exit_status = s;
                Ok(out)
            }
            (None, Some(sig)) => Err(exec_err(sig.trim().to_string())),
            (None, None) => Err(exec_err(
                "the channel closed without an exit status (connection lost?)".into(),
            )),
        }
    }

    /// Closes the connection politely.
    pub async fn close(&self) -> Result<(), SshError> {
        self.handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await
            .map_err(|source| SshError::Protocol {
                addr: self.addr.to_string(),
                context: "disconnect".into(),
                source: Box::new(source),
            })
    }
}

/// Errors that retrying cannot fix.
fn is_fatal(e: &SshError) -> bool {
    matches!(
        e,
        SshError::HostKeyMismatch { .. }
            | SshError::AuthRejected { .. }
            | SshError::Key { .. }
            | SshError::KnownHosts { .. }
            | SshError::Io { .. }
    )
}

async fn connect_once(
    addr: SocketAddr,
    key: &ClusterKey,
    known_hosts: &KnownHosts,
    opts: &ConnectOptions,
) -> Result<SshClient, SshError> {
    let protocol = |context: &str, source: russh::Error| SshError::Protocol {
        addr: addr.to_string(),
        context: context.to_string(),
        source: Box::new(source),
    };
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| protocol("tcp connect", russh::Error::IO(e)))?;
    stream.set_nodelay(true).ok();
    let config = Arc::new(client::Config {
        keepalive_interval: Some(opts.keepalive_interval),
        keepalive_max: opts.keepalive_max,
        nodelay: true,
        ..Default::default()
    });
    let refusal = Arc::new(Mutex::new(None));
    let verifier = Verifier {
        known_hosts: known_hosts.clone(),
        addr,
        refusal: refusal.clone(),
    };
    let mut handle = match client::connect_stream(config, stream, verifier).await {
        Ok(handle) => handle,
        Err(e) => {
            if let Some(refused) = refusal.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(refused);
            }
            return Err(protocol("handshake", e));
        }
    };
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(|e| protocol("negotiating the RSA signature hash", e))?
        .flatten()
        .or(Some(HashAlg::Sha256));
    let auth = handle
        .authenticate_publickey(
            opts.user.clone(),
            PrivateKeyWithHashAlg::new(key.private(), hash),
        )
        .await
        .map_err(|e| protocol("authentication", e))?;
    if !auth.success() {
        return Err(SshError::AuthRejected {
            addr: addr.to_string(),
            user: opts.user.clone(),
            fingerprint: key.fingerprint(),
        });
    }
    Ok(SshClient {
        handle: Arc::new(handle),
        addr,
    })
}
