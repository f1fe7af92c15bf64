//! One image pull at a time per image, its result shared and reused for a short while.
//!
//! Every task's prepare asks for its image. Without this, 200 tasks of one service started 200
//! pulls of the same reference at once; the Docker daemon serializes them, and with no
//! registry reachable each failed pull still costs a resolver round trip: the 200-replica
//! create spent about 60 s in PREPARING (`cargo bench -p swarmd --bench services`). Now the
//! first caller pulls, concurrent callers of the same image wait for it and get its result,
//! and callers within `ttl` after it reuse the result (success or failure) without asking the
//! daemon. Different images pull independently.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The last pull of one image: when it ended and its outcome (the error text on failure).
type Slot = Arc<Mutex<Option<(Instant, Result<(), String>)>>>;

/// Single-flight pulls with a result reused for `ttl`.
#[derive(Debug)]
pub struct PullCache {
    ttl: Duration,
    slots: StdMutex<HashMap<String, Slot>>,
}

impl PullCache {
    /// A cache whose results are reused for `ttl` (zero: only callers that waited share).
    pub fn new(ttl: Duration) -> Self {
        PullCache {
            ttl,
            slots: StdMutex::new(HashMap::new()),
        }
    }

    /// The outcome of pulling `image`: a fresh enough result of an earlier pull, the result
    /// of the pull in flight, or of `pull()` run now.
    pub async fn pull<F, Fut>(&self, image: &str, pull: F) -> Result<(), String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(image.to_string()).or_default().clone()
        };
        let asked = Instant::now();
        let mut last = slot.lock().await;
        if let Some((at, result)) = last.as_ref() {
            // A pull that ended while we waited for it, or a recent one.
            if *at >= asked || at.elapsed() < self.ttl {
                return result.clone();
            }
        }
        let result = pull().await;
        if swarm_metrics::enabled() {
            crate::metrics::METRICS.image_pulls.inc();
            if result.is_err() {
                crate::metrics::METRICS.image_pull_failures.inc();
            }
        }
        *last = Some((Instant::now(), result.clone()));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn counted(n: &AtomicUsize, result: Result<(), String>) -> Result<(), String> {
        n.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        result
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_pull_and_its_failure() {
        let cache = PullCache::new(Duration::from_secs(60));
        let n = AtomicUsize::new(0);
        let calls =
            (0..20).map(|_| cache.pull("web:v1", || counted(&n, Err("no registry".into()))));
        let results = futures_util::future::join_all(calls).await;
        assert_eq!(n.load(Ordering::SeqCst), 1, "one pull for 20 callers");
        assert!(results.iter().all(|r| r == &Err("no registry".to_string())));
        // Within the ttl the result is reused; another image pulls on its own.
        assert!(cache.pull("web:v1", || counted(&n, Ok(()))).await.is_err());
        assert_eq!(cache.pull("web:v2", || counted(&n, Ok(()))).await, Ok(()));
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_result_is_pulled_again() {
        let cache = PullCache::new(Duration::from_millis(1));
        let n = AtomicUsize::new(0);
        assert!(cache
            .pull("web:v1", || counted(&n, Err("down".into())))
            .await
            .is_err());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(cache.pull("web:v1", || counted(&n, Ok(()))).await, Ok(()));
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }
}
