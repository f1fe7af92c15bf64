//! `--show-file PATH`: print what the container sees at PATH without printing its content
//! (a secret must not land in the container's log): mode, owner, length and an FNV-1a hash,
//! as `file PATH mode=0400 uid=0 gid=0 len=7 fnv1a=HEX`, or `file PATH error=...`.

use std::os::unix::fs::MetadataExt;

/// The 64-bit FNV-1a hash of `data` (tests compute the same over the expected content).
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The line for `path`.
pub fn describe(path: &str) -> String {
    match (std::fs::metadata(path), std::fs::read(path)) {
        (Ok(m), Ok(data)) => format!(
            "file {path} mode={:04o} uid={} gid={} len={} fnv1a={:016x}",
            m.mode() & 0o7777,
            m.uid(),
            m.gid(),
            data.len(),
            fnv1a(&data)
        ),
        (Err(e), _) | (_, Err(e)) => format!("file {path} error={e}"),
    }
}
