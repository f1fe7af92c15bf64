//! The spread scheduler: a pure pipeline of filters and a ranking over a cluster snapshot.
