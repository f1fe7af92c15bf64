//! The tunnel's serving loop: every local connection gets its own SSH channel to the API port
//! of the manager it currently leads to; a probe keeps watch on that manager and the loop finds
//! the leader again when it goes (or is no longer the leader).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::error::TunnelError;
use crate::cluster_api::ClusterApi;

/// How the loop keeps its route.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The cluster (for messages).
    pub cluster: String,
    /// How often the manager is probed (`GET /v1/info`).
    pub probe_every: Duration,
    /// How long a connected follower is kept before the leader is looked for again.
    pub prefer_leader_after: Duration,
    /// How long with no manager before the tunnel gives up.
    pub give_up_after: Duration,
}

impl ServeOptions {
    /// Probes every 5 s, looks for the leader again after 30 s on a follower, gives up after
    /// 5 minutes with no manager.
    pub fn new(cluster: impl Into<String>) -> Self {
        ServeOptions {
            cluster: cluster.into(),
            probe_every: Duration::from_secs(5),
            prefer_leader_after: Duration::from_secs(30),
            give_up_after: Duration::from_secs(300),
        }
    }
}

/// What a probe of the current manager says to do (pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the route.
    Keep,
    /// It answers but another manager leads, for long enough: look for the leader.
    FindLeader,
    /// It does not answer: drop the route and find a manager.
    Lost,
}

/// The verdict for a probe that answered (`Some(is_leader)`) or not (`None`), on a route held
/// for `held` (pure).
pub fn verdict(answer: Option<bool>, held: Duration, opts: &ServeOptions) -> Verdict {
    match answer {
        None => Verdict::Lost,
        Some(false) if held >= opts.prefer_leader_after => Verdict::FindLeader,
        Some(_) => Verdict::Keep,
    }
}

/// The current route: a connection to a manager's API, with its generation.
struct Route {
    api: Arc<ClusterApi>,
    generation: u64,
    since: Instant,
}

/// A connection whose channel could not be opened on route `generation`: it goes back to the
/// loop to be tried once on a new route.
type Bounced = (u64, TcpStream);

/// Relays `local` over a new channel of `api`. When the channel cannot be opened and `bounce`
/// is given, the connection goes back to the loop (nothing of it was sent yet).
async fn relay(
    api: Arc<ClusterApi>,
    generation: u64,
    mut local: TcpStream,
    bounce: Option<mpsc::UnboundedSender<Bounced>>,
) {
    match api.open_channel().await {
        Ok(mut remote) => {
            let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
        }
        Err(e) => {
            eprintln!("tunnel: manager {}: {e}", api.manager().id);
            if let Some(tx) = bounce {
                let _ = tx.send((generation, local));
            }
        }
    }
}

/// Serves `listener` until `shutdown` resolves, starting on `first`. `find` connects to the
/// cluster's API afresh (preferring the leader); `on_route` hears of every new route. Fails with
/// [`TunnelError::Lost`] when no manager answered for [`ServeOptions::give_up_after`].
pub async fn serve<F, Fut>(
    listener: TcpListener,
    first: ClusterApi,
    mut find: F,
    mut on_route: impl FnMut(&ClusterApi),
    opts: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TunnelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ClusterApi, String>>,
{
    let mut generation = 0u64;
    on_route(&first);
    let mut route = Some(Route {
        api: Arc::new(first),
        generation,
        since: Instant::now(),
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<Bounced>();
    let mut probe = tokio::time::interval(opts.probe_every);
    probe.tick().await;
    let mut lost_since: Option<(Instant, String)> = None;
    tokio::pin!(shutdown);

    // Replaces the route by a newly found one (keeps none when no manager answers).
    macro_rules! refind {
        () => {
            match find().await {
                Ok(api) => {
                    generation += 1;
                    on_route(&api);
                    route = Some(Route {
                        api: Arc::new(api),
                        generation,
                        since: Instant::now(),
                    });
                    lost_since = None;
                }
                Err(e) => {
                    eprintln!("tunnel: no manager of {} answers: {e}", opts.cluster);
                    let since = lost_since.take().map_or_else(Instant::now, |(t, _)| t);
                    lost_since = Some((since, e));
                }
            }
        };
    }

    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if route.is_none() {
                    refind!();
                }
                if let Some(r) = &route {
                    tokio::spawn(relay(r.api.clone(), r.generation, stream, Some(tx.clone())));
                }
            }
            Some((bounced, stream)) = rx.recv() => {
                if route.as_ref().is_some_and(|r| r.generation == bounced) {
                    route = None;
                    refind!();
                }
                if let Some(r) = &route {
                    tokio::spawn(relay(r.api.clone(), r.generation, stream, None));
                }
            }
            _ = probe.tick() => {
                if let Some(r) = &route {
                    let answer = r.api.client().info().await.ok().map(|i| i.leader == Some(i.node_id));
                    match verdict(answer, r.since.elapsed(), opts) {
                        Verdict::Keep => {}
                        Verdict::FindLeader => {
                            let held = route.take();
                            refind!();
                            if route.is_none() {
                                route = held.map(|mut r| { r.since = Instant::now(); r });
                                lost_since = None;
                            }
                        }
                        Verdict::Lost => {
                            eprintln!("tunnel: manager {} does not answer; looking for the leader again", r.api.manager().id);
                            route = None;
                            refind!();
                        }
                    }
                } else {
                    refind!();
                }
                if let Some((since, last)) = &lost_since {
                    if since.elapsed() >= opts.give_up_after {
                        return Err(TunnelError::Lost {
                            cluster: opts.cluster.clone(),
                            secs: since.elapsed().as_secs(),
                            last: last.clone(),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_manager_is_lost_and_a_follower_is_left_after_a_while() {
        let opts = ServeOptions::new("c");
        let s = Duration::from_secs;
        assert_eq!(verdict(None, s(0), &opts), Verdict::Lost);
        assert_eq!(verdict(Some(true), s(3600), &opts), Verdict::Keep);
        assert_eq!(verdict(Some(false), s(1), &opts), Verdict::Keep);
        assert_eq!(verdict(Some(false), s(30), &opts), Verdict::FindLeader);
    }
}
