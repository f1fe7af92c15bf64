//! Template rendering speed: spec validation plus rendering for the golden spec sizes, and the YAML
//! conversion. Prints a table (no timed assertions): `cargo bench --bench template`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Parser;
use swarm_aws::cli::{Cli, Command};
use swarm_aws::spec::load::load;
use swarm_aws::template::{render_cluster, to_json_string, to_yaml_string};

fn spec(args: &[&str]) -> swarm_aws::spec::ClusterSpec {
    let cli = Cli::try_parse_from(["swarm-aws", "template"].iter().chain(args)).unwrap();
    let Command::Template(t) = cli.command else {
        unreachable!()
    };
    load(&t.cluster.spec_input(Some("us-east-1"))).unwrap()
}

/// Runs `f` repeatedly for about `budget`; returns (iterations, mean time per iteration).
fn measure(budget: Duration, mut f: impl FnMut()) -> (u64, Duration) {
    for _ in 0..10 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    (n, start.elapsed() / n as u32)
}

fn main() {
    let cases = [
        (
            "1 manager, 0 workers, 1 AZ",
            "--name s --managers 1 --workers 0 --azs 1",
        ),
        ("3/5/3 (default)", "--name d"),
        (
            "7/1000/6, logs, 3 ports",
            "--name l --managers 7 --workers 1000 --azs 6 --cloudwatch-logs --publish 80,443,8080",
        ),
    ];
    let budget = Duration::from_millis(500);
    println!(
        "{:<28} {:>14} {:>14} {:>14} {:>10}",
        "spec", "validate", "render", "render+yaml", "JSON bytes"
    );
    for (name, args) in cases {
        let args: Vec<&str> = args
            .split_whitespace()
            .chain(["--ssh-cidr", "10.0.0.0/8"])
            .collect();
        let (_, validate) = measure(budget, || {
            black_box(spec(black_box(&args)));
        });
        let s = spec(&args);
        let (_, render) = measure(budget, || {
            black_box(to_json_string(&render_cluster(black_box(&s))));
        });
        let (_, yaml) = measure(budget, || {
            black_box(to_yaml_string(&render_cluster(black_box(&s))));
        });
        let bytes = to_json_string(&render_cluster(&s)).len();
        println!("{name:<28} {validate:>14.2?} {render:>14.2?} {yaml:>14.2?} {bytes:>10}");
    }
}
