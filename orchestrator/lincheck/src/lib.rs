//! Linearizability checking of recorded histories, Wing–Gong style (the algorithm behind
//! Porcupine and Knossos' `linear` checker), with Lowe's cache of (linearized set, state) pairs.
//!
//! A history is a list of [`Operation`]s, each with the time it was invoked, the time it
//! completed and what it returned, or no completion at all when its outcome is unknown (a
//! timeout, a crash of the server that had it). [`check`] decides whether the operations can be
//! put in one total order that respects real time (an operation that completed before another
//! was invoked comes first) and that a sequential [`Model`] accepts, each operation returning
//! what it returned in the history. An unknown outcome completes "at infinity": it may take
//! effect at any point after its invocation, or never (the search may leave it out).
//!
//! [`register`] is the model the swarmd fault test uses: a versioned register with reads and
//! compare-and-set by version (a service's labels, updated with the version the client read).
//!
//! Limits: the search is exponential in the worst case (many concurrent or unknown operations);
//! [`check`] takes a step budget and answers [`Verdict::Unknown`] when it runs out. Histories are
//! not split into independent keys here; check one key's history at a time.

pub mod register;
mod search;

pub use search::{check, Verdict};

/// A sequential specification: the state, and whether an operation may return what it did.
pub trait Model {
    /// The state of the object (hashed for the search cache).
    type State: Clone + Eq + std::hash::Hash + std::fmt::Debug;
    /// What a client asked for.
    type Input: std::fmt::Debug;
    /// What it got back.
    type Output: std::fmt::Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` answered with `output` in `state`, or `None` if the object
    /// cannot answer that in that state. `output` is `None` for an unknown outcome: the model
    /// then gives the state if the operation took effect here (the search also tries leaving
    /// it out altogether, so a model need not answer "it failed" for it).
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;
}

/// One operation of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// Who ran it (for printing; the checker does not need it).
    pub client: usize,
    /// What was asked.
    pub input: I,
    /// When it was invoked (any monotonic unit, e.g. nanoseconds since the test started).
    pub call: u64,
    /// When it completed, with what; `None` when the outcome is unknown.
    pub ret: Option<(u64, O)>,
}
