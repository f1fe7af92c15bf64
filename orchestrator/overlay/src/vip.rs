//! Virtual IPs without IPVS: an nftables table in each task's namespace that rewrites new
//! connections to a service's VIP to one of its running tasks, in turn (`numgen inc`), so
//! connections spread over the replicas; a task that stops leaves the map at the next sync.

use std::net::Ipv4Addr;

/// The table the rules live in (in the task's namespace only).
pub const TABLE: &str = "swarm_vip";

/// The whole table for `vips`: `(virtual IP, running backends)`. Replacing it is one atomic
/// `nft -f` transaction (create, delete, re-create).
pub fn ruleset(vips: &[(Ipv4Addr, Vec<Ipv4Addr>)]) -> String {
    let mut s = format!("table ip {TABLE}\ndelete table ip {TABLE}\ntable ip {TABLE} {{\n");
    s.push_str("  chain out {\n    type nat hook output priority -100; policy accept;\n");
    for (vip, backends) in vips {
        if backends.is_empty() {
            continue;
        }
        let map: Vec<String> = backends
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{i} : {b}"))
            .collect();
        s.push_str(&format!(
            "    ip daddr {vip} dnat to numgen inc mod {} map {{ {} }}\n",
            backends.len(),
            map.join(", ")
        ));
    }
    s.push_str("  }\n}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_per_vip_with_backends() {
        let r = ruleset(&[
            (
                Ipv4Addr::new(10, 0, 9, 2),
                vec![Ipv4Addr::new(10, 0, 9, 3), Ipv4Addr::new(10, 0, 9, 4)],
            ),
            (Ipv4Addr::new(10, 0, 9, 5), vec![]),
        ]);
        assert!(r.contains(
            "ip daddr 10.0.9.2 dnat to numgen inc mod 2 map { 0 : 10.0.9.3, 1 : 10.0.9.4 }"
        ));
        assert!(
            !r.contains("10.0.9.5"),
            "a VIP without running tasks has no rule"
        );
        assert!(r.starts_with("table ip swarm_vip\ndelete table ip swarm_vip\n"));
    }
}
