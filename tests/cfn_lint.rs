//! Template validity against the real AWS resource specification: `cfn-lint` (PyPI) must report
//! no error and no warning on every golden template and on fresh renderings across the spec space
//! (managers, workers, 1-6 zones, logs on/off, published ports, architectures, explicit zones).
//!
//! `cfn-lint` is found through `CFN_LINT` (a path) or on `PATH`; `scripts/setup` installs it into
//! a virtualenv. The test fails, rather than skips, when it is missing.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{render, root, GOLDENS};

fn cfn_lint() -> PathBuf {
    if let Some(p) = std::env::var_os("CFN_LINT") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("cfn-lint"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("cfn-lint not found: run `scripts/setup` (installs it into a venv) and set CFN_LINT=<venv>/bin/cfn-lint, or put it on PATH")
    })
}

/// Runs cfn-lint on the files; panics with its report unless it exits 0 (no errors, no warnings).
fn lint(files: &[PathBuf]) {
    let out = Command::new(cfn_lint())
        .args(["--format", "parseable"])
        .args(files)
        .output()
        .expect("cfn-lint runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0,
        "cfn-lint exit {code} (2 = errors, 4 = warnings):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn golden_templates_pass_cfn_lint() {
    let files: Vec<PathBuf> = GOLDENS
        .iter()
        .map(|g| root().join("templates").join(g.file))
        .collect();
    lint(&files);
}

/// A spread of specs: every manager count, worker counts from 0 to 1000, every zone count 1-6, logs
/// on and off, several port sets, x86 and Graviton, counted and named zones, with the VPC size
/// varying down to what the zone count needs.
fn spread() -> Vec<Vec<String>> {
    let managers = ["1", "3", "5", "7"];
    let workers = ["0", "1", "5", "1000"];
    let ports = ["80", "80,443", "25,443,8080,65535"];
    let types = ["t3.medium", "m7g.large", "c6i.xlarge", "t4g.small"];
    let vpcs = [
        "172.31.0.0/16",
        "10.0.0.0/16",
        "10.1.0.0/24",
        "192.168.0.0/25",
    ];
    (0..24)
        .map(|i| {
            let azs = 1 + i % 6;
            let mut args: Vec<String> = vec![
                "template".into(),
                "--name".into(),
                format!("spread-{i}"),
                "--managers".into(),
                managers[i % 4].into(),
                "--workers".into(),
                workers[(i / 4) % 4].into(),
                "--ssh-cidr".into(),
                "198.51.100.0/24".into(),
                "--publish".into(),
                ports[i % 3].into(),
                "--worker-instance-type".into(),
                types[i % 4].into(),
                "--manager-instance-type".into(),
                types[(i + 1) % 4].into(),
                "--vpc-cidr".into(),
                vpcs[(i / 6) % 4].into(),
                format!("--cloudwatch-logs={}", i % 2 == 0),
            ];
            if i % 5 == 0 {
                let zones: Vec<String> = (0..azs)
                    .map(|z| format!("us-west-2{}", (b'a' + z as u8) as char))
                    .collect();
                // The region is explicit: the test environment may set AWS_REGION to another one.
                args.extend([
                    "--region".into(),
                    "us-west-2".into(),
                    "--zones".into(),
                    zones.join(","),
                ]);
            } else {
                args.extend(["--azs".into(), azs.to_string()]);
            }
            if i % 7 == 3 {
                args.extend([
                    "--manager-disk-type".into(),
                    "io1".into(),
                    "--worker-disk-size".into(),
                    "500".into(),
                ]);
            }
            if i % 4 == 1 {
                args.extend(["--format".into(), "yaml".into()]);
            }
            args
        })
        .collect()
}

#[test]
fn renderings_across_the_spec_space_pass_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, args) in spread().iter().enumerate() {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let text = render(&refs);
        let ext = if args.iter().any(|a| a == "yaml") {
            "yaml"
        } else {
            "json"
        };
        let path = dir.path().join(format!("spread-{i}.{ext}"));
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    assert_eq!(files.len(), 24);
    lint(&files);
}
