//! A versioned register: reads return (version, value); a compare-and-set names the version
//! it read and succeeds only if that is still the current one, which it then increments.
//! This is what `service update` with the version of a `service inspect` does to a service.

use crate::Model;

/// The register's state: (version, value).
pub type State = (u64, String);

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Read the current version and value.
    Read,
    /// Set `value` if the version is still `expect`.
    Cas {
        /// The version the client read.
        expect: u64,
        /// The value to store.
        value: String,
    },
}

/// What it got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A read's answer.
    Read(State),
    /// The compare-and-set took effect.
    Ok,
    /// It was refused: the version was not the one named.
    Conflict,
}

/// The model, starting at `init`.
#[derive(Debug, Clone)]
pub struct Register {
    /// The state before the history (the version and value when the test started).
    pub init: State,
}

impl Model for Register {
    type State = State;
    type Input = Input;
    type Output = Output;

    fn init(&self) -> State {
        self.init.clone()
    }

    fn step(&self, s: &State, input: &Input, output: Option<&Output>) -> Option<State> {
        match (input, output) {
            (Input::Read, Some(Output::Read(seen))) => (seen == s).then(|| s.clone()),
            // A read without an answer tells nothing.
            (Input::Read, None) => Some(s.clone()),
            (Input::Cas { expect, value }, Some(Output::Ok)) => {
                (*expect == s.0).then(|| (s.0 + 1, value.clone()))
            }
            // Unknown outcome: the search only places it where it takes effect; an unknown
            // operation that never took effect is simply left out.
            (Input::Cas { expect, value }, None) => {
                (*expect == s.0).then(|| (s.0 + 1, value.clone()))
            }
            (Input::Cas { expect, .. }, Some(Output::Conflict)) => {
                (*expect != s.0).then(|| s.clone())
            }
            _ => None,
        }
    }
}
