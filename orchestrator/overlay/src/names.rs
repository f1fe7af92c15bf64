//! Device names and MAC addresses of the data plane (pure).
//!
//! Linux interface names have at most 15 characters: the bridge and VXLAN device of a
//! network are named by its VNI, a task's veth by its task id and the VNI. A task's MAC is
//! derived from its address as Docker does (`02:42` + the four IPv4 bytes), so every node
//! knows a remote task's MAC from its address alone.

use std::net::Ipv4Addr;

/// The bridge of the network with `vni`.
pub fn bridge(vni: u32) -> String {
    format!("swbr{vni}")
}

/// The VXLAN device of the network with `vni`.
pub fn vxlan(vni: u32) -> String {
    format!("swvx{vni}")
}

/// `(host end, container end)` of a task's veth on the network with `vni` (the container
/// end is renamed [`task_if`] inside the task's namespace).
pub fn veth(task_id: &str, vni: u32) -> (String, String) {
    let short: String = task_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(7)
        .collect();
    let n = vni % 10_000;
    (format!("sv{short}{n}"), format!("sc{short}{n}"))
}

/// The name of the overlay interface inside a task's namespace.
pub fn task_if(vni: u32) -> String {
    format!("ov{vni}")
}

/// The MAC of the task address `ip`.
pub fn mac_bytes(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

/// The MAC of the task address `ip`, as `ip link` prints it.
pub fn mac(ip: Ipv4Addr) -> String {
    mac_bytes(ip).map(|b| format!("{b:02x}")).join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_ifnamsiz_and_macs_follow_the_address() {
        let (h, c) = veth("abcdefghijklmnopqrstuvwxy", 4097);
        assert_eq!(h, "svabcdefg4097");
        assert_eq!(c, "scabcdefg4097");
        for n in [
            bridge(16_777_215),
            vxlan(16_777_215),
            h,
            c,
            task_if(16_777_215),
        ] {
            assert!(n.len() <= 15, "{n}");
        }
        assert_eq!(mac(Ipv4Addr::new(10, 0, 9, 3)), "02:42:0a:00:09:03");
    }
}
