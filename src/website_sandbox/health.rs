//! Route 53's failover decision, evaluated by the sandbox (pure): moto stores health checks but
//! never runs them. A check changes state after `threshold` consecutive results that disagree
//! with it (Route 53's `FailureThreshold` counts both ways); the failover record answers PRIMARY
//! while the primary's check is healthy, else SECONDARY.

use serde::{Deserialize, Serialize};

/// Which record answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// The PRIMARY record.
    Primary,
    /// The SECONDARY record.
    Secondary,
}

/// A health check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checker {
    /// Healthy now.
    pub healthy: bool,
    /// Consecutive results against the current state.
    pub against: u32,
    /// Results that change the state.
    pub threshold: u32,
}

impl Checker {
    /// A new check: healthy (as Route 53 treats a new check until it has results).
    pub fn new(threshold: u32) -> Self {
        Checker {
            healthy: true,
            against: 0,
            threshold: threshold.max(1),
        }
    }

    /// Records one result; returns whether the state changed.
    pub fn record(&mut self, passed: bool) -> bool {
        if passed == self.healthy {
            self.against = 0;
            return false;
        }
        self.against += 1;
        if self.against >= self.threshold {
            self.healthy = passed;
            self.against = 0;
            return true;
        }
        false
    }

    /// The record that answers.
    pub fn side(&self) -> Side {
        if self.healthy {
            Side::Primary
        } else {
            Side::Secondary
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_over_after_threshold_failures_and_back_after_threshold_passes() {
        let mut c = Checker::new(3);
        assert_eq!(c.side(), Side::Primary);
        assert!(!c.record(false));
        assert!(!c.record(false));
        // A pass in between restarts the count.
        assert!(!c.record(true));
        assert!(!c.record(false));
        assert!(!c.record(false));
        assert_eq!(c.side(), Side::Primary);
        assert!(c.record(false));
        assert_eq!(c.side(), Side::Secondary);
        assert!(!c.record(true));
        assert!(!c.record(true));
        assert!(!c.record(false));
        assert!(!c.record(true) && !c.record(true));
        assert!(c.record(true));
        assert_eq!(c.side(), Side::Primary);
        // Threshold 1 (and 0, read as 1): every disagreeing result switches.
        let mut c = Checker::new(0);
        assert!(c.record(false));
        assert!(c.record(true));
    }
}
