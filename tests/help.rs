//! `--help` snapshots: the help text is part of the interface (scripts and users read it). Re-bless
//! after an intended change with `SWARM_AWS_BLESS=1 cargo test --test help`.

mod common;

use common::{blessing, root, swarm_aws};

const VERBS: &[&[&str]] = &[
    &[],
    &["up"],
    &["scale"],
    &["bootstrap"],
    &["down"],
    &["status"],
    &["ls"],
    &["events"],
    &["template"],
    &["website"],
    &["website", "template"],
    &["website", "up"],
    &["website", "status"],
    &["website", "down"],
    &["website", "drill"],
    &["completions"],
    &["docker-env"],
    &["context"],
    &["tunnel"],
];

#[test]
fn help_matches_snapshots() {
    let mut drifted = Vec::new();
    for verb in VERBS {
        let mut args = verb.to_vec();
        args.push("--help");
        let out = swarm_aws(&args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let name = if verb.is_empty() {
            "swarm-aws".to_string()
        } else {
            verb.join("-")
        };
        let path = root()
            .join("tests/snapshots/help")
            .join(format!("{name}.txt"));
        if blessing() {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            drifted.push(name);
        }
    }
    assert!(
        drifted.is_empty(),
        "help changed for {drifted:?}; if intended: SWARM_AWS_BLESS=1 cargo test --test help"
    );
}

#[test]
fn help_names_the_flags_scripts_rely_on() {
    let text = String::from_utf8(swarm_aws(&["up", "--help"]).stdout).unwrap();
    for flag in [
        "--name",
        "--region",
        "--azs",
        "--zones",
        "--managers",
        "--workers",
        "--manager-instance-type",
        "--worker-instance-type",
        "--key-name",
        "--ssh-public-key",
        "--ssh-cidr",
        "--vpc-cidr",
        "--publish",
        "--cloudwatch-logs",
        "--tag",
        "--profile",
        "--output",
        "--no-bootstrap",
        "--dry-run",
        "--yes",
        "--config",
    ] {
        assert!(text.contains(flag), "`swarm-aws up --help` lacks {flag}");
    }
}

#[test]
fn completions_are_generated_for_bash() {
    let out = swarm_aws(&["completions", "bash"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("swarm-aws") && text.contains("--managers"));
}
