//! Network partitions on loopback with iptables (needs root, as in CI): DROP rules between two
//! groups of addresses, removed on drop (also on panic).

#![allow(dead_code)]

use std::process::Command;

/// DROP rules between two groups of loopback IPs; removed on drop.
pub struct Partition {
    rules: Vec<(String, String)>,
}

fn iptables(op: &str, src: &str, dst: &str) -> bool {
    Command::new("iptables")
        .args([op, "INPUT", "-s", src, "-d", dst, "-j", "DROP"])
        .status()
        .is_ok_and(|s| s.success())
}

impl Partition {
    /// Cuts every address of `a` from every address of `b`, both ways.
    pub fn new(a: &[String], b: &[String]) -> Partition {
        let mut rules = Vec::new();
        for x in a {
            for y in b {
                for (s, d) in [(x, y), (y, x)] {
                    assert!(
                        iptables("-I", s, d),
                        "iptables failed (the test needs root)"
                    );
                    rules.push((s.clone(), d.clone()));
                }
            }
        }
        Partition { rules }
    }

    /// Cuts `one` from each of `others`, both ways.
    pub fn isolate(one: &str, others: &[String]) -> Partition {
        Partition::new(&[one.to_string()], others)
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        for (s, d) in &self.rules {
            iptables("-D", s, d);
        }
    }
}

/// The IP of a `host:port` address.
pub fn ip(addr: &str) -> String {
    addr.rsplit_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or_default()
}
