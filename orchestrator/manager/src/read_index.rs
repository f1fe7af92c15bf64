//! Linearizable reads on any manager, by read index (Raft thesis §6.4).
//!
//! The contract: `service inspect` (`GET /v1/services/{key}`) and the check of `service
//! update`'s version read through [`Node::read_barrier`], so they see every write that
//! completed before they began, on the leader and on followers alike. The leader confirms it
//! still leads with a round of heartbeats to a quorum (openraft's `ensure_linearizable`) and
//! waits until it applied every entry its log held when the read began; a follower asks the leader for that index
//! (`/raft/read-index`) and waits until it applied it itself. Without quorum the barrier fails
//! with "no quorum" instead of answering from an old state.
//!
//! Every other read (`node ls`, `service ls`, tasks, `info`) serves this manager's last applied
//! state and may be stale on a follower or on a leader cut off from the majority; that is
//! what keeps them answering without quorum.

use std::time::{Duration, Instant};

use swarm_api::routes;

use crate::error::ManagerError;
use crate::node::Node;

impl Node {
    /// Waits until this manager's applied state includes every write committed before the call;
    /// fails with "no quorum" if no leader with a majority confirms within the write timeout.
    pub async fn read_barrier(&self) -> Result<(), ManagerError> {
        let deadline = Instant::now() + self.settings.write_timeout;
        loop {
            let m = self.metrics();
            let attempt = match m.current_leader {
                Some(l) if l == self.id => self.read_index_local().await.map(|_| ()),
                Some(l) => match self.leader_addr(&m, l) {
                    Some(addr) => match self
                        .peer(&addr)
                        .post::<_, Option<u64>>(routes::RAFT_READ_INDEX.pattern, &())
                        .await
                    {
                        Ok(index) => self.wait_applied(index, deadline).await,
                        Err(e) => Err(ManagerError::from(e)),
                    },
                    None => Err(self.no_quorum()),
                },
                None => Err(self.no_quorum()),
            };
            match attempt {
                Err(e) if crate::node::retryable(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) if crate::node::retryable(&e) => return Err(self.no_quorum()),
                other => return other,
            }
        }
    }

    /// On the leader: confirms leadership with a quorum and waits until the state machine applied
    /// everything in this leader's log when the call began; returns that index (the read index).
    ///
    /// Not openraft's read log id alone (`max(committed, first entry of the term)`): a leader
    /// restarted after kill -9 takes its leadership back at once (openraft restores a committed
    /// vote of its own) with the committed index it last saved, which may be older than what it
    /// had acknowledged to clients before the crash (found by the linearizability test as a
    /// read going back in time). Every acknowledged write is in the leader's log, so waiting
    /// for the log's last index to be applied (it is committed by then) covers it.
    pub async fn read_index_local(&self) -> Result<Option<u64>, ManagerError> {
        let last_log = self.metrics().last_log_index;
        let confirmed =
            tokio::time::timeout(self.settings.write_timeout, self.raft.ensure_linearizable())
                .await;
        let read = match confirmed {
            Ok(Ok(log_id)) => log_id.map(|l| l.index).max(last_log),
            Ok(Err(_)) | Err(_) => return Err(self.no_quorum()),
        };
        let deadline = Instant::now() + self.settings.write_timeout;
        self.wait_applied(read, deadline).await?;
        Ok(read)
    }

    async fn wait_applied(
        &self,
        index: Option<u64>,
        deadline: Instant,
    ) -> Result<(), ManagerError> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.raft
            .wait(Some(left.max(Duration::from_millis(1))))
            .applied_index_at_least(index, "read barrier")
            .await
            .map(|_| ())
            .map_err(|_| self.no_quorum())
    }
}
