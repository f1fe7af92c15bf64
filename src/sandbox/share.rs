//! Each sandbox host's share of this machine (pure): the CPUs and memory its swarmd offers the
//! scheduler, so that hosts do not each claim the whole machine (with 5 hosts on a 2-core,
//! 24 GiB machine, each would otherwise offer 2 CPUs and 24 GiB, and no reservation would ever
//! leave a task pending for lack of resources, as the book's examples show on real instances).
//!
//! The share is fixed when the sandbox is made (machine / hosts at `up`) and recorded in its
//! state, so hosts added later by `scale` are like the others, as instances of one type are.
//! swarmd takes it as `SWARMD_CPUS` / `SWARMD_MEMORY` (its `--cpus` / `--memory` flags) from the
//! host's environment file.

use serde::{Deserialize, Serialize};

/// What one host offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// CPUs in thousandths (multiples of 100: 0.1 CPU steps), at least 100.
    pub cpus_milli: u32,
    /// Memory in MiB, at least 256.
    pub memory_mib: u64,
}

/// The smallest share a host gets, however many there are.
const MIN_CPUS_MILLI: u32 = 100;
const MIN_MEMORY_MIB: u64 = 256;

impl Share {
    /// An even share of `cpus` and `memory_bytes` among `hosts` (at least one), rounded down to
    /// 0.1 CPU and 1 MiB, never below 0.1 CPU and 256 MiB.
    pub fn of(cpus: usize, memory_bytes: u64, hosts: usize) -> Share {
        let hosts = hosts.max(1);
        let milli = (cpus as u64 * 1000 / hosts as u64) / 100 * 100;
        let cpus_milli = u32::try_from(milli).unwrap_or(u32::MAX).max(MIN_CPUS_MILLI);
        let memory_mib = (memory_bytes / hosts as u64 / (1 << 20)).max(MIN_MEMORY_MIB);
        Share {
            cpus_milli,
            memory_mib,
        }
    }

    /// The lines of the host's environment file that give swarmd this share.
    pub fn env_lines(&self) -> String {
        format!(
            "SWARMD_CPUS='{}.{}'\nSWARMD_MEMORY='{}M'\n",
            self.cpus_milli / 1000,
            self.cpus_milli % 1000 / 100,
            self.memory_mib
        )
    }
}

/// This machine's CPUs and memory (`MemTotal` of `/proc/meminfo`; 1 GiB when unreadable).
pub fn machine() -> (usize, u64) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| mem_total(&t))
        .unwrap_or(1 << 30);
    (cpus, mem)
}

/// `MemTotal` in bytes from the text of `/proc/meminfo`.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_the_machine_evenly() {
        // 2 cores, 24 GiB, 5 hosts: 0.4 CPU and 4915 MiB each.
        let s = Share::of(2, 24 << 30, 5);
        assert_eq!(
            s,
            Share {
                cpus_milli: 400,
                memory_mib: 4915
            }
        );
        assert_eq!(s.env_lines(), "SWARMD_CPUS='0.4'\nSWARMD_MEMORY='4915M'\n");
        let one = Share::of(2, 24 << 30, 1);
        assert_eq!(
            one.env_lines(),
            "SWARMD_CPUS='2.0'\nSWARMD_MEMORY='24576M'\n"
        );
    }

    #[test]
    fn a_share_never_falls_below_the_minimum() {
        let s = Share::of(2, 4 << 30, 200);
        assert_eq!(s.cpus_milli, 100);
        assert_eq!(s.memory_mib, 256);
        assert_eq!(Share::of(2, 4 << 30, 0), Share::of(2, 4 << 30, 1));
    }

    #[test]
    fn mem_total_reads_proc_meminfo() {
        let text = "MemTotal:       24576000 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total(text), Some(24_576_000 * 1024));
        assert_eq!(mem_total("nothing"), None);
    }
}
