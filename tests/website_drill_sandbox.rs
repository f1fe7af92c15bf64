//! Issue 18's sandbox load balancer and failover drill through the real binary: two sandbox
//! clusters (1 manager + 1 worker each, real sshd, swarmd and a dockerd per host) in one state
//! home, each `--publish 8080` with a service publishing 8080 on its nodes.
//! - The sandbox LB `up` starts answers on the ELB's listener port (`127.213.<k>.2:8080`) from
//!   a node's task, and shows in `status --output json`; a listener added to the ELB through
//!   the emulator (the SDK's CreateLoadBalancerListeners) opens on the LB, and closes when
//!   deleted.
//! - `website up --sandbox` (health check HTTP :8080 every 10 s, threshold 2) answers the record
//!   from the local DNS with the primary's LB; `website drill --sandbox` scales the primary's
//!   service to 0 → the name answers from the secondary within interval × threshold (plus the
//!   task stop and one probe's time), and back on the primary once the replicas return.
//! - `website down --sandbox` stops the DNS; `down --sandbox` leaves no LB process.
//!
//! Needs root and the emulator (`AWS_ENDPOINT_URL`); run under `flock /tmp/sandbox.lock`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Output;
use std::time::{Duration, Instant};

use sandbox_home::{json_docs, push_test_image, Home};
use serde_json::Value;
use swarm_aws::commands::website_drill::http_get;
use swarm_aws::website_sandbox::dns::resolve;

/// The DNS address of this test (its loopback range 127.0.134.x).
const DNS: &str = "127.0.134.53:5353";
const DOMAIN: &str = "drill.example";
/// Slack over interval × threshold: the tasks' stop (or start) and one probe.
const SLACK: f64 = 6.0;

/// Both clusters and the website; everything goes when dropped (the Home downs the first).
struct Pair {
    home: Home,
    b: String,
    website: String,
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.home.run(&[
            "website",
            "down",
            "--sandbox",
            "--name",
            &self.website,
            "--yes",
        ]);
        let _ = self
            .home
            .run(&["down", "--sandbox", "--name", &self.b, "--yes"]);
    }
}

fn ok(out: &Output, what: &str) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stderr}");
    // Text output (service create) is not JSON: Null.
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .last()
        .unwrap_or(Value::Null)
}

fn wait_until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let seen = match f() {
            Ok(t) => return t,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {secs} s; last seen {seen}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `up --sandbox` of `name` (1 manager, 1 worker, port 8080 on the ELB); the registry.
fn up(home: &Home, name: &str) -> String {
    let out = home.run(&[
        "up",
        "--sandbox",
        "--name",
        name,
        "--managers",
        "1",
        "--workers",
        "1",
        "--publish",
        "8080",
        "--output",
        "json",
    ]);
    let docs = {
        ok(&out, &format!("up {name}"));
        json_docs(&out)
    };
    docs[1]["registry"]
        .as_str()
        .expect("the registry")
        .to_string()
}

/// The LB's status as `status --sandbox --output json` shows it.
fn lb_status(home: &Home, name: &str) -> Value {
    let out = home.run(&["status", "--sandbox", "--name", name, "--output", "json"]);
    ok(&out, "status")["load_balancer"].clone()
}

fn lb_addr(home: &Home, name: &str) -> Ipv4Addr {
    lb_status(home, name)["addr"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn get(addr: Ipv4Addr, port: u16) -> Result<String, String> {
    match http_get(SocketAddr::from((addr, port)), "x", "/")? {
        (200, body) => Ok(body),
        (code, body) => Err(format!("HTTP {code} {body}")),
    }
}

/// Adds (or with `delete`, removes) ELB listener 9090 → 8080 of cluster `name`, with the SDK.
fn elb_listener(name: &str, delete: bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let opts = swarm_aws::aws::AwsOptions {
            region: Some("us-east-1".into()),
            ..Default::default()
        };
        let clients = swarm_aws::aws::Clients::connect(&opts).await.unwrap();
        let elb = swarm_aws::elb_view::elb_name(&clients, name).await.unwrap();
        if delete {
            clients
                .elb
                .delete_load_balancer_listeners()
                .load_balancer_name(&elb)
                .load_balancer_ports(9090)
                .send()
                .await
                .unwrap();
        } else {
            let l = aws_sdk_elasticloadbalancing::types::Listener::builder()
                .protocol("TCP")
                .load_balancer_port(9090)
                .instance_protocol("TCP")
                .instance_port(8080)
                .build()
                .unwrap();
            clients
                .elb
                .create_load_balancer_listeners()
                .load_balancer_name(&elb)
                .listeners(l)
                .send()
                .await
                .unwrap();
        }
    });
}

#[test]
fn sandbox_lb_follows_the_elb_and_the_drill_fails_over_and_back() {
    let id = std::process::id() % 100_000;
    let (a, b) = (format!("drla{id}"), format!("drlb{id}"));
    let pair = Pair {
        home: Home::new(a.clone()),
        b: b.clone(),
        website: format!("website-drill-{id}"),
    };
    let home = &pair.home;
    for c in [&a, &b] {
        let registry = up(home, c);
        let image = push_test_image(&registry);
        ok(
            &home.run(&[
                "service",
                "--cluster",
                c,
                "create",
                "--name",
                "web",
                "--replicas",
                "2",
                "--publish",
                "8080:80",
                &image,
            ]),
            "service create",
        );
    }

    // The LB: listener 8080 on the sandbox's own loopback address, both nodes in service, and
    // the service answering through it.
    let lb = lb_status(home, &a);
    assert_eq!(lb["health_check"], "HTTP:44554/", "{lb}");
    let (la, lbb) = (lb_addr(home, &a), lb_addr(home, &b));
    assert_ne!(la, lbb);
    assert_eq!(lb["listeners"][0]["local"], format!("{la}:8080"), "{lb}");
    wait_until("both targets in service", 30, || {
        let lb = lb_status(home, &a);
        let t = lb["targets"].as_array().cloned().unwrap_or_default();
        (t.len() == 2 && t.iter().all(|t| t["in_service"] == true))
            .then_some(())
            .ok_or_else(|| lb.to_string())
    });
    let body = wait_until("the LB answers on 8080", 60, || get(la, 8080));
    assert!(body.contains("service=web"), "{body}");
    let text = home.run(&["status", "--sandbox", "--name", &a]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains(&format!("load balancer: {la}:8080 -> :8080")),
        "{text}"
    );

    // A listener added to the ELB in the emulator opens on the LB, and goes when deleted.
    let started = Instant::now();
    elb_listener(&a, false);
    let body = wait_until("listener 9090 on the LB", 20, || get(la, 9090));
    eprintln!(
        "listener added -> answering in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(body.contains("service=web"), "{body}");
    elb_listener(&a, true);
    wait_until("listener 9090 closed", 20, || match get(la, 9090) {
        Err(e) if e.contains("connect") => Ok(()),
        other => Err(format!("{other:?}")),
    });

    // The website over both, by the sandbox's DNS.
    let up = home.run(&[
        "website",
        "up",
        "--sandbox",
        "--name",
        &pair.website,
        "--domain",
        DOMAIN,
        "--primary",
        &a,
        "--secondary",
        &b,
        "--health-check-port",
        "8080",
        "--health-check-interval",
        "10",
        "--health-check-failure-threshold",
        "2",
        "--dns-addr",
        DNS,
        "--yes",
        "--output",
        "json",
    ]);
    let site = ok(&up, "website up --sandbox");
    assert_eq!(site["dns"]["listen"], DNS, "{site}");
    assert_eq!(site["dns"]["health_check"]["interval"], 10, "{site}");
    assert_eq!(
        site["dns"]["health_check"]["failure_threshold"], 2,
        "{site}"
    );
    let dns: SocketAddr = DNS.parse().unwrap();
    assert_eq!(
        resolve(dns, DOMAIN, Duration::from_secs(2)).unwrap(),
        vec![la]
    );

    let drill = home.run(&[
        "website",
        "drill",
        "--sandbox",
        "--name",
        &pair.website,
        "--output",
        "json",
    ]);
    let d = ok(&drill, "website drill");
    eprintln!("drill: {d:#}");
    let bound = d["bound_secs"].as_f64().unwrap();
    assert_eq!(bound, 20.0, "{d}");
    assert_eq!(d["services"][0]["name"], "web", "{d}");
    assert_eq!(d["before"]["cluster"], a.as_str(), "{d}");
    for (phase, cluster) in [("failover", &b), ("failback", &a)] {
        let p = &d[phase];
        let secs = p["secs"].as_f64().unwrap();
        assert!(
            secs <= bound + SLACK,
            "{phase} took {secs} s (bound {bound} s + {SLACK} s)"
        );
        assert_eq!(p["look"]["cluster"], cluster.as_str(), "{phase}: {d}");
        assert_eq!(p["look"]["status"], 200, "{phase}: {d}");
        let body = p["look"]["body"].as_str().unwrap_or_default();
        assert!(body.contains("service=web"), "{phase}: {d}");
    }
    // The primary's replicas are back.
    assert!(get(la, 8080).is_ok());

    ok(
        &home.run(&[
            "website",
            "down",
            "--sandbox",
            "--name",
            &pair.website,
            "--yes",
        ]),
        "website down",
    );
    assert!(
        resolve(dns, DOMAIN, Duration::from_millis(500)).is_err(),
        "the DNS still answers"
    );
    ok(
        &home.run(&["down", "--sandbox", "--name", &b, "--yes"]),
        "down the secondary",
    );
    home.down_leaves_nothing(&[]);
    assert!(get(la, 8080).is_err(), "the LB still answers after down");
}
