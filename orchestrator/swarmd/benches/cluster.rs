//! Cluster benchmarks (filled in later).

fn main() {}
