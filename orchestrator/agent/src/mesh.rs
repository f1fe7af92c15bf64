//! The routing mesh of one node: a proxy per published (ingress) port, reconciled against
//! the desired table "published port → task addresses".
//!
//! [`Mesh::apply`] starts a listener for each new port, updates the backends of existing
//! ones, and stops listeners of ports no longer published. TCP only (UDP ingress is not
//! implemented).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::error::AgentError;
use crate::proxy::{self, Backends, ProxyOptions};

struct PortProxy {
    backends: watch::Sender<Backends>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// The set of ingress proxies on this node.
pub struct Mesh {
    bind_ip: IpAddr,
    options: ProxyOptions,
    ports: HashMap<u16, PortProxy>,
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
    pub fn ports(&self) -> Vec<u16> {
        let mut p: Vec<u16> = self.ports.keys().copied().collect();
        p.sort_unstable();
        p
    }

    /// Makes the served ports and their backends equal to `desired`. A port that cannot be
    /// bound is reported (the others are still applied).
    pub async fn apply(
        &mut self,
        desired: &HashMap<u16, Vec<SocketAddr>>,
    ) -> Result<(), AgentError> {
        let gone: Vec<u16> = self
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
        for (&port, addrs) in desired {
            let backends: Backends = Arc::new(addrs.clone());
            if let Some(p) = self.ports.get(&port) {
                if *p.backends.borrow() != backends {
                    let _ = p.backends.send(backends);
                }
                continue;
            }
            let addr = SocketAddr::new(self.bind_ip, port);
            let listener = match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(source) => {
                    first_error.get_or_insert(AgentError::Listen { addr, source });
                    continue;
                }
            };
            let (tx, rx) = watch::channel(backends);
            let (stop, stopped) = oneshot::channel::<()>();
            let options = self.options;
            let task = tokio::spawn(proxy::serve(listener, rx, options, async move {
                let _ = stopped.await;
            }));
            self.ports.insert(
                port,
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
        let _ = self.apply(&HashMap::new()).await;
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        for p in self.ports.values() {
            p.task.abort();
        }
    }
}
