//! The pure event tracker: feeds on stack events (newest-first pages, duplicates and all) and on
//! resource snapshots, and answers what changed, how far along the stack is, what the root cause
//! of a failure was and how the rollback ended. No I/O, no clock.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::event::{ResourceSnapshot, StackEvent, STACK_TYPE};

/// Coarse class of a CloudFormation status string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `*_IN_PROGRESS` (including cleanup and rollback in progress).
    InProgress,
    /// `*_COMPLETE` and `DELETE_SKIPPED`: the resource is settled.
    Complete,
    /// `*_FAILED`.
    Failed,
}

/// Classifies a resource or stack status.
pub fn classify(status: &str) -> Phase {
    if status.ends_with("_IN_PROGRESS") {
        Phase::InProgress
    } else if status.ends_with("_FAILED") {
        Phase::Failed
    } else {
        Phase::Complete
    }
}

/// True when a failure reason only says the resource was cancelled because another one failed.
pub fn is_cancellation(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("cancelled") || r.contains("canceled")
}

/// True when the stack status is final (no operation running).
pub fn is_terminal_stack_status(status: &str) -> bool {
    classify(status) != Phase::InProgress && status != "REVIEW_IN_PROGRESS"
}

/// One change of a resource's (or the stack's) status, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Stack the resource belongs to.
    pub stack: String,
    /// When, epoch milliseconds (from the event, or the snapshot's last-updated time).
    pub timestamp_ms: i64,
    /// Logical id (the stack name for stack-level transitions).
    pub logical_id: String,
    /// Resource type.
    pub resource_type: String,
    /// New status.
    pub status: String,
    /// Reason given with it.
    pub reason: Option<String>,
    /// Class of the new status.
    pub phase: Phase,
    /// True when this is the stack itself.
    pub stack_level: bool,
    /// Where it came from: a stack event, or a DescribeStackResources snapshot.
    pub source: Source,
}

/// Origin of a [`Transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A stack event.
    Event,
    /// A resource snapshot (backends that only give stack-level events).
    Snapshot,
}

/// Resources done out of the total known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Resources whose latest status is settled (complete or failed).
    pub done: usize,
    /// Resources known (from the template, or seen so far if larger).
    pub total: usize,
}

/// A failed resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Logical id.
    pub logical_id: String,
    /// Resource type.
    pub resource_type: String,
    /// Failed status.
    pub status: String,
    /// Reason.
    pub reason: String,
    /// When.
    pub timestamp_ms: i64,
}

/// How the rollback after a failure ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rollback {
    /// No rollback (the operation succeeded, rollback was disabled, or deletes do not roll back).
    None,
    /// Rollback still running.
    InProgress,
    /// Rollback completed: the stack is back where it was (or empty after a failed create).
    Complete,
    /// Rollback failed: the stack needs attention.
    Failed,
}

impl Rollback {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Rollback::None => "none",
            Rollback::InProgress => "in_progress",
            Rollback::Complete => "complete",
            Rollback::Failed => "failed",
        }
    }
}

/// Where the operation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    /// Still running (or no stack status seen yet).
    Running,
    /// Finished successfully.
    Succeeded {
        /// Final stack status.
        status: String,
    },
    /// Finished in failure.
    Failed {
        /// Final stack status.
        status: String,
        /// Root cause: the first failed resource whose reason is not a cancellation.
        root_cause: Option<Failure>,
        /// Stack-level reason, when CloudFormation gave one.
        stack_reason: Option<String>,
        /// Rollback outcome.
        rollback: Rollback,
    },
}

impl Outcome {
    /// One line explaining a failure: root cause, else stack reason, else status.
    pub fn cause_line(&self) -> Option<String> {
        match self {
            Outcome::Failed {
                status,
                root_cause,
                stack_reason,
                ..
            } => Some(match (root_cause, stack_reason) {
                (Some(f), _) => format!(
                    "{} ({}) {}: {}",
                    f.logical_id, f.resource_type, f.status, f.reason
                ),
                (None, Some(r)) => r.clone(),
                (None, None) => status.clone(),
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct ResourceState {
    resource_type: String,
    status: String,
    reason: Option<String>,
    from_snapshot: bool,
}

/// Tracks one stack operation.
#[derive(Debug, Clone)]
pub struct Tracker {
    stack: String,
    seen: HashSet<String>,
    resources: BTreeMap<String, ResourceState>,
    total_hint: usize,
    stack_status: Option<String>,
    stack_reason: Option<String>,
    root_cause: Option<Failure>,
    first_failure: Option<Failure>,
    failed_statuses: Vec<String>,
    resource_events_seen: bool,
    events: usize,
}

impl Tracker {
    /// A tracker for `stack`, expecting `total` resources (0 if unknown).
    pub fn new(stack: impl Into<String>, total: usize) -> Self {
        Tracker {
            stack: stack.into(),
            seen: HashSet::new(),
            resources: BTreeMap::new(),
            total_hint: total,
            stack_status: None,
            stack_reason: None,
            root_cause: None,
            first_failure: None,
            failed_statuses: Vec::new(),
            resource_events_seen: false,
            events: 0,
        }
    }

    /// Stack name.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// Marks events of earlier operations as seen, so only this operation's events are reported.
    pub fn seed_events<'a>(&mut self, events: impl IntoIterator<Item = &'a StackEvent>) {
        for e in events {
            self.seen.insert(e.event_id.clone());
        }
    }

    /// Records the current resource states as the baseline (before an update or delete), so a
    /// snapshot only reports resources that change.
    pub fn seed_snapshot(&mut self, snapshot: &[ResourceSnapshot]) {
        for r in snapshot {
            self.resources.insert(
                r.logical_id.clone(),
                ResourceState {
                    resource_type: r.resource_type.clone(),
                    status: r.status.clone(),
                    reason: r.reason.clone(),
                    from_snapshot: true,
                },
            );
        }
        self.total_hint = self.total_hint.max(snapshot.len());
    }

    /// True when the given event id was already processed.
    pub fn has_seen(&self, event_id: &str) -> bool {
        self.seen.contains(event_id)
    }

    /// True once any resource-level (not stack-level) event arrived: the backend reports
    /// per-resource events and snapshots are not needed.
    pub fn has_resource_events(&self) -> bool {
        self.resource_events_seen
    }

    /// Number of distinct events processed.
    pub fn event_count(&self) -> usize {
        self.events
    }

    /// Feeds a page of events (any order; DescribeStackEvents gives newest first). Returns the
    /// transitions not seen before, oldest first.
    pub fn ingest(&mut self, events: &[StackEvent]) -> Vec<Transition> {
        // Newest-first in, so reverse to get arrival order, then a stable sort by time.
        let mut fresh: Vec<&StackEvent> = events
            .iter()
            .rev()
            .filter(|e| !self.seen.contains(&e.event_id))
            .collect();
        fresh.sort_by_key(|e| e.timestamp_ms);
        let mut out = Vec::with_capacity(fresh.len());
        for e in fresh {
            if !self.seen.insert(e.event_id.clone()) {
                continue; // duplicate within the page
            }
            self.events += 1;
            if let Some(t) = self.apply_event(e) {
                out.push(t);
            }
        }
        out
    }

    fn apply_event(&mut self, e: &StackEvent) -> Option<Transition> {
        let stack_level = e.resource_type == STACK_TYPE && e.logical_resource_id == self.stack;
        let phase = classify(&e.resource_status);
        let transition = Transition {
            stack: self.stack.clone(),
            timestamp_ms: e.timestamp_ms,
            logical_id: e.logical_resource_id.clone(),
            resource_type: e.resource_type.clone(),
            status: e.resource_status.clone(),
            reason: e.resource_status_reason.clone(),
            phase,
            stack_level,
            source: Source::Event,
        };
        if stack_level {
            self.stack_status = Some(e.resource_status.clone());
            if e.resource_status_reason.is_some() {
                self.stack_reason = e.resource_status_reason.clone();
            }
            return Some(transition);
        }
        self.resource_events_seen = true;
        let absorbed = match self.resources.get(&e.logical_resource_id) {
            Some(prev) => prev.from_snapshot && prev.status == e.resource_status,
            None => false,
        };
        self.resources.insert(
            e.logical_resource_id.clone(),
            ResourceState {
                resource_type: e.resource_type.clone(),
                status: e.resource_status.clone(),
                reason: e.resource_status_reason.clone(),
                from_snapshot: false,
            },
        );
        if phase == Phase::Failed {
            self.note_failure(&transition);
        }
        if absorbed {
            None
        } else {
            Some(transition)
        }
    }

    /// Feeds a DescribeStackResources snapshot taken at `observed_ms`. Returns a transition for
    /// each resource whose status differs from what events or earlier snapshots said, stamped
    /// with the observation time (a snapshot says what the state is, not when it changed).
    pub fn ingest_snapshot(
        &mut self,
        snapshot: &[ResourceSnapshot],
        observed_ms: i64,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        for r in snapshot {
            let changed = match self.resources.get(&r.logical_id) {
                Some(prev) => prev.status != r.status,
                None => true,
            };
            if !changed {
                continue;
            }
            self.resources.insert(
                r.logical_id.clone(),
                ResourceState {
                    resource_type: r.resource_type.clone(),
                    status: r.status.clone(),
                    reason: r.reason.clone(),
                    from_snapshot: true,
                },
            );
            let t = Transition {
                stack: self.stack.clone(),
                timestamp_ms: observed_ms,
                logical_id: r.logical_id.clone(),
                resource_type: r.resource_type.clone(),
                status: r.status.clone(),
                reason: r.reason.clone(),
                phase: classify(&r.status),
                stack_level: false,
                source: Source::Snapshot,
            };
            if t.phase == Phase::Failed {
                self.note_failure(&t);
            }
            out.push(t);
        }
        out
    }

    /// Records the stack status from DescribeStacks (authoritative when events lag).
    pub fn set_stack_status(&mut self, status: &str, reason: Option<&str>) {
        self.stack_status = Some(status.to_string());
        if let Some(r) = reason {
            self.stack_reason = Some(r.to_string());
        }
    }

    fn note_failure(&mut self, t: &Transition) {
        let reason = t.reason.clone().unwrap_or_default();
        let failure = Failure {
            logical_id: t.logical_id.clone(),
            resource_type: t.resource_type.clone(),
            status: t.status.clone(),
            reason: reason.clone(),
            timestamp_ms: t.timestamp_ms,
        };
        self.failed_statuses.push(t.status.clone());
        if self.first_failure.is_none() {
            self.first_failure = Some(failure.clone());
        }
        if self.root_cause.is_none() && !is_cancellation(&reason) {
            self.root_cause = Some(failure);
        }
    }

    /// Resources settled out of the total known.
    pub fn progress(&self) -> Progress {
        let done = self
            .resources
            .values()
            .filter(|r| classify(&r.status) != Phase::InProgress)
            .count();
        let total = self.total_hint.max(self.resources.len());
        let done = if self
            .stack_status
            .as_deref()
            .is_some_and(is_terminal_stack_status)
        {
            total
        } else {
            done
        };
        Progress { done, total }
    }

    /// Last stack status seen.
    pub fn stack_status(&self) -> Option<&str> {
        self.stack_status.as_deref()
    }

    /// The first failed resource whose reason is not a cancellation (falls back to the first
    /// failure of any kind).
    pub fn root_cause(&self) -> Option<&Failure> {
        self.root_cause.as_ref().or(self.first_failure.as_ref())
    }

    /// Resources currently in a failed state: (logical id, type, reason).
    pub fn failed_resources(&self) -> Vec<(String, String, String)> {
        self.resources
            .iter()
            .filter(|(_, r)| classify(&r.status) == Phase::Failed)
            .map(|(id, r)| {
                (
                    id.clone(),
                    r.resource_type.clone(),
                    r.reason.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Where the operation stands.
    pub fn outcome(&self) -> Outcome {
        let Some(status) = self.stack_status.clone() else {
            return Outcome::Running;
        };
        let rollback = if status.contains("ROLLBACK") {
            match classify(&status) {
                Phase::InProgress => Rollback::InProgress,
                Phase::Complete => Rollback::Complete,
                Phase::Failed => Rollback::Failed,
            }
        } else {
            Rollback::None
        };
        if !is_terminal_stack_status(&status) && rollback != Rollback::InProgress {
            return Outcome::Running;
        }
        let failed = rollback != Rollback::None || classify(&status) == Phase::Failed;
        if !failed {
            return Outcome::Succeeded { status };
        }
        Outcome::Failed {
            status,
            root_cause: self.root_cause().cloned(),
            stack_reason: self.stack_reason.clone(),
            rollback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(
        id: &str,
        t: i64,
        logical: &str,
        ty: &str,
        status: &str,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            stack_name: "s".into(),
            logical_resource_id: logical.into(),
            physical_resource_id: None,
            resource_type: ty.into(),
            timestamp_ms: t,
            resource_status: status.into(),
            resource_status_reason: reason.map(Into::into),
        }
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(classify("CREATE_IN_PROGRESS"), Phase::InProgress);
        assert_eq!(
            classify("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
            Phase::InProgress
        );
        assert_eq!(classify("UPDATE_ROLLBACK_FAILED"), Phase::Failed);
        assert_eq!(classify("DELETE_SKIPPED"), Phase::Complete);
        assert!(is_cancellation("Resource creation cancelled"));
        assert!(!is_cancellation("The image id '[ami-1]' does not exist"));
        for r in [
            Rollback::None,
            Rollback::InProgress,
            Rollback::Complete,
            Rollback::Failed,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn dedupes_and_orders_newest_first_pages() {
        let mut t = Tracker::new("s", 1);
        let page = vec![
            ev("3", 30, "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", None),
            ev("2", 20, "Vpc", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", None),
            ev(
                "1",
                10,
                "s",
                STACK_TYPE,
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        ];
        let out = t.ingest(&page);
        let ids: Vec<_> = out
            .iter()
            .map(|t| (t.logical_id.as_str(), t.status.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("s", "CREATE_IN_PROGRESS"),
                ("Vpc", "CREATE_IN_PROGRESS"),
                ("Vpc", "CREATE_COMPLETE")
            ]
        );
        assert!(
            t.ingest(&page).is_empty(),
            "second delivery of the same page is deduped"
        );
        assert_eq!(t.progress(), Progress { done: 1, total: 1 });
        assert_eq!(t.outcome(), Outcome::Running);
    }

    #[test]
    fn snapshot_fills_in_for_missing_resource_events_and_is_absorbed_by_later_events() {
        let mut t = Tracker::new("s", 2);
        let snap = |status: &str| ResourceSnapshot {
            logical_id: "Vpc".into(),
            physical_id: None,
            resource_type: "AWS::EC2::VPC".into(),
            status: status.into(),
            reason: None,
            timestamp_ms: 5,
        };
        assert_eq!(t.ingest_snapshot(&[snap("CREATE_IN_PROGRESS")], 5).len(), 1);
        assert!(t
            .ingest_snapshot(&[snap("CREATE_IN_PROGRESS")], 5)
            .is_empty());
        assert_eq!(t.ingest_snapshot(&[snap("CREATE_COMPLETE")], 6).len(), 1);
        // The real event for the same status arrives late: absorbed, not printed twice.
        let late = t.ingest(&[ev("9", 6, "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", None)]);
        assert!(late.is_empty());
        assert_eq!(t.progress(), Progress { done: 1, total: 2 });
    }
}
