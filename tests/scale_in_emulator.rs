//! Scale-in protection against the emulator: when `scale` shrinks a group, the instances that
//! stay are protected, so the group terminates exactly the one whose node left the cluster.
//!
//! Emulator limit: moto applies a stack update of an auto-scaling group by deleting and
//! recreating the group (every instance is replaced), so the protection cannot be observed
//! through `scale` itself. This test resizes the group with UpdateAutoScalingGroup, the call
//! CloudFormation makes on AWS. Needs `AWS_ENDPOINT_URL` (scripts/test starts the emulator).

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::inventory::{inventory, Role};
use swarm_aws::scale_in::{protection, set_protection};

const REGION: &str = "ap-southeast-2";

fn cli(home: &Path, args: &[&str]) -> Output {
    common::emulator_cli(home, REGION, args)
}

fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn live_workers(inv: &swarm_aws::inventory::Inventory) -> Vec<String> {
    inv.with_role(Role::Worker)
        .filter(|i| i.is_live())
        .map(|i| i.id.clone())
        .collect()
}

/// The group's instances in the order the group lists them.
async fn group_order(clients: &Clients, group: &str) -> Vec<String> {
    let out = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(String::from))
        .collect()
}

#[tokio::test]
async fn the_group_terminates_only_the_unprotected_instance_that_left() {
    let home = tempfile::tempdir().unwrap();
    let name = format!("scalein-{}", std::process::id());
    let up = ok_json(&cli(
        home.path(),
        &[
            "--output",
            "json",
            "up",
            "--name",
            &name,
            "--managers",
            "1",
            "--workers",
            "3",
            "--azs",
            "1",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--no-bootstrap",
        ],
    ));
    let stack = up["stack"].as_str().unwrap().to_string();
    let clients = Clients::connect(&AwsOptions {
        profile: None,
        region: Some(REGION.into()),
        ..AwsOptions::default()
    })
    .await
    .unwrap();

    let inv = inventory(&clients, &stack).await.unwrap();
    let workers = live_workers(&inv);
    assert_eq!(workers.len(), 3, "{inv:?}");
    // The instance that leaves is one the group would keep on its own: moto scales in the first
    // unprotected instances in the group's order, so the last one leaves.
    let group = inv
        .instances
        .iter()
        .find(|i| i.id == workers[0])
        .unwrap()
        .group
        .clone();
    let order = group_order(&clients, &group).await;
    assert_eq!(order.len(), 3, "{order:?}");
    let leaving = order[2].clone();
    let guard = protection(&inv, std::slice::from_ref(&leaving));
    assert_eq!(guard.len(), 1, "only the worker group shrinks: {guard:?}");
    let mut staying = guard[0].instances.clone();
    staying.sort();
    let mut expected: Vec<String> = order[..2].to_vec();
    expected.sort();
    assert_eq!(staying, expected);
    set_protection(&clients, &guard, true).await.unwrap();

    clients
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .min_size(2)
        .max_size(2)
        .desired_capacity(2)
        .send()
        .await
        .unwrap();
    let after = inventory(&clients, &stack).await.unwrap();
    let mut left = live_workers(&after);
    left.sort();
    assert_eq!(left, expected, "the group kept the protected instances");

    // Lifting the protection leaves every staying instance unprotected.
    set_protection(&clients, &guard, false).await.unwrap();
    let groups = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group)
        .send()
        .await
        .unwrap();
    let flags: Vec<Option<bool>> = groups.auto_scaling_groups()[0]
        .instances()
        .iter()
        .map(|i| i.protected_from_scale_in())
        .collect();
    assert_eq!(flags, vec![Some(false), Some(false)], "{flags:?}");

    let out = cli(home.path(), &["down", "--name", &name, "--yes"]);
    assert!(
        out.status.success(),
        "down: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
