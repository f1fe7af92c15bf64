//! Bad input through the real binary: each gets one clear message naming the field, the value and
//! what is allowed, exit code 2, and nothing on stdout (nothing rendered, nothing created).

mod common;

use common::swarm_aws;

const SSH: [&str; 2] = ["--ssh-cidr", "203.0.113.0/24"];

/// Runs `template` with a valid base plus `extra`, expects exit 2, returns stderr.
fn refused(extra: &[&str]) -> String {
    let mut args = vec!["template"];
    if !extra.iter().any(|a| a.starts_with("--name")) {
        args.extend(["--name", "demo"]);
    }
    if !extra.contains(&"--ssh-cidr") {
        args.extend(SSH);
    }
    args.extend(extra);
    let out = swarm_aws(&args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should exit 2; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed a template despite the error"
    );
    assert!(stderr.contains("nothing was created"), "{stderr}");
    stderr
}

fn assert_mentions(stderr: &str, parts: &[&str]) {
    for p in parts {
        assert!(stderr.contains(p), "expected {p:?} in:\n{stderr}");
    }
}

#[test]
fn invalid_cluster_name() {
    let e = refused(&["--name", "my_cluster!"]);
    assert_mentions(
        &e,
        &["--name", "`my_cluster!`", "letters, digits and hyphens"],
    );
    let e = refused(&["--name", "9lives"]);
    assert_mentions(&e, &["--name", "`9lives`", "must start with a letter"]);
    let long = "a".repeat(65);
    let e = refused(&["--name", &long]);
    assert_mentions(&e, &["longer than 64"]);
}

#[test]
fn missing_name_is_required() {
    let out = swarm_aws(&["template", "--ssh-cidr", "203.0.113.0/24"]);
    assert_eq!(out.status.code(), Some(2));
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["--name", "is required"],
    );
}

#[test]
fn even_manager_count_explains_quorum() {
    let e = refused(&["--managers", "4"]);
    assert_mentions(
        &e,
        &[
            "--managers",
            "`4`",
            "even number",
            "majority (3 of 4)",
            "use 1, 3, 5 or 7",
        ],
    );
    let e = refused(&["--managers", "9"]);
    assert_mentions(&e, &["`9`", "more than 7"]);
    let e = refused(&["--managers", "0"]);
    assert_mentions(&e, &["`0`", "at least one manager"]);
}

#[test]
fn workers_out_of_range() {
    let e = refused(&["--workers", "1001"]);
    assert_mentions(&e, &["--workers", "`1001`", "from 0 to 1000"]);
    // Not a number at all: clap's own message, same exit code.
    let out = swarm_aws(&[
        "template",
        "--name",
        "x",
        "--ssh-cidr",
        "10.0.0.0/8",
        "--workers",
        "many",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["--workers", "many"],
    );
}

#[test]
fn more_zones_than_the_vpc_can_hold() {
    let e = refused(&["--vpc-cidr", "10.0.0.0/27", "--azs", "3"]);
    assert_mentions(
        &e,
        &["--vpc-cidr", "`10.0.0.0/27`", "at most 2 subnet", "3 zones"],
    );
    let e = refused(&["--azs", "7"]);
    assert_mentions(&e, &["--azs", "`7`", "from 1 to 6"]);
}

#[test]
fn malformed_cidrs() {
    let e = refused(&["--vpc-cidr", "10.0.0/16"]);
    assert_mentions(&e, &["--vpc-cidr", "`10.0.0/16`", "invalid IPv4 address"]);
    let e = refused(&["--vpc-cidr", "10.0.0.1/16"]);
    assert_mentions(&e, &["host bits set", "10.0.0.0/16"]);
    let e = refused(&["--vpc-cidr", "10.0.0.0/8"]);
    assert_mentions(&e, &["/16 to /28"]);
    let e = refused(&["--ssh-cidr", "203.0.113.0"]);
    assert_mentions(&e, &["--ssh-cidr", "`203.0.113.0`", "ADDRESS/PREFIX"]);
}

#[test]
fn ssh_from_anywhere_needs_the_explicit_flag() {
    let e = refused(&["--ssh-cidr", "0.0.0.0/0"]);
    assert_mentions(
        &e,
        &["--ssh-cidr", "`0.0.0.0/0`", "--allow-ssh-from-anywhere"],
    );
    let out = swarm_aws(&[
        "template",
        "--name",
        "open",
        "--ssh-cidr",
        "0.0.0.0/0",
        "--allow-ssh-from-anywhere",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["Parameters"]["SshCidr"]["Default"], "0.0.0.0/0");
}

#[test]
fn ssh_cidr_is_required_and_never_defaulted() {
    let out = swarm_aws(&["template", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["--ssh-cidr", "is required"],
    );
}

#[test]
fn unknown_config_key_names_the_typo_and_the_keys_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("swarm-aws.toml");
    std::fs::write(&path, "name = \"demo\"\nmanagres = 3\n").unwrap();
    let e = refused(&["--config", path.to_str().unwrap()]);
    assert_mentions(
        &e,
        &[
            "swarm-aws.toml",
            "unknown field `managres`",
            "managers",
            "line 2",
        ],
    );
}

#[test]
fn config_file_that_is_not_toml() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "name = \"demo\nworkers = \n").unwrap();
    let e = refused(&["--config", path.to_str().unwrap()]);
    assert_mentions(&e, &["bad.toml", "is not valid", "line 1"]);
}

#[test]
fn config_file_values_are_validated_like_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "name = \"demo\"\nmanagers = 2\nssh-cidr = \"203.0.113.0/24\"\n",
    )
    .unwrap();
    let e = refused(&["--config", path.to_str().unwrap()]);
    assert_mentions(&e, &["--managers", "`2`"]);
    // A flag overrides the file and makes the spec valid.
    let out = swarm_aws(&[
        "template",
        "--config",
        path.to_str().unwrap(),
        "--managers",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_config_file() {
    let e = refused(&["--config", "/nonexistent/swarm-aws.toml"]);
    assert_mentions(&e, &["/nonexistent/swarm-aws.toml", "cannot read"]);
}

#[test]
fn bad_published_ports_and_tags() {
    let e = refused(&["--publish", "2377,100,80,80"]);
    assert_mentions(
        &e,
        &[
            "`2377`",
            "used by the cluster",
            "`100`",
            "classic load balancer",
            "listed twice",
        ],
    );
    let e = refused(&["--tag", "novalue", "--tag", "aws:x=1"]);
    assert_mentions(&e, &["`novalue`", "KEY=VALUE", "`aws:x`", "reserved"]);
}

#[test]
fn bad_instance_types_disks_ami_and_zones() {
    let e = refused(&[
        "--manager-instance-type",
        "large",
        "--worker-disk-type",
        "st1",
        "--manager-disk-size",
        "4",
        "--ami",
        "ami-XYZ",
    ]);
    assert_mentions(
        &e,
        &[
            "--manager-instance-type",
            "`large`",
            "--worker-disk-type",
            "`st1`",
            "--manager-disk-size",
            "`4`",
            "--ami",
            "`ami-XYZ`",
        ],
    );
    let e = refused(&["--region", "us-east-1", "--zones", "us-east-1a,eu-west-1b"]);
    assert_mentions(&e, &["`eu-west-1b`", "not in region us-east-1"]);
}

#[test]
fn a_private_key_given_as_public_key_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id_ed25519");
    let secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
    std::fs::write(&path, secret).unwrap();
    let e = refused(&["--ssh-public-key", path.to_str().unwrap()]);
    assert_mentions(&e, &["--ssh-public-key", "is a private key", ".pub"]);
    assert!(
        !e.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
        "the key leaked: {e}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = refused(&["--name=-x", "--managers", "2", "--workers", "5000"]);
    assert_mentions(&e, &["--name", "--managers", "--workers"]);
}

#[test]
fn environment_variables_feed_the_spec_and_flags_win() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_swarm-aws"))
        .args(["template", "--ssh-cidr", "203.0.113.0/24", "--workers", "2"])
        .env("SWARM_AWS_NAME", "from-env")
        .env("SWARM_AWS_WORKERS", "9")
        .env_remove("SWARM_AWS_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["Parameters"]["WorkerSize"]["Default"], "2");
    assert!(t["Description"].as_str().unwrap().contains("from-env"));
}
