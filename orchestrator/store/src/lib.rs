//! Raft log and state-machine storage for swarmd managers; `apply()` is pure over the api types.
