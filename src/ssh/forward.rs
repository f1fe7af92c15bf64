//! Forwarded channels (direct-tcpip): the CLI reaches a manager's API through the SSH connection.

use std::net::SocketAddr;

use russh::client::Msg;
use russh::ChannelStream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{SshClient, SshError};

impl SshClient {
    /// Opens one channel from the SSH host to `host:port` (as the SSH host sees it) and returns it as
    /// a byte stream (`AsyncRead + AsyncWrite`), e.g. for an HTTP client.
    pub async fn open_tunnel(&self, host: &str, port: u16) -> Result<ChannelStream<Msg>, SshError> {
        let channel = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(|e| SshError::Forward {
                addr: self.addr.to_string(),
                target: format!("{host}:{port}"),
                reason: format!("the SSH host could not open the channel: {e}"),
            })?;
        Ok(channel.into_stream())
    }

    /// Relays `stream` (any local byte stream) to `host:port` on the far side until both directions
    /// are closed. Returns the bytes sent and received.
    pub async fn relay<S>(
        &self,
        stream: &mut S,
        host: &str,
        port: u16,
    ) -> Result<(u64, u64), SshError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut remote = self.open_tunnel(host, port).await?;
        tokio::io::copy_bidirectional(stream, &mut remote)
            .await
            .map_err(|e| SshError::Forward {
                addr: self.addr.to_string(),
                target: format!("{host}:{port}"),
                reason: format!("relay broke: {e}"),
            })
    }

    /// Serves `listener`: every accepted local connection is relayed over a new channel to
    /// `host:port` on the far side. The returned [`Forwarder`] stops serving when dropped.
    pub fn forward(
        &self,
        listener: TcpListener,
        host: &str,
        port: u16,
    ) -> Result<Forwarder, SshError> {
        let local_addr = listener.local_addr().map_err(|e| SshError::Forward {
            addr: self.addr.to_string(),
            target: format!("{host}:{port}"),
            reason: format!("local listener: {e}"),
        })?;
        let client = self.clone();
        let host = host.to_string();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut local, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let client = client.clone();
                let host = host.clone();
                tokio::spawn(async move {
                    let _ = client.relay(&mut local, &host, port).await;
                });
            }
        });
        Ok(Forwarder { local_addr, task })
    }
}

/// A running local port forward; dropping it stops accepting new connections.
#[derive(Debug)]
pub struct Forwarder {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// The local address being served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
