//! The cluster's EC2 key pair against the emulator, through the binary: `up` creates one and
//! keeps the private key (mode 0600, never printed), a second `up` reuses it, `down` deletes the
//! pair it made; `--ssh-public-key` imports the user's key (their files are left alone);
//! `--key-name` must exist. Needs `AWS_ENDPOINT_URL` (scripts/test starts the emulator).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::ssh::ClusterKey;

const REGION: &str = "eu-west-3";

fn cli(home: &Path, args: &[&str]) -> Output {
    common::emulator_cli(home, REGION, args)
}

fn up(home: &Path, name: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--output",
        "json",
        "up",
        "--name",
        name,
        "--managers",
        "1",
        "--workers",
        "0",
        "--azs",
        "1",
        "--ssh-cidr",
        "203.0.113.0/24",
        "--no-bootstrap",
    ];
    args.extend(extra);
    cli(home, &args)
}

fn ok_json(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed:\n{stderr}");
    assert!(
        !stdout.contains("PRIVATE KEY") && !stderr.contains("PRIVATE KEY"),
        "a private key was printed"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

async fn pair_exists(name: &str) -> bool {
    let c = Clients::connect(&AwsOptions {
        profile: None,
        region: Some(REGION.into()),
        ..AwsOptions::default()
    })
    .await
    .unwrap();
    match c.ec2.describe_key_pairs().key_names(name).send().await {
        Ok(out) => !out.key_pairs().is_empty(),
        Err(_) => false,
    }
}

fn down(home: &Path, name: &str) {
    let out = cli(home, &["down", "--name", name, "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn up_creates_reuses_and_down_deletes_the_key_pair() {
    let home = tempfile::tempdir().unwrap();
    let name = format!("kp{}", std::process::id());
    let first = ok_json(&up(home.path(), &name, &[]));
    assert_eq!(first["key_pair"]["action"], "created", "{first}");
    let pair = format!("swarm-aws-{name}");
    assert_eq!(first["key_pair"]["name"], pair.as_str());
    assert!(pair_exists(&pair).await);
    let key = home
        .path()
        .join("swarm-aws/clusters")
        .join(&name)
        .join("id_ed25519");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", key.display());
    ClusterKey::load(&key).expect("the saved key loads");

    let again = ok_json(&up(home.path(), &name, &[]));
    assert_eq!(again["key_pair"]["action"], "reused", "{again}");

    down(home.path(), &name);
    assert!(!pair_exists(&pair).await, "down deletes the pair it made");
    assert!(!key.exists(), "its private key goes with it");
}

#[tokio::test]
async fn the_users_public_key_is_imported_and_a_missing_key_name_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let name = format!("ki{}", std::process::id());
    let user_key = ClusterKey::generate("user@laptop").unwrap();
    let ssh = home.path().join("dot-ssh");
    let private = ssh.join("id_ed25519");
    std::fs::create_dir_all(&ssh).unwrap();
    user_key.save(&private).unwrap();
    let public = ssh.join("id_ed25519.pub");
    let doc = ok_json(&up(
        home.path(),
        &name,
        &["--ssh-public-key", public.to_str().unwrap()],
    ));
    assert_eq!(doc["key_pair"]["action"], "imported", "{doc}");
    assert!(pair_exists(&format!("swarm-aws-{name}")).await);
    // The bootstrap will use the user's private key: its path is recorded, the key stays put.
    let identity = home
        .path()
        .join("swarm-aws/clusters")
        .join(&name)
        .join("identity");
    assert_eq!(
        std::fs::read_to_string(&identity).unwrap().trim(),
        private.to_str().unwrap()
    );
    down(home.path(), &name);
    assert!(!pair_exists(&format!("swarm-aws-{name}")).await);
    assert!(private.exists() && public.exists(), "the user's files stay");

    let out = up(
        home.path(),
        &format!("{name}x"),
        &["--key-name", "no-such-pair"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--key-name no-such-pair") && err.contains(REGION),
        "{err}"
    );
}
