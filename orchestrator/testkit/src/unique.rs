//! Names no other test (or test process) uses at the same time.

use std::time::{SystemTime, UNIX_EPOCH};

/// `PREFIX-PID-NANOS`: unique per call within a run of tests and across processes.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}
