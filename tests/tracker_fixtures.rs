//! The pure event tracker against recorded event sequences written from AWS's documented
//! DescribeStackEvents format: a successful create, a create that fails and rolls back (with a
//! cascade of "Resource creation cancelled"), an update rollback, and a delete failure.

use serde::Deserialize;
use swarm_aws::stack::delete::is_retryable_reason;
use swarm_aws::stack::tracker::{Outcome, Phase, Progress, Rollback, Tracker, Transition};
use swarm_aws::stack::StackEvent;

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "StackEvents")]
    events: Vec<StackEvent>,
}

/// Events of a fixture, newest first (as DescribeStackEvents returns them).
fn fixture(name: &str) -> Vec<StackEvent> {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Page>(&text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .events
}

/// Replays the history as a poller sees it: every `step` new events, the whole newest-first
/// history again (so every poll re-delivers what was already seen).
fn replay(tracker: &mut Tracker, newest_first: &[StackEvent], step: usize) -> Vec<Transition> {
    let n = newest_first.len();
    let mut out = Vec::new();
    let mut revealed = 0;
    while revealed < n {
        revealed = (revealed + step).min(n);
        let page = &newest_first[n - revealed..];
        out.extend(tracker.ingest(page));
    }
    out
}

fn statuses(ts: &[Transition]) -> Vec<(String, String)> {
    ts.iter()
        .map(|t| (t.logical_id.clone(), t.status.clone()))
        .collect()
}

#[test]
fn successful_create_reports_every_event_once_in_order() {
    let events = fixture("create_success.json");
    let mut tracker = Tracker::new("c1", 4);
    let ts = replay(&mut tracker, &events, 3);
    assert_eq!(ts.len(), events.len(), "each event exactly once");
    assert!(ts
        .windows(2)
        .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
    assert_eq!(
        ts.first().map(|t| t.status.as_str()),
        Some("CREATE_IN_PROGRESS")
    );
    assert!(ts[0].stack_level);
    assert_eq!(
        ts.last().map(|t| t.status.as_str()),
        Some("CREATE_COMPLETE")
    );
    assert_eq!(tracker.progress(), Progress { done: 4, total: 4 });
    assert_eq!(
        tracker.outcome(),
        Outcome::Succeeded {
            status: "CREATE_COMPLETE".into()
        }
    );
    assert!(tracker.root_cause().is_none());
}

#[test]
fn progress_counts_settled_resources_midway() {
    let events = fixture("create_success.json");
    let n = events.len();
    let mut tracker = Tracker::new("c1", 4);
    // Up to and including Vpc CREATE_COMPLETE (6th event): 1 of 4 settled.
    tracker.ingest(&events[n - 6..]);
    assert_eq!(tracker.progress(), Progress { done: 1, total: 4 });
    assert_eq!(tracker.outcome(), Outcome::Running);
}

#[test]
fn failed_create_names_the_first_non_cancelled_failure_and_the_rollback() {
    let events = fixture("create_failure_rollback.json");
    let mut tracker = Tracker::new("c1", 4);
    let ts = replay(&mut tracker, &events, 2);
    assert_eq!(ts.len(), events.len());
    let first_failed = ts.iter().find(|t| t.phase == Phase::Failed).unwrap();
    assert_eq!(
        first_failed.reason.as_deref(),
        Some("Resource creation cancelled"),
        "the fixture delivers a cancellation first, at the same millisecond"
    );
    let cause = tracker.root_cause().unwrap();
    assert_eq!(cause.logical_id, "NodeLaunchTemplate");
    assert!(
        cause.reason.contains("InvalidAMIID.NotFound"),
        "{}",
        cause.reason
    );
    match tracker.outcome() {
        Outcome::Failed {
            status, rollback, ..
        } => {
            assert_eq!(status, "ROLLBACK_COMPLETE");
            assert_eq!(rollback, Rollback::Complete);
        }
        other => panic!("expected failure, got {other:?}"),
    }
    let line = tracker.outcome().cause_line().unwrap();
    assert!(
        line.starts_with(
            "NodeLaunchTemplate (AWS::EC2::LaunchTemplate) CREATE_FAILED: The image id"
        ),
        "{line}"
    );
}

#[test]
fn update_rollback_reports_only_the_update_and_its_cause() {
    let events = fixture("update_rollback.json");
    let n = events.len();
    // The first 5 events (oldest) belong to the earlier create.
    let (update, create) = events.split_at(n - 5);
    let mut tracker = Tracker::new("c1", 2);
    tracker.seed_events(create);
    let mut ts = Vec::new();
    let mut rollback_seen_midway = false;
    for k in 1..=update.len() {
        ts.extend(tracker.ingest(&update[update.len() - k..]));
        if tracker.stack_status() == Some("UPDATE_ROLLBACK_IN_PROGRESS") {
            rollback_seen_midway = matches!(
                tracker.outcome(),
                Outcome::Failed {
                    rollback: Rollback::InProgress,
                    ..
                }
            );
        }
    }
    assert!(rollback_seen_midway);
    assert_eq!(ts.len(), update.len());
    assert!(statuses(&ts).iter().all(|(_, s)| !s.starts_with("CREATE")));
    let cause = tracker.root_cause().unwrap();
    assert_eq!(
        (cause.logical_id.as_str(), cause.status.as_str()),
        ("NodeAsg", "UPDATE_FAILED")
    );
    assert!(cause.reason.contains("resource signal"));
    match tracker.outcome() {
        Outcome::Failed {
            status,
            rollback,
            stack_reason,
            ..
        } => {
            assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
            assert_eq!(rollback, Rollback::Complete);
            assert_eq!(
                stack_reason.as_deref(),
                Some("The following resource(s) failed to update: [NodeAsg].")
            );
        }
        other => panic!("expected failure, got {other:?}"),
    }
}

#[test]
fn delete_failure_names_the_stuck_resource_and_why() {
    let events = fixture("delete_failure.json");
    let mut tracker = Tracker::new("c1", 0);
    replay(&mut tracker, &events, 4);
    let stuck = tracker.failed_resources();
    assert_eq!(stuck.len(), 1);
    let (id, ty, reason) = &stuck[0];
    assert_eq!((id.as_str(), ty.as_str()), ("Vpc", "AWS::EC2::VPC"));
    assert!(reason.contains("DependencyViolation"));
    assert!(is_retryable_reason(reason));
    match tracker.outcome() {
        Outcome::Failed {
            status, rollback, ..
        } => {
            assert_eq!(status, "DELETE_FAILED");
            assert_eq!(rollback, Rollback::None);
        }
        other => panic!("expected failure, got {other:?}"),
    }
}

#[test]
fn shuffled_and_duplicated_delivery_gives_the_same_story() {
    let events = fixture("create_failure_rollback.json");
    let mut ordered = Tracker::new("c1", 4);
    let expected = statuses(&ordered.ingest(&events));
    let mut doubled: Vec<StackEvent> = events.iter().chain(events.iter()).cloned().collect();
    doubled.reverse();
    let mut shuffled = Tracker::new("c1", 4);
    let got = shuffled.ingest(&doubled);
    assert_eq!(got.len(), events.len());
    // Same multiset of transitions, same root cause.
    let mut a = expected.clone();
    let mut b = statuses(&got);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(shuffled.root_cause(), ordered.root_cause());
}
