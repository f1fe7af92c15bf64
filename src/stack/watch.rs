//! The poller: follows a stack operation until the stack settles, feeding the tracker and a
//! [`Sink`]. Polls every 0.5 s at first, backs off to 1.5 s while nothing happens (so an event
//! reaches the screen within about 2 s), and up to 5 s while AWS throttles us.

use std::future::Future;
use std::time::Duration;

use aws_sdk_cloudformation::Client;

use super::describe::{describe_stack, stack_events, stack_resources};
use super::tracker::{is_terminal_stack_status, Outcome, Progress, Tracker, Transition};
use super::StackError;

/// Receives what the watcher learns.
pub trait Sink {
    /// A resource or the stack changed status.
    fn transition(&mut self, t: &Transition);
    /// Progress after a poll round.
    fn progress(&mut self, stack: &str, p: Progress, stack_status: Option<&str>);
    /// The operation reached a final state.
    fn finish(&mut self, stack: &str, outcome: &Outcome);
}

/// A sink that keeps everything (tests, benches, JSON summaries).
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// Transitions in the order received, with the wall-clock instant of receipt.
    pub transitions: Vec<(Transition, std::time::SystemTime)>,
    /// Final outcome, once reached.
    pub outcome: Option<Outcome>,
}

impl Sink for Collect {
    fn transition(&mut self, t: &Transition) {
        self.transitions
            .push((t.clone(), std::time::SystemTime::now()));
    }
    fn progress(&mut self, _: &str, _: Progress, _: Option<&str>) {}
    fn finish(&mut self, _: &str, outcome: &Outcome) {
        self.outcome = Some(outcome.clone());
    }
}

/// Polling intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First interval, and the interval after something happened.
    pub initial: Duration,
    /// Longest interval while nothing happens.
    pub quiet_max: Duration,
    /// Longest interval while throttled.
    pub throttled_max: Duration,
    current: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_secs(5),
        )
    }
}

impl Backoff {
    /// Intervals starting at `initial`, growing to `quiet_max` (or `throttled_max` when throttled).
    pub fn new(initial: Duration, quiet_max: Duration, throttled_max: Duration) -> Self {
        Backoff {
            initial,
            quiet_max,
            throttled_max,
            current: initial,
        }
    }

    /// The next wait after a poll round: reset on news, grow ×1.5 when quiet, double when throttled.
    pub fn next(&mut self, news: bool, throttled: bool) -> Duration {
        self.current = if throttled {
            (self.current * 2).min(self.throttled_max)
        } else if news {
            self.initial
        } else {
            self.current
                .mul_f64(1.5)
                .min(self.quiet_max.max(self.initial))
        };
        self.current
    }
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEnd {
    /// The stack reached a final status.
    Settled(Outcome),
    /// The stack no longer exists (deleted).
    Gone,
    /// The user interrupted; the operation continues.
    Interrupted,
}

/// Gives up after this many consecutive transient failures (throttling, timeouts, network).
const MAX_TRANSIENT_FAILURES: u32 = 20;

/// Follows `stack` (name or id) until it settles, disappears, or `cancel` resolves.
pub async fn watch<C: Future<Output = ()>>(
    cfn: &Client,
    stack: &str,
    tracker: &mut Tracker,
    sink: &mut dyn Sink,
    cancel: C,
    backoff: Backoff,
) -> Result<WatchEnd, StackError> {
    watch_until(cfn, stack, tracker, sink, cancel, backoff, true).await
}

/// Like [`watch`]; with `stop_when_settled` false it keeps following a settled stack (across
/// later operations) until it disappears or `cancel` resolves.
pub async fn watch_until<C: Future<Output = ()>>(
    cfn: &Client,
    stack: &str,
    tracker: &mut Tracker,
    sink: &mut dyn Sink,
    cancel: C,
    mut backoff: Backoff,
    stop_when_settled: bool,
) -> Result<WatchEnd, StackError> {
    tokio::pin!(cancel);
    let mut transient = 0u32;
    loop {
        let round = poll_once(cfn, stack, tracker, sink);
        let result = tokio::select! {
            r = round => r,
            _ = &mut cancel => return Ok(WatchEnd::Interrupted),
        };
        let (news, throttled) = match result {
            Ok(Poll::Settled(WatchEnd::Settled(_))) if !stop_when_settled => (false, false),
            Ok(Poll::Settled(end)) => {
                if let WatchEnd::Settled(outcome) = &end {
                    sink.finish(tracker.stack(), outcome);
                }
                return Ok(end);
            }
            Ok(Poll::Running { news }) => {
                transient = 0;
                (news, false)
            }
            Err(e) => match e.aws_source() {
                Some(src) if src.is_transient() && transient < MAX_TRANSIENT_FAILURES => {
                    transient += 1;
                    (false, true)
                }
                _ => return Err(e),
            },
        };
        let wait = backoff.next(news, throttled);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {},
            _ = &mut cancel => return Ok(WatchEnd::Interrupted),
        }
    }
}

enum Poll {
    Settled(WatchEnd),
    Running { news: bool },
}

async fn poll_once(
    cfn: &Client,
    stack: &str,
    tracker: &mut Tracker,
    sink: &mut dyn Sink,
) -> Result<Poll, StackError> {
    // Status first: if it is terminal now, the events read next include the final ones.
    let info = describe_stack(cfn, stack).await?;
    let Some(info) = info else {
        return Ok(Poll::Settled(WatchEnd::Gone));
    };
    let events = match stack_events(cfn, stack, |id| tracker.has_seen(id)).await {
        Ok(ev) => ev,
        Err(e) if e.aws_source().is_some_and(|s| s.is_stack_missing()) => {
            return Ok(Poll::Settled(WatchEnd::Gone))
        }
        Err(e) => return Err(e),
    };
    let mut news = false;
    for t in tracker.ingest(&events) {
        news = true;
        sink.transition(&t);
    }
    if !tracker.has_resource_events() && info.status != "DELETE_COMPLETE" {
        // Backends without per-resource events: derive transitions from the resource table.
        match stack_resources(cfn, stack).await {
            Ok(snapshot) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                for t in tracker.ingest_snapshot(&snapshot, now) {
                    news = true;
                    sink.transition(&t);
                }
            }
            Err(e) if e.aws_source().is_some_and(|s| s.is_stack_missing()) => {}
            // A backend that cannot list resources of a broken stack: events still tell the story.
            Err(e) if e.aws_source().is_some_and(|s| !s.is_transient()) => {}
            Err(e) => return Err(e),
        }
    }
    tracker.set_stack_status(&info.status, info.reason.as_deref());
    sink.progress(tracker.stack(), tracker.progress(), tracker.stack_status());
    if is_terminal_stack_status(&info.status) {
        if info.status == "DELETE_COMPLETE" {
            sink.finish(tracker.stack(), &tracker.outcome());
            return Ok(Poll::Settled(WatchEnd::Gone));
        }
        return Ok(Poll::Settled(WatchEnd::Settled(tracker.outcome())));
    }
    Ok(Poll::Running { news })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_resets_grows_and_caps() {
        let mut b = Backoff::default();
        assert_eq!(b.next(false, false), Duration::from_millis(750));
        assert_eq!(b.next(false, false), Duration::from_millis(1125));
        assert_eq!(b.next(false, false), Duration::from_millis(1500));
        assert_eq!(b.next(false, false), Duration::from_millis(1500));
        assert_eq!(b.next(true, false), Duration::from_millis(500));
        for _ in 0..10 {
            b.next(false, true);
        }
        assert_eq!(b.next(false, true), Duration::from_secs(5));
        assert_eq!(b.next(true, false), Duration::from_millis(500));
    }
}
