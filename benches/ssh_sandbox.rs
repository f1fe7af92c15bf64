//! SSH and sandbox-host costs on this machine, printed as a table:
//! host creation time per host, SSH connect+exec latency, exec latency on an open connection, and
//! verified upload throughput. Needs root (network namespaces); prints why and exits otherwise.
//!
//! Run: `cargo bench --bench ssh_sandbox`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use swarm_aws::sandbox::Sandbox;
use swarm_aws::ssh::{ClusterKey, ConnectOptions, KnownHosts, SshClient};

struct Destroy(Sandbox);

impl Drop for Destroy {
    fn drop(&mut self) {
        if let Err(e) = self.0.destroy() {
            eprintln!("cleanup failed: {e}");
        }
    }
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    (mean, samples[n / 2], samples[(n * 95 / 100).min(n - 1)])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, value: String, note: &str) {
    println!("| {what:<40} | {value:>14} | {note:<34} |");
}

fn main() {
    if std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap_or(1)
        != 0
    {
        println!("ssh_sandbox bench: needs root for network namespaces; skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let key = ClusterKey::generate("bench").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    println!("| {:<40} | {:>14} | {:<34} |", "measure", "value", "note");
    println!("|{:-<42}|{:-<16}|{:-<36}|", "", "", "");

    // Host creation.
    let mut hosts_made = None;
    for count in [1usize, 5] {
        let sandbox = Sandbox::with_state_root(
            &format!("bench-{count}-{}", std::process::id()),
            tmp.path().join("state"),
        )
        .unwrap();
        let start = Instant::now();
        let hosts = sandbox.create(count, &key.public_openssh()).unwrap();
        let took = start.elapsed();
        let guard = Destroy(sandbox);
        row(
            &format!("create {count} host(s), sshd listening"),
            ms(took),
            &format!("{} per host", ms(took / count as u32)),
        );
        if count == 1 {
            let start = Instant::now();
            drop(guard);
            row(
                "destroy 1 host",
                ms(start.elapsed()),
                "kill sshd, netns, veth, bridge",
            );
        } else {
            hosts_made = Some((guard, hosts));
        }
    }
    let (_guard, hosts) = hosts_made.unwrap();
    let addr = SocketAddr::from((hosts[0].addr, 22));
    let known = KnownHosts::new(tmp.path().join("known_hosts"));
    let opts = ConnectOptions::default();

    rt.block_on(async {
        // Connect + exec + close, fresh connection each time.
        let mut samples = Vec::new();
        for _ in 0..20 {
            let start = Instant::now();
            let c = SshClient::connect(addr, &key, &known, &opts).await.unwrap();
            assert!(c.exec("true").await.unwrap().success());
            c.close().await.ok();
            samples.push(start.elapsed());
        }
        let (mean, p50, p95) = stats(samples);
        row(
            "connect + auth + exec `true` (20x)",
            ms(p50),
            &format!("p50; mean {}, p95 {}", ms(mean), ms(p95)),
        );

        // The same with the OpenSSH client, for comparison (both pay the remote shell's startup,
        // which includes root's ~/.bashrc because bash sources it under sshd).
        let key_path = tmp.path().join("id_ed25519");
        key.save(&key_path).unwrap();
        let known_opt = format!("UserKnownHostsFile={}", known.path().display());
        let mut samples = Vec::new();
        for _ in 0..20 {
            let start = Instant::now();
            let status = std::process::Command::new("ssh")
                .arg("-i")
                .arg(&key_path)
                .args([
                    "-o",
                    &known_opt,
                    "-o",
                    "StrictHostKeyChecking=yes",
                    "-o",
                    "BatchMode=yes",
                ])
                .arg(format!("root@{}", hosts[0].addr))
                .arg("true")
                .status()
                .unwrap();
            assert!(status.success());
            samples.push(start.elapsed());
        }
        let (mean, p50, p95) = stats(samples);
        row(
            "OpenSSH `ssh host true` (20x), reference",
            ms(p50),
            &format!("p50; mean {}, p95 {}", ms(mean), ms(p95)),
        );

        // Exec on an open connection.
        let c = SshClient::connect(addr, &key, &known, &opts).await.unwrap();
        let mut samples = Vec::new();
        for _ in 0..50 {
            let start = Instant::now();
            assert!(c.exec("true").await.unwrap().success());
            samples.push(start.elapsed());
        }
        let (mean, p50, p95) = stats(samples);
        row(
            "exec `true` on open connection (50x)",
            ms(p50),
            &format!("p50; mean {}, p95 {}", ms(mean), ms(p95)),
        );

        // Verified uploads.
        for mb in [0usize, 5, 32] {
            let data: Vec<u8> = (0..mb * 1024 * 1024)
                .map(|i| (i * 31 % 251) as u8)
                .collect();
            let start = Instant::now();
            c.upload(&data, "/tmp/bench-upload", 0o644).await.unwrap();
            let took = start.elapsed();
            if mb == 0 {
                row(
                    "upload empty file (fixed cost)",
                    ms(took),
                    "one exec round trip",
                );
                continue;
            }
            row(
                &format!("upload {mb} MB + remote sha256sum"),
                format!("{:.1} MB/s", mb as f64 / took.as_secs_f64()),
                &format!("{} total", ms(took)),
            );
        }
        c.exec("rm -f /tmp/bench-upload").await.ok();
        c.close().await.ok();
    });
}
