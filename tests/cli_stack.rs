//! The `swarm-aws` binary against the local AWS emulator (started by `localstack/start`, reached
//! through `AWS_ENDPOINT_URL` only): the full lifecycle of the issue with the real rendered
//! templates, and a stack the emulator rejects.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

fn endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(e) if !e.is_empty() => e,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"` and run the tests again"
        ),
    }
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the CLI with the emulator's endpoint and dummy credentials, in `region`.
fn cli(region: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swarm-aws"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", region)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run swarm-aws")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(out: Output) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn up(region: &str, name: &str, managers: &str, workers: &str) -> Value {
    json(cli(
        region,
        &[
            "--output",
            "json",
            "up",
            "--name",
            name,
            "--managers",
            managers,
            "--workers",
            workers,
            "--azs",
            "3",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ],
    ))
}

fn count_roles(status: &Value) -> (usize, usize, Vec<(String, String)>) {
    let instances = status["instances"].as_array().expect("instances");
    let by = |role: &str| instances.iter().filter(|i| i["role"] == role).count();
    let groups = instances
        .iter()
        .map(|i| {
            (
                i["role"].as_str().unwrap().to_string(),
                i["group"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (by("manager"), by("worker"), groups)
}

#[test]
fn full_lifecycle_up_status_scale_noop_website_down() {
    let (a, b) = (unique("east"), unique("west"));

    // up: 3 managers, 5 workers over 3 AZs; the text of events comes on stderr in JSON mode.
    let created = up("us-east-1", &a, "3", "5");
    assert_eq!(created["result"]["action"], "created", "{created}");
    assert_eq!(created["status"], "CREATE_COMPLETE");
    assert!(created["outputs"]["DefaultDNSTarget"]
        .as_str()
        .unwrap()
        .contains("elb.amazonaws.com"));

    // status: 8 instances, managers in the manager group, workers in the worker group.
    let status = json(cli(
        "us-east-1",
        &["--output", "json", "status", "--name", &a],
    ));
    let (m, w, groups) = count_roles(&status);
    assert_eq!((m, w), (3, 5), "{status}");
    let manager_asg = status["outputs"]["ManagerAutoScalingGroup"]
        .as_str()
        .unwrap();
    let worker_asg = status["outputs"]["WorkerAutoScalingGroup"]
        .as_str()
        .unwrap();
    for (role, group) in &groups {
        let expected = if role == "manager" {
            manager_asg
        } else {
            worker_asg
        };
        assert_eq!(group, expected, "{role} instance in {group}");
    }

    // A second identical up changes nothing and says so.
    let again = up("us-east-1", &a, "3", "5");
    assert_eq!(again["result"]["action"], "no_changes", "{again}");
    let text = ok(cli(
        "us-east-1",
        &[
            "up",
            "--name",
            &a,
            "--managers",
            "3",
            "--workers",
            "5",
            "--azs",
            "3",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ],
    ));
    assert!(text.contains("no changes"), "{text}");

    // scale --dry-run shows the change and changes nothing; scale does it. The emulator's
    // instances cannot be reached over SSH, so the stack only (`--no-bootstrap`).
    let plan = ok(cli(
        "us-east-1",
        &[
            "scale",
            "--name",
            &a,
            "--workers",
            "2",
            "--dry-run",
            "--no-bootstrap",
        ],
    ));
    assert!(plan.contains("WorkerSize: 5 -> 2"), "{plan}");
    let status = json(cli(
        "us-east-1",
        &["--output", "json", "status", "--name", &a],
    ));
    assert_eq!(count_roles(&status).1, 5);
    let scaled = json(cli(
        "us-east-1",
        &[
            "--output",
            "json",
            "scale",
            "--name",
            &a,
            "--workers",
            "2",
            "--no-bootstrap",
        ],
    ));
    assert_eq!(
        (scaled["managers"].as_u64(), scaled["workers"].as_u64()),
        (Some(3), Some(2)),
        "{scaled}"
    );
    let status = json(cli(
        "us-east-1",
        &["--output", "json", "status", "--name", &a],
    ));
    assert_eq!(
        count_roles(&status).0 + count_roles(&status).1,
        5,
        "{status}"
    );

    // A second cluster in another region, then the failover website over both.
    up("us-west-2", &b, "1", "1");
    let domain = format!("{}.example.test", unique("site"));
    let site = json(cli(
        "us-east-1",
        &[
            "--output",
            "json",
            "website",
            "up",
            "--domain",
            &domain,
            "--record-name",
            &format!("www.{domain}"),
            "--primary",
            &a,
            "--primary-region",
            "us-east-1",
            "--secondary",
            &b,
            "--secondary-region",
            "us-west-2",
        ],
    ));
    let site_name = site["stack"].as_str().unwrap().to_string();
    let status = json(cli(
        "us-east-1",
        &[
            "--output", "json", "website", "status", "--name", &site_name,
        ],
    ));
    let records = status["records"].as_array().expect("records");
    let pairs: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["failover"].as_str().unwrap(),
                r["alias_dns_name"].as_str().unwrap(),
                r["alias_zone_id"].as_str().unwrap(),
            )
        })
        .collect();
    let dns = |region: &str, name: &str| {
        json(cli(region, &["--output", "json", "status", "--name", name]))["outputs"]
            ["DefaultDNSTarget"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (dns_a, dns_b) = (dns("us-east-1", &a), dns("us-west-2", &b));
    assert_eq!(
        pairs,
        vec![
            ("PRIMARY", dns_a.as_str(), "Z35SXDOTRQ7X7K"),
            ("SECONDARY", dns_b.as_str(), "Z1H1FL5HABSF5"),
        ],
        "{status}"
    );
    ok(cli(
        "us-east-1",
        &["website", "down", "--name", &site_name, "--yes"],
    ));

    // down without --yes and without a terminal refuses; with --yes it deletes.
    let refused = cli("us-east-1", &["down", "--name", &a]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    ok(cli("us-east-1", &["down", "--name", &a, "--yes"]));
    ok(cli("us-west-2", &["down", "--name", &b, "--yes"]));
    for (region, name) in [
        ("us-east-1", &a),
        ("us-west-2", &b),
        ("us-east-1", &site_name),
    ] {
        let ls = json(cli(region, &["--output", "json", "ls"]));
        assert!(
            !ls.as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == name.as_str()),
            "{name} still listed: {ls}"
        );
        let gone = cli(region, &["status", "--name", name]);
        assert_eq!(gone.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&gone.stderr).contains("does not exist"));
    }
}

/// Region of the rejected stack: moto cannot describe a half-created stack whose outputs name
/// missing resources (DescribeStacks answers 500 for the whole region until it is deleted), so it
/// gets a region of its own.
const REJECT_REGION: &str = "eu-west-3";

#[test]
fn a_stack_the_emulator_rejects_fails_with_its_cause() {
    let name = unique("reject");
    let out = cli(
        REJECT_REGION,
        &[
            "up",
            "--name",
            &name,
            "--zones",
            "eu-west-3a,eu-west-3z",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("eu-west-3z"),
        "the cause names the bad zone: {stderr}"
    );
    assert!(
        stderr.contains(&format!("CreateStack {name} failed")),
        "{stderr}"
    );
    // Remove what the emulator left half-created (see REJECT_REGION).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REJECT_REGION))
            .endpoint_url(endpoint())
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await;
        let cfn = aws_sdk_cloudformation::Client::new(&config);
        let _ = cfn.delete_stack().stack_name(&name).send().await;
    });
}

#[test]
fn new_user_errors_are_one_line_with_a_hint() {
    let bin = env!("CARGO_BIN_EXE_swarm-aws");
    // No region anywhere.
    let out = Command::new(bin)
        .args(["ls"])
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no AWS region") && stderr.contains("hint: pass --region"),
        "{stderr}"
    );

    // A misspelt region.
    let out = cli("us-east-1", &["--region", "us-eest", "ls"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown AWS region \"us-eest\""),
        "{stderr}"
    );

    // No credentials anywhere (and no instance metadata on loopback-only test hosts).
    let out = Command::new(bin)
        .args(["ls"])
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no AWS credentials") && stderr.contains("hint: run `aws configure`"),
        "{stderr}"
    );

    // A name taken by a stack swarm-aws did not make.
    let name = unique("taken");
    let body = r#"{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}}}}"#;
    let created = Command::new("python3")
        .args(["-c", &format!(
            "import urllib.request,urllib.parse;d=urllib.parse.urlencode({{'Action':'CreateStack','Version':'2010-05-15','StackName':'{name}','TemplateBody':'{}'}}).encode();urllib.request.urlopen(urllib.request.Request('{}',data=d,headers={{'Authorization':'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=x'}})).read()",
            body.replace('\'', "\\'"), endpoint()
        )])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out = cli(
        "us-east-1",
        &[
            "up",
            "--name",
            &name,
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not created by swarm-aws")
            && stderr.contains("hint: choose another --name"),
        "{stderr}"
    );
}
