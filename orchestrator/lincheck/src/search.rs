//! The search: a doubly linked list of call/return events in time order, from which
//! operations are "lifted" as they are linearized and put back on backtracking.

use std::collections::HashSet;

use crate::{Model, Operation};

/// The answer of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The history is linearizable; the operations (indices into the history) in one order
    /// that explains it (operations with an unknown outcome that never took effect are left
    /// out).
    Linearizable(Vec<usize>),
    /// No order explains the history. `longest` is the longest prefix of an order the search
    /// found, which helps to see where it goes wrong.
    NotLinearizable {
        /// Indices of the longest linearized prefix the search reached.
        longest: Vec<usize>,
    },
    /// The step budget ran out before an answer.
    Unknown,
}

const HEAD: usize = usize::MAX;

#[derive(Debug, Clone, Copy)]
struct Event {
    op: usize,
    is_call: bool,
    prev: usize,
    next: usize,
}

struct List {
    events: Vec<Event>,
    head_next: usize,
    call_of: Vec<usize>,
    ret_of: Vec<usize>,
}

impl List {
    fn new<I, O>(ops: &[Operation<I, O>]) -> List {
        // (time, calls before returns at equal times: touching operations count as concurrent)
        let mut keyed: Vec<(u64, u8, usize, bool)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            keyed.push((op.call, 0, i, true));
            let t = op.ret.as_ref().map(|(t, _)| *t).unwrap_or(u64::MAX);
            keyed.push((t.max(op.call), 1, i, false));
        }
        keyed.sort();
        let n = keyed.len();
        let mut call_of = vec![0; ops.len()];
        let mut ret_of = vec![0; ops.len()];
        let events = keyed
            .iter()
            .enumerate()
            .map(|(j, &(_, _, op, is_call))| {
                if is_call {
                    call_of[op] = j;
                } else {
                    ret_of[op] = j;
                }
                Event {
                    op,
                    is_call,
                    prev: if j == 0 { HEAD } else { j - 1 },
                    next: if j + 1 == n { HEAD } else { j + 1 },
                }
            })
            .collect();
        List {
            events,
            head_next: if n == 0 { HEAD } else { 0 },
            call_of,
            ret_of,
        }
    }

    fn next_of(&self, e: usize) -> usize {
        if e == HEAD {
            self.head_next
        } else {
            self.events[e].next
        }
    }

    fn set_next(&mut self, e: usize, to: usize) {
        if e == HEAD {
            self.head_next = to;
        } else {
            self.events[e].next = to;
        }
    }

    fn unlink(&mut self, e: usize) {
        let Event { prev, next, .. } = self.events[e];
        self.set_next(prev, next);
        if next != HEAD {
            self.events[next].prev = prev;
        }
    }

    fn relink(&mut self, e: usize) {
        let Event { prev, next, .. } = self.events[e];
        self.set_next(prev, e);
        if next != HEAD {
            self.events[next].prev = e;
        }
    }

    /// Takes an operation's call and return out of the list.
    fn lift(&mut self, op: usize) {
        self.unlink(self.call_of[op]);
        self.unlink(self.ret_of[op]);
    }

    /// Puts them back (in the reverse order of [`List::lift`], as dancing links require).
    fn unlift(&mut self, op: usize) {
        self.relink(self.ret_of[op]);
        self.relink(self.call_of[op]);
    }
}

/// Whether `history` is linearizable with respect to `model`, giving up after `budget` search
/// steps (each step tries one operation at one point).
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
) -> Verdict {
    let mut list = List::new(history);
    let words = history.len().div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut cache: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut longest: Vec<usize> = Vec::new();
    let mut state = model.init();
    let mut cur = list.head_next;
    let mut steps = 0u64;
    // Operations with an unknown outcome need not be linearized: done when the known ones are.
    let mut required = history.iter().filter(|o| o.ret.is_some()).count();
    while required > 0 {
        steps += 1;
        if steps > budget {
            return Verdict::Unknown;
        }
        let e = list.events[cur];
        if e.is_call {
            let op = &history[e.op];
            let output = op.ret.as_ref().map(|(_, o)| o);
            if let Some(next) = model.step(&state, &op.input, output) {
                linearized[e.op / 64] |= 1 << (e.op % 64);
                if cache.insert((linearized.clone(), next.clone())) {
                    stack.push((e.op, std::mem::replace(&mut state, next)));
                    list.lift(e.op);
                    required -= usize::from(op.ret.is_some());
                    if stack.len() > longest.len() {
                        longest = stack.iter().map(|(o, _)| *o).collect();
                    }
                    cur = list.head_next;
                    continue;
                }
                linearized[e.op / 64] &= !(1 << (e.op % 64));
            }
            cur = list.next_of(cur);
        } else {
            // An operation returned before it could be linearized: undo the last choice.
            let Some((op, before)) = stack.pop() else {
                return Verdict::NotLinearizable { longest };
            };
            state = before;
            required += usize::from(history[op].ret.is_some());
            linearized[op / 64] &= !(1 << (op % 64));
            list.unlift(op);
            cur = list.next_of(list.call_of[op]);
        }
    }
    Verdict::Linearizable(stack.into_iter().map(|(o, _)| o).collect())
}
