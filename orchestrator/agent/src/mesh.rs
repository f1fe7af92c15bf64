//! The routing mesh of one node: a proxy per published (ingress) port and protocol, reconciled
//! against the desired table "published port/protocol → task addresses".
//!
//! [`Mesh::apply`] starts a listener for each new port (a TCP listener and [`crate::proxy`], or
//! a UDP socket and [`crate::udp_proxy`]), updates the backends of existing ones, and stops
//! listeners of ports no longer published.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use swarm_api::publish::Protocol;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{oneshot, watch};

use crate::error::AgentError;
use crate::proxy::{self, Backends, ProxyOptions};
use crate::udp_proxy;

/// A published port of the mesh.
pub type MeshKey = (u16, Protocol);

/// What the mesh should serve: published port and protocol → task addresses.
pub type MeshTable = HashMap<MeshKey, Vec<SocketAddr>>;

struct PortProxy {
    backends: watch::Sender<Backends>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// The set of ingress proxies on this node.
pub struct Mesh {
    bind_ip: IpAddr,
    options: ProxyOptions,
    ports: HashMap<MeshKey, PortProxy>,
}

impl Mesh {
    /// A mesh whose listeners bind on `bind_ip` (0.0.0.0 on a node, 127.0.0.1 in tests).
    pub fn new(bind_ip: IpAddr, options: ProxyOptions) -> Self {
        Mesh {
            bind_ip,
            options,
            ports: HashMap::new(),
        }
    }

    /// The ports currently served, sorted.
    pub fn ports(&self) -> Vec<MeshKey> {
        let mut p: Vec<MeshKey> = self.ports.keys().copied().collect();
        p.sort_unstable();
        p
    }

    /// Makes the served ports and their backends equal to `desired`. A port that cannot be
    /// bound is reported (the others are still applied).
    pub async fn apply(&mut self, desired: &MeshTable) -> Result<(), AgentError> {
        let gone: Vec<MeshKey> = self
            .ports
            .keys()
            .filter(|p| !desired.contains_key(p))
            .copied()
            .collect();
        for port in gone {
            if let Some(mut p) = self.ports.remove(&port) {
                if let Some(stop) = p.stop.take() {
                    let _ = stop.send(());
                }
                let _ = (&mut p.task).await;
            }
        }
        let mut first_error = None;
        for (&key, addrs) in desired {
            let backends: Backends = Arc::new(addrs.clone());
            if let Some(p) = self.ports.get(&key) {
                if *p.backends.borrow() != backends {
                    let _ = p.backends.send(backends);
                }
                continue;
            }
            let (port, protocol) = key;
            let addr = SocketAddr::new(self.bind_ip, port);
            let (tx, rx) = watch::channel(backends);
            let (stop, stopped) = oneshot::channel::<()>();
            let options = self.options;
            let stopped = async move {
                let _ = stopped.await;
            };
            let bound = match protocol {
                Protocol::Tcp => TcpListener::bind(addr)
                    .await
                    .map(|l| tokio::spawn(proxy::serve(l, rx, options, stopped))),
                Protocol::Udp => UdpSocket::bind(addr)
                    .await
                    .map(|s| tokio::spawn(udp_proxy::serve_udp(s, rx, options, stopped))),
            };
            let task = match bound {
                Ok(t) => t,
                Err(source) => {
                    first_error.get_or_insert(AgentError::Listen { addr, source });
                    continue;
                }
            };
            self.ports.insert(
                key,
                PortProxy {
                    backends: tx,
                    stop: Some(stop),
                    task,
                },
            );
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Stops every listener.
    pub async fn shutdown(&mut self) {
        let _ = self.apply(&MeshTable::new()).await;
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        for p in self.ports.values() {
            p.task.abort();
        }
    }
}
