//! Event tracker throughput: 10,000 recorded-format events fed as a poller delivers them (newest
//! first, every page re-delivering what was already seen), plus the cost of one progress line.
//! Prints a table (no timed assertions): `cargo bench --bench tracker`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use swarm_aws::stack::event::STACK_TYPE;
use swarm_aws::stack::render::transition_line;
use swarm_aws::stack::{StackEvent, Tracker};

/// A synthetic but AWS-shaped history: 2,500 resources, each IN_PROGRESS twice then COMPLETE
/// (one in 50 fails, the rest of its batch cancelled), stack events at both ends.
fn history(n: usize) -> Vec<StackEvent> {
    let statuses = [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    ];
    let mut out = Vec::with_capacity(n);
    out.push(event(
        0,
        "bench",
        STACK_TYPE,
        "CREATE_IN_PROGRESS",
        Some("User Initiated"),
    ));
    let mut i = 1;
    while out.len() < n - 1 {
        let r = i / 4;
        let k = i % 4;
        let (status, reason) = match (k, r % 50) {
            (3, _) => {
                i += 1;
                continue;
            }
            (2, 7) => (
                "CREATE_FAILED",
                Some("The image id '[ami-0bad]' does not exist"),
            ),
            (2, 8..=9) => ("CREATE_FAILED", Some("Resource creation cancelled")),
            (k, _) => (statuses[k], None),
        };
        out.push(event(
            i as i64 * 10,
            &format!("Resource{r}"),
            "AWS::EC2::Subnet",
            status,
            reason,
        ));
        i += 1;
    }
    out.push(event(
        i as i64 * 10,
        "bench",
        STACK_TYPE,
        "ROLLBACK_COMPLETE",
        None,
    ));
    out.reverse(); // newest first, as DescribeStackEvents returns them
    out
}

fn event(t: i64, logical: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
    StackEvent {
        event_id: format!("{logical}-{status}-{t}"),
        stack_name: "bench".into(),
        logical_resource_id: logical.into(),
        physical_resource_id: None,
        resource_type: ty.into(),
        timestamp_ms: 1_700_000_000_000 + t,
        resource_status: status.into(),
        resource_status_reason: reason.map(Into::into),
    }
}

fn measure(budget: Duration, mut f: impl FnMut()) -> (u64, Duration) {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget || n < 3 {
        f();
        n += 1;
    }
    (n, start.elapsed() / n as u32)
}

fn main() {
    let events = history(10_000);
    assert_eq!(events.len(), 10_000);
    let budget = Duration::from_secs(2);
    println!(
        "{:<58} {:>12} {:>14}",
        "case (10,000 events)", "per run", "events/s"
    );

    let (_, one_page) = measure(budget, || {
        let mut t = Tracker::new("bench", 2500);
        black_box(t.ingest(black_box(&events)).len());
        black_box(t.outcome());
    });
    row("one page, all new", one_page, events.len());

    // A poller's view: pages of the newest 100 events, every 50 new events (half re-delivered).
    let (_, paged) = measure(budget, || {
        let mut t = Tracker::new("bench", 2500);
        let n = events.len();
        let mut revealed = 0;
        while revealed < n {
            revealed = (revealed + 50).min(n);
            let start = n - revealed;
            let page = &events[start..(start + 100).min(n)];
            black_box(t.ingest(page).len());
        }
        black_box(t.progress());
    });
    row("pages of 100, 50 new each (dedupe)", paged, events.len());

    let (_, dup) = measure(budget, || {
        let mut t = Tracker::new("bench", 2500);
        t.ingest(&events);
        black_box(t.ingest(black_box(&events)).len());
    });
    row(
        "same 10,000 twice (second all duplicates)",
        dup,
        2 * events.len(),
    );

    let mut t = Tracker::new("bench", 2500);
    let transitions = t.ingest(&events);
    let (_, lines) = measure(budget, || {
        for tr in &transitions {
            black_box(transition_line(tr));
        }
    });
    row("format a progress line for each", lines, transitions.len());
    println!(
        "root cause found: {}",
        t.root_cause().map(|f| f.logical_id.as_str()).unwrap_or("-")
    );
}

fn row(name: &str, per_run: Duration, events: usize) {
    println!(
        "{name:<58} {:>10.2} ms {:>14.0}",
        per_run.as_secs_f64() * 1e3,
        events as f64 / per_run.as_secs_f64()
    );
}
