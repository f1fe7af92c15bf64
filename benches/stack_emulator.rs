//! Stack lifecycle timings on the local AWS emulator (`eval "$(localstack/start)"` first):
//! `up` wall time for 3 managers + 5 workers and the CLI's own share of it, and event-to-screen
//! latency of the poller. Prints tables (no timed assertions): `cargo bench --bench stack_emulator`.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::stack::tracker::Source;
use swarm_aws::stack::watch::watch_until;
use swarm_aws::stack::{delete, deploy, Backoff, Collect, DeleteOptions, DeployRequest, Tracker};

const RUNS: usize = 5;
const UPDATES: usize = 20;

fn main() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if endpoint.is_empty() {
        eprintln!("AWS_ENDPOINT_URL is not set: run `eval \"$(localstack/start)\"` first");
        std::process::exit(1);
    }
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    up_wall_time(&rt);
    rt.block_on(latency());
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_swarm-aws")
}

fn run(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run swarm-aws");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn up_wall_time(rt: &tokio::runtime::Runtime) {
    let pid = std::process::id();
    let (mut up, mut noop, mut down, mut create_call, mut startup) =
        (vec![], vec![], vec![], vec![], vec![]);
    let clients = rt
        .block_on(Clients::connect(&AwsOptions::default()))
        .unwrap();
    for i in 0..RUNS {
        let name = format!("bench-up-{pid}-{i}");
        let args = [
            "up",
            "--name",
            &name,
            "--managers",
            "3",
            "--workers",
            "5",
            "--azs",
            "3",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ];
        up.push(run(&args));
        noop.push(run(&args));
        down.push(run(&["down", "--name", &name, "--yes"]));
        startup.push(run(&["--version"]));
        // The same template created with one bare CreateStack call: the emulator's own share.
        let raw = format!("bench-raw-{pid}-{i}");
        let out = Command::new(bin())
            .args([
                "template",
                "--name",
                &raw,
                "--managers",
                "3",
                "--workers",
                "5",
                "--azs",
                "3",
                "--ssh-cidr",
                "203.0.113.0/24",
            ])
            .output()
            .unwrap();
        let body = String::from_utf8(out.stdout).unwrap();
        let start = Instant::now();
        rt.block_on(
            clients
                .cfn
                .create_stack()
                .stack_name(&raw)
                .template_body(&body)
                .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam)
                .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityNamedIam)
                .send(),
        )
        .unwrap();
        create_call.push(start.elapsed());
        let _ = rt.block_on(clients.cfn.delete_stack().stack_name(&raw).send());
    }
    let (up_m, call_m) = (median(up), median(create_call));
    println!("`up` on the emulator, 3 managers + 5 workers over 3 AZs (median of {RUNS})");
    println!("{:<52} {:>10}", "step", "time");
    println!(
        "{:<52} {:>10}",
        "swarm-aws up (process start to exit)",
        ms(up_m)
    );
    println!(
        "{:<52} {:>10}",
        "  of which the emulator's CreateStack call",
        ms(call_m)
    );
    println!(
        "{:<52} {:>10}",
        "  CLI's own share (render, checks, polls, inventory)",
        ms(up_m.saturating_sub(call_m))
    );
    println!(
        "{:<52} {:>10}",
        "swarm-aws --version (process start-up)",
        ms(median(startup))
    );
    println!(
        "{:<52} {:>10}",
        "second identical up (no changes)",
        ms(median(noop))
    );
    println!("{:<52} {:>10}", "swarm-aws down --yes", ms(median(down)));
    println!();
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn latency() {
    let clients = Clients::connect(&AwsOptions::default()).await.unwrap();
    let name = format!("bench-lat-{}", std::process::id());
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cluster.json"
    ))
    .unwrap();
    let req = |workers: usize| DeployRequest {
        stack: name.clone(),
        template: template.clone(),
        parameters: vec![
            ("ManagerSize".into(), "1".into()),
            ("WorkerSize".into(), workers.to_string()),
        ],
        tags: vec![],
        cluster: name.clone(),
    };
    deploy(
        &clients,
        &req(1),
        &mut Collect::default(),
        std::future::pending(),
    )
    .await
    .unwrap();

    // A watcher follows the stack while updates land at irregular moments.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let watcher = {
        let clients = clients.clone();
        let name = name.clone();
        async move {
            let mut tracker = Tracker::new(&name, 0);
            let old = swarm_aws::stack::describe::stack_events(&clients.cfn, &name, |_| false)
                .await
                .unwrap();
            tracker.seed_events(&old);
            let mut sink = Collect::default();
            let cancel = async {
                let _ = stop_rx.await;
            };
            watch_until(
                &clients.cfn,
                &name,
                &mut tracker,
                &mut sink,
                cancel,
                Backoff::default(),
                false,
            )
            .await
            .unwrap();
            sink
        }
    };
    let updates = async {
        let mut seed = 0x2545_f491_u64;
        for i in 0..UPDATES {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            tokio::time::sleep(Duration::from_millis(200 + seed % 3000)).await;
            deploy(
                &clients,
                &req(1 + (i + 1) % 2),
                &mut Collect::default(),
                std::future::pending(),
            )
            .await
            .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let _ = stop_tx.send(());
    };
    let (sink, ()) = tokio::join!(watcher, updates);
    let mut lat: Vec<i64> = sink
        .transitions
        .iter()
        .filter(|(t, _)| t.source == Source::Event)
        .map(|(t, seen)| {
            seen.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64 - t.timestamp_ms
        })
        .collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!("event-to-screen latency on the emulator ({} stack events from {UPDATES} updates, watcher polling 0.5 s -> 1.5 s)", lat.len());
    println!(
        "{:>8} {:>8} {:>8} {:>8} {:>8}",
        "p50", "p90", "p99", "max", "min"
    );
    println!(
        "{:>5} ms {:>5} ms {:>5} ms {:>5} ms {:>5} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lat[lat.len() - 1],
        lat[0]
    );
    let _ = now_ms();
    delete(
        &clients,
        &name,
        &DeleteOptions::default(),
        &mut Collect::default(),
        std::future::pending(),
    )
    .await
    .unwrap();
}
