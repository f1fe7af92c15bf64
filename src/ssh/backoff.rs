//! Bounded exponential backoff for connecting to hosts that are still booting (pure).

use std::time::Duration;

/// Exponential backoff: delays start at `initial`, double up to `max_delay`, and stop once the total
/// time budget `total` would be exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The largest single delay.
    pub max_delay: Duration,
    /// The total time budget for all attempts.
    pub total: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            total: Duration::from_secs(120),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt + 1` (attempt counts from 1), given `elapsed` time so far;
    /// `None` when the budget is spent. The last delay is shortened to end exactly at the budget.
    pub fn next_delay(&self, attempt: u32, elapsed: Duration) -> Option<Duration> {
        if elapsed >= self.total {
            return None;
        }
        let exp = attempt.saturating_sub(1).min(20);
        let delay = self.initial.saturating_mul(1u32 << exp).min(self.max_delay);
        Some(delay.min(self.total - elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_cap_then_stop_at_budget() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            total: Duration::from_secs(2),
        };
        let z = Duration::ZERO;
        assert_eq!(b.next_delay(1, z), Some(Duration::from_millis(100)));
        assert_eq!(b.next_delay(2, z), Some(Duration::from_millis(200)));
        assert_eq!(b.next_delay(3, z), Some(Duration::from_millis(400)));
        assert_eq!(b.next_delay(4, z), Some(Duration::from_millis(500)));
        assert_eq!(b.next_delay(40, z), Some(Duration::from_millis(500)));
        assert_eq!(
            b.next_delay(4, Duration::from_millis(1900)),
            Some(Duration::from_millis(100))
        );
        assert_eq!(b.next_delay(4, Duration::from_secs(2)), None);
        assert_eq!(b.next_delay(1, Duration::from_secs(3)), None);
    }
}
