//! Finding and removing what a host's container engine leaves on the machine: mounts under its
//! dirs, processes and directories in its cgroups, and the sandbox's comment-tagged iptables
//! rules. Each finder reads `/proc` or `/sys` only, so a teardown works from names alone, even
//! after the engine was killed with SIGKILL.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cmd::{have, run, run_quiet};

/// The cgroup v1 hierarchies (and the v2 one, when mounted) of this machine.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Decodes the octal escapes (`\040` for a space) of a `/proc/self/mountinfo` path (pure).
fn unescape_mount_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let digits = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(digits, 8) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount points in `mountinfo` (the text of `/proc/self/mountinfo`) at or below one of
/// `roots`, latest first, so that unmounting in this order takes children before parents (pure).
pub(crate) fn mounts_below(mountinfo: &str, roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(|p| PathBuf::from(unescape_mount_path(p)))
        .filter(|p| roots.iter().any(|r| p.starts_with(r)))
        .collect();
    found.reverse();
    found
}

/// The mount points at or below `roots` on this machine, latest first.
pub(crate) fn mounts_under(roots: &[PathBuf]) -> Vec<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    mounts_below(&info, roots)
}

/// Unmounts (lazily, so a busy or dead FUSE mount goes too) everything at or below `roots`.
pub(crate) fn unmount_under(roots: &[PathBuf]) {
    // A mount can be stacked several times on one point; a few passes take them all.
    for _ in 0..3 {
        let mounts = mounts_under(roots);
        if mounts.is_empty() {
            return;
        }
        for m in mounts {
            run_quiet("umount", &["-l", &m.to_string_lossy()]);
        }
    }
}

/// The cgroup dirs named `name` directly under each hierarchy's root (`/sys/fs/cgroup/*/name`).
fn cgroup_dirs(name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(CGROUP_ROOT) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join(name))
        .filter(|p| p.is_dir())
        .collect();
    if Path::new(CGROUP_ROOT).join(name).is_dir() {
        dirs.push(Path::new(CGROUP_ROOT).join(name));
    }
    dirs
}

/// The names of top-level cgroups starting with `prefix`, over all hierarchies (sorted, unique).
pub(crate) fn cgroups_with_prefix(prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir(CGROUP_ROOT) else {
        return names;
    };
    for hierarchy in entries.flatten() {
        let Ok(children) = std::fs::read_dir(hierarchy.path()) else {
            continue;
        };
        for child in children.flatten() {
            if let Ok(name) = child.file_name().into_string() {
                if name.starts_with(prefix) && child.path().is_dir() {
                    names.push(name);
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Every dir at or below `dir`, deepest first.
fn dirs_depth_first(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs_depth_first(&e.path(), out);
            }
        }
    }
    out.push(dir.to_path_buf());
}

/// The pids in the cgroup `name` and its children, over all hierarchies.
pub(crate) fn cgroup_pids(name: &str) -> Vec<String> {
    let mut pids = Vec::new();
    for root in cgroup_dirs(name) {
        let mut dirs = Vec::new();
        dirs_depth_first(&root, &mut dirs);
        for d in dirs {
            let text = std::fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
            pids.extend(text.split_whitespace().map(str::to_string));
        }
    }
    pids.sort();
    pids.dedup();
    pids
}

/// Whether `pid` still runs (a zombie holds nothing any more).
pub(crate) fn alive(pid: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
}

/// SIGKILLs every process in the cgroup `name` (the engine's containers) and waits, up to 5 s,
/// until they are gone.
pub(crate) fn kill_cgroup(name: &str) {
    let start = Instant::now();
    loop {
        let pids: Vec<String> = cgroup_pids(name).into_iter().filter(|p| alive(p)).collect();
        if pids.is_empty() || start.elapsed() > Duration::from_secs(5) {
            return;
        }
        for pid in &pids {
            run_quiet("kill", &["-KILL", pid]);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes the (empty) cgroup `name` and its children from every hierarchy.
pub(crate) fn remove_cgroup(name: &str) {
    for root in cgroup_dirs(name) {
        let mut dirs = Vec::new();
        dirs_depth_first(&root, &mut dirs);
        for d in dirs {
            let _ = std::fs::remove_dir(&d);
        }
    }
}

/// The `iptables -S` lines of `table` (in the root namespace) carrying `comment` (pure filter).
pub(crate) fn rules_with_comment(listing: &str, comment: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| l.starts_with("-A "))
        .filter(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w[0] == "--comment" && w[1].trim_matches('"') == comment)
        })
        .map(str::to_string)
        .collect()
}

/// The root namespace's iptables rules (filter and nat tables) tagged with `comment`.
pub(crate) fn tagged_rules(comment: &str) -> Vec<(String, String)> {
    if !have("iptables") {
        return Vec::new();
    }
    let mut found = Vec::new();
    for table in ["filter", "nat"] {
        let listing = run("iptables", &["-w", "-t", table, "-S"]).unwrap_or_default();
        for rule in rules_with_comment(&listing, comment) {
            found.push((table.to_string(), rule));
        }
    }
    found
}

/// Deletes every root-namespace iptables rule tagged with `comment`.
pub(crate) fn remove_tagged_rules(comment: &str) {
    for (table, rule) in tagged_rules(comment) {
        let mut args: Vec<String> = vec!["-w".into(), "-t".into(), table];
        let mut words = rule
            .split_whitespace()
            .map(|w| w.trim_matches('"').to_string());
        words.next(); // "-A"
        args.push("-D".into());
        args.extend(words);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_quiet("iptables", &args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_below_takes_children_first_and_decodes_spaces() {
        let info = "\
22 1 254:0 / / rw - ext4 /dev/vda rw
46 22 254:0 /s/h0/docker /s/h0/docker rw shared:5 - ext4 /dev/vda rw
47 46 0:50 / /s/h0/docker/fuse-overlayfs/abc/merged rw - fuse.fuse-overlayfs fuse rw
48 22 0:4 net:[1] /run/swarm-aws/engines/ns-0/exec/netns/x rw - nsfs nsfs rw
49 22 254:0 /s/h1 /s/h1\\040b rw - ext4 /dev/vda rw
50 22 254:0 /s/h00 /s/h00 rw - ext4 /dev/vda rw";
        let roots = [
            PathBuf::from("/s/h0"),
            PathBuf::from("/run/swarm-aws/engines/ns-0"),
            PathBuf::from("/s/h1 b"),
        ];
        let got = mounts_below(info, &roots);
        assert_eq!(
            got,
            [
                PathBuf::from("/s/h1 b"),
                PathBuf::from("/run/swarm-aws/engines/ns-0/exec/netns/x"),
                PathBuf::from("/s/h0/docker/fuse-overlayfs/abc/merged"),
                PathBuf::from("/s/h0/docker"),
            ]
        );
    }

    #[test]
    fn rules_are_found_by_their_exact_comment() {
        let listing = "\
-P OUTPUT ACCEPT
-A OUTPUT -d 127.213.7.1/32 -p tcp -m comment --comment swarm-aws-sandbox-abc -m tcp --dport 5000 -j DNAT --to-destination 10.213.7.1:5000
-A OUTPUT -d 127.213.8.1/32 -p tcp -m comment --comment swarm-aws-sandbox-abcd -j DNAT --to-destination 10.213.8.1:5000
-A OUTPUT -j DOCKER";
        let got = rules_with_comment(listing, "swarm-aws-sandbox-abc");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("127.213.7.1"));
    }
}
