//! The swarmd binary `swarm-aws` uploads must start on the instances: Amazon Linux 2023, the
//! image the template picks, ships glibc 2.34. A build host with a newer glibc (Debian 12 has
//! 2.36) links against whatever symbol versions the code uses, so this checks the built binary's
//! dynamic symbol versions with `objdump -T` (binutils; scripts/setup installs it).

use std::process::Command;

/// glibc of Amazon Linux 2023.
const AL2023_GLIBC: (u32, u32) = (2, 34);

/// The highest `GLIBC_x.y` version in `objdump -T` output (pure).
fn max_glibc(objdump: &str) -> Option<(u32, u32)> {
    objdump
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next().unwrap_or("0").parse().ok()?;
            Some((major, minor))
        })
        .max()
}

#[test]
fn the_highest_glibc_version_is_found() {
    let sample = "0000 DF *UND* 0000 (GLIBC_2.2.5) memcpy\n0000 DF *UND* 0000 (GLIBC_2.34) \
                  pthread_create\n0000 DF *UND* 0000 GLIBC_2.3.4 __chk\n";
    assert_eq!(max_glibc(sample), Some((2, 34)));
    assert_eq!(max_glibc("no versions"), None);
}

#[test]
fn swarmd_needs_no_newer_glibc_than_amazon_linux_2023() {
    let out = Command::new("objdump")
        .args(["-T", env!("CARGO_BIN_EXE_swarmd")])
        .output()
        .expect("objdump runs (install binutils: scripts/setup does)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let max = max_glibc(&text).expect("swarmd links glibc dynamically");
    assert!(
        max <= AL2023_GLIBC,
        "swarmd needs GLIBC_{}.{}, newer than Amazon Linux 2023's 2.34: it would not start on the \
         instances. Find the symbol with `objdump -T swarmd | grep GLIBC_{}.{}` and avoid it, or \
         build swarmd on an older glibc",
        max.0,
        max.1,
        max.0,
        max.1
    );
}
