//! The test images, built once per test process.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

/// The default test image (`swarm-test/web:v1`, the server with no flags).
pub const IMAGE: &str = swarm_testimg::IMAGE;

/// Builds each `(tag, server flags)` not built yet by this process, under `tmp`
/// (`env!("CARGO_TARGET_TMPDIR")` of the calling test); panics naming the tag when a build
/// fails (a test cannot run without its image).
pub fn ensure(tmp: &Path, variants: &[(&str, &[&str])]) {
    static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tmp.join("testimg");
    for (tag, flags) in variants {
        if built.contains(*tag) {
            continue;
        }
        swarm_testimg::build_variant(&dir, tag, flags)
            .unwrap_or_else(|e| panic!("cannot build the test image {tag}: {e}"));
        built.insert(tag.to_string());
    }
}

/// [`ensure`] of the default image alone; returns its tag.
pub fn default_image(tmp: &Path) -> &'static str {
    ensure(tmp, &[(IMAGE, &[])]);
    IMAGE
}
