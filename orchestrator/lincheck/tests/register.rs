//! The checker against the versioned register: histories it must accept and ones it must reject.

use swarm_lincheck::register::{Input, Output, Register};
use swarm_lincheck::{check, Operation, Verdict};

type Op = Operation<Input, Output>;

fn read(client: usize, call: u64, ret: u64, v: u64, val: &str) -> Op {
    Operation {
        client,
        input: Input::Read,
        call,
        ret: Some((ret, Output::Read((v, val.into())))),
    }
}

fn cas(client: usize, call: u64, ret: Option<u64>, expect: u64, val: &str, ok: bool) -> Op {
    Operation {
        client,
        input: Input::Cas {
            expect,
            value: val.into(),
        },
        call,
        ret: ret.map(|t| (t, if ok { Output::Ok } else { Output::Conflict })),
    }
}

fn model() -> Register {
    Register {
        init: (1, "a".into()),
    }
}

fn linearizable(h: &[Op]) -> bool {
    match check(&model(), h, 1_000_000) {
        Verdict::Linearizable(order) => {
            let known = h.iter().filter(|o| o.ret.is_some()).count();
            assert!(
                order.len() >= known,
                "every known operation is in the order"
            );
            true
        }
        Verdict::NotLinearizable { .. } => false,
        Verdict::Unknown => panic!("budget ran out on a tiny history"),
    }
}

#[test]
fn empty_history_is_linearizable() {
    assert!(linearizable(&[]));
}

#[test]
fn sequential_history_is_linearizable() {
    let h = [
        read(0, 0, 1, 1, "a"),
        cas(0, 2, Some(3), 1, "b", true),
        read(1, 4, 5, 2, "b"),
        cas(1, 6, Some(7), 1, "c", false),
        read(0, 8, 9, 2, "b"),
    ];
    assert!(linearizable(&h));
}

#[test]
fn concurrent_operations_may_take_effect_in_either_order() {
    // The read overlaps the CAS and sees its effect, the later read too.
    let h = [
        cas(0, 0, Some(10), 1, "b", true),
        read(1, 1, 5, 2, "b"),
        read(2, 11, 12, 2, "b"),
    ];
    assert!(linearizable(&h));
    // Two concurrent CAS on the same version: exactly one wins.
    let h = [
        cas(0, 0, Some(10), 1, "b", true),
        cas(1, 1, Some(9), 1, "c", false),
        read(2, 11, 12, 2, "b"),
    ];
    assert!(linearizable(&h));
}

#[test]
fn stale_read_after_a_completed_write_is_rejected() {
    // The CAS completed before the read began, yet the read sees the old value.
    let h = [cas(0, 0, Some(1), 1, "b", true), read(1, 2, 3, 1, "a")];
    assert!(!linearizable(&h));
}

#[test]
fn two_winners_of_one_version_are_rejected() {
    let h = [
        cas(0, 0, Some(10), 1, "b", true),
        cas(1, 1, Some(9), 1, "c", true),
    ];
    assert!(!linearizable(&h));
}

#[test]
fn spurious_conflict_is_rejected() {
    // Nobody wrote, yet a CAS on the current version was refused.
    let h = [read(0, 0, 1, 1, "a"), cas(0, 2, Some(3), 1, "b", false)];
    assert!(!linearizable(&h));
}

#[test]
fn reads_that_go_back_in_time_are_rejected() {
    // Write of b overlaps both reads; the first read sees b, the later one a again.
    let h = [
        cas(0, 0, Some(100), 1, "b", true),
        read(1, 10, 20, 2, "b"),
        read(2, 30, 40, 1, "a"),
    ];
    assert!(!linearizable(&h));
}

#[test]
fn unknown_outcome_may_have_happened_or_not() {
    // The CAS timed out; a later read sees its effect...
    let h = [cas(0, 0, None, 1, "b", false), read(1, 5, 6, 2, "b")];
    assert!(linearizable(&h));
    // ... or does not.
    let h = [cas(0, 0, None, 1, "b", false), read(1, 5, 6, 1, "a")];
    assert!(linearizable(&h));
    // But it cannot take effect twice nor before it was invoked.
    let h = [read(1, 0, 1, 2, "b"), cas(0, 2, None, 1, "b", false)];
    assert!(!linearizable(&h));
    // Nor once seen can it be unseen.
    let h = [
        cas(0, 0, None, 1, "b", false),
        read(1, 5, 6, 2, "b"),
        read(1, 7, 8, 1, "a"),
    ];
    assert!(!linearizable(&h));
}

#[test]
fn the_longest_prefix_shows_where_it_fails() {
    let h = [
        read(0, 0, 1, 1, "a"),
        cas(0, 2, Some(3), 1, "b", true),
        read(1, 4, 5, 1, "a"),
    ];
    match check(&model(), &h, 1000) {
        Verdict::NotLinearizable { longest } => assert_eq!(longest, vec![0, 1]),
        v => panic!("expected a rejection, got {v:?}"),
    }
}

#[test]
fn the_budget_bounds_the_search() {
    let h = [
        read(0, 0, 1, 1, "a"),
        cas(0, 2, Some(3), 1, "b", true),
        read(1, 4, 5, 2, "b"),
    ];
    assert_eq!(check(&model(), &h, 2), Verdict::Unknown);
    assert!(matches!(check(&model(), &h, 100), Verdict::Linearizable(_)));
}

#[test]
fn many_concurrent_unknown_outcomes_stay_cheap() {
    // 40 timed-out CAS on versions nobody reaches, concurrent with everything after them.
    let mut h: Vec<Op> = (0..40)
        .map(|i| cas(i, i as u64, None, 100 + i as u64, "x", false))
        .collect();
    h.push(cas(98, 50, Some(51), 1, "b", true));
    h.push(read(99, 52, 53, 2, "b"));
    assert!(matches!(
        check(&model(), &h, 100_000),
        Verdict::Linearizable(_)
    ));
    h.push(read(99, 54, 55, 1, "a"));
    assert!(matches!(
        check(&model(), &h, 100_000),
        Verdict::NotLinearizable { .. }
    ));
}

#[test]
fn a_long_linearizable_history_is_checked_quickly_enough() {
    // 4 clients, 300 operations, overlapping in pairs, each CAS on the version it just read.
    let mut h = Vec::new();
    let (mut v, mut val) = (1u64, "a".to_string());
    let mut t = 0u64;
    for i in 0..150usize {
        let c = i % 4;
        h.push(read(c, t, t + 3, v, &val));
        let next = format!("v{i}");
        h.push(cas((c + 1) % 4, t + 1, Some(t + 5), v, &next, true));
        h.push(cas((c + 2) % 4, t + 2, Some(t + 6), v, "lost", false));
        v += 1;
        val = next;
        t += 10;
    }
    assert!(linearizable(&h));
}
