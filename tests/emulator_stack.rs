//! The stack lifecycle against the local AWS emulator (moto in server mode, started by
//! `localstack/start`). Reached through `AWS_ENDPOINT_URL` only: the same tests run against
//! LocalStack Pro or any other endpoint speaking the AWS wire protocol.
//!
//! Stack names are unique per test run, so the tests run in parallel and never reset the emulator.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::inventory::{inventory, Role};
use swarm_aws::stack::{
    delete, deploy, describe_stack, list_clusters, plan, Collect, DeleteOptions, DeleteReport,
    DeployReport, DeployRequest, StackError,
};
use swarm_aws::website::{cluster_endpoint, endpoint_parameters, website_status};

static SETUP: Once = Once::new();

/// Checks the emulator endpoint and sets the dummy credentials, once, before any SDK use.
fn setup() {
    SETUP.call_once(|| {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        assert!(
            !endpoint.is_empty(),
            "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"` and run the tests again"
        );
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ] {
            if std::env::var_os(k).is_none() {
                std::env::set_var(k, v);
            }
        }
    });
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn clients(region: &str) -> Clients {
    Clients::connect(&AwsOptions {
        profile: None,
        region: Some(region.to_string()),
        ..AwsOptions::default()
    })
    .await
    .expect("connect to the emulator")
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cluster_request(name: &str, managers: u32, workers: u32) -> DeployRequest {
    DeployRequest {
        stack: name.to_string(),
        template: fixture("cluster.json"),
        parameters: vec![
            ("ManagerSize".into(), managers.to_string()),
            ("WorkerSize".into(), workers.to_string()),
        ],
        tags: vec![("owner".into(), "tests".into())],
        cluster: name.to_string(),
    }
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_lifecycle_with_the_fixture_template() {
    setup();
    let c = clients("us-east-1").await;
    let name = unique("life");

    // Create: every resource reaches CREATE_COMPLETE on screen.
    let mut sink = Collect::default();
    let report = deploy(&c, &cluster_request(&name, 3, 5), &mut sink, never())
        .await
        .expect("create");
    assert_eq!(
        report,
        DeployReport::Created {
            status: "CREATE_COMPLETE".into()
        }
    );
    let completed: Vec<&str> = sink
        .transitions
        .iter()
        .filter(|(t, _)| !t.stack_level && t.status == "CREATE_COMPLETE")
        .map(|(t, _)| t.logical_id.as_str())
        .collect();
    for id in [
        "Vpc",
        "PubSubnetAz1",
        "NodeLaunchTemplate",
        "ExternalLoadBalancer",
        "ManagerAsg",
        "NodeAsg",
    ] {
        assert!(completed.contains(&id), "{id} missing from {completed:?}");
    }
    assert!(matches!(
        sink.outcome,
        Some(swarm_aws::stack::Outcome::Succeeded { .. })
    ));

    // Inventory: 3 managers in the manager group, 5 workers in the worker group, with addresses.
    let info = describe_stack(&c.cfn, &name).await.unwrap().unwrap();
    let inv = inventory(&c, &name).await.expect("inventory");
    let managers: Vec<_> = inv.with_role(Role::Manager).collect();
    let workers: Vec<_> = inv.with_role(Role::Worker).collect();
    assert_eq!((managers.len(), workers.len()), (3, 5), "{}", inv.table());
    assert!(managers
        .iter()
        .all(|i| Some(i.group.as_str()) == info.output("ManagerAutoScalingGroup")));
    assert!(workers
        .iter()
        .all(|i| Some(i.group.as_str()) == info.output("WorkerAutoScalingGroup")));
    assert!(inv
        .instances
        .iter()
        .all(|i| i.id.starts_with("i-") && i.private_ip.is_some() && !i.az.is_empty()));

    // Dry run of a scale-down shows the parameter change and changes nothing.
    let smaller = cluster_request(&name, 3, 2);
    let p = plan(&c, &smaller).await.expect("plan");
    assert_eq!(
        p.parameter_changes,
        vec![("WorkerSize".into(), "5".into(), "2".into())]
    );
    assert!(!p.template_changed);
    assert_eq!(
        inventory(&c, &name)
            .await
            .unwrap()
            .with_role(Role::Worker)
            .count(),
        5
    );

    // Update through a change set.
    let mut sink = Collect::default();
    match deploy(&c, &smaller, &mut sink, never())
        .await
        .expect("update")
    {
        DeployReport::Updated { status, .. } => assert_eq!(status, "UPDATE_COMPLETE"),
        other => panic!("expected an update, got {other:?}"),
    }
    assert!(sink
        .transitions
        .iter()
        .any(|(t, _)| t.stack_level && t.status == "UPDATE_COMPLETE"));
    assert!(
        !sink
            .transitions
            .iter()
            .any(|(t, _)| t.status.starts_with("CREATE")),
        "the create's events are not replayed"
    );
    let inv = inventory(&c, &name).await.unwrap();
    assert_eq!(inv.with_role(Role::Worker).count(), 2, "{}", inv.table());
    assert_eq!(inv.with_role(Role::Manager).count(), 3);

    // The same deploy again changes nothing.
    let mut sink = Collect::default();
    assert_eq!(
        deploy(&c, &smaller, &mut sink, never())
            .await
            .expect("no-op"),
        DeployReport::NoChanges
    );
    assert!(sink.transitions.is_empty());

    assert!(list_clusters(&c.cfn)
        .await
        .unwrap()
        .iter()
        .any(|s| s.name == name));

    // Delete: gone, and no longer listed.
    let mut sink = Collect::default();
    let report = delete(&c, &name, &DeleteOptions::default(), &mut sink, never())
        .await
        .expect("delete");
    assert!(matches!(report, DeleteReport::Deleted { .. }));
    assert!(describe_stack(&c.cfn, &name).await.unwrap().is_none());
    assert!(!list_clusters(&c.cfn)
        .await
        .unwrap()
        .iter()
        .any(|s| s.name == name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stack_surfaces_its_cause() {
    setup();
    let c = clients("us-east-1").await;
    let name = unique("bad");
    let req = DeployRequest {
        stack: name.clone(),
        template: r#"{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/33"}}}}"#.into(),
        parameters: vec![],
        tags: vec![],
        cluster: name.clone(),
    };
    let err = deploy(&c, &req, &mut Collect::default(), never())
        .await
        .expect_err("an invalid CIDR must fail");
    let text = err.to_string();
    assert!(
        text.contains("10.0.0.0/33"),
        "cause names the bad value: {text}"
    );
    assert!(text.contains(&name), "{text}");
    // The emulator leaves the rejected stack in CREATE_IN_PROGRESS for good: a chance to check
    // that Ctrl-C stops watching but leaves the stack alone, and says how to resume.
    if describe_stack(&c.cfn, &name)
        .await
        .unwrap()
        .is_some_and(|s| s.status == "CREATE_IN_PROGRESS")
    {
        let mut tracker = swarm_aws::stack::Tracker::new(&name, 1);
        let end = swarm_aws::stack::watch(
            &c.cfn,
            &name,
            &mut tracker,
            &mut Collect::default(),
            tokio::time::sleep(std::time::Duration::from_secs(2)),
            swarm_aws::stack::Backoff::default(),
        )
        .await
        .unwrap();
        assert_eq!(end, swarm_aws::stack::WatchEnd::Interrupted);
        assert!(describe_stack(&c.cfn, &name).await.unwrap().is_some());
        interrupt_events_follow(&name).await;
    }
    // Whatever the backend left behind can be cleaned up.
    if describe_stack(&c.cfn, &name).await.unwrap().is_some() {
        delete(
            &c,
            &name,
            &DeleteOptions::default(),
            &mut Collect::default(),
            never(),
        )
        .await
        .expect("clean up the failed stack");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_not_made_by_swarm_aws_are_refused() {
    setup();
    let c = clients("us-east-1").await;
    let name = unique("foreign");
    c.cfn
        .create_stack()
        .stack_name(&name)
        .template_body(r#"{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}}}}"#)
        .send()
        .await
        .expect("create a foreign stack");
    let err = deploy(
        &c,
        &cluster_request(&name, 1, 1),
        &mut Collect::default(),
        never(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StackError::NotOurs { .. }), "{err}");
    assert!(err.hint().unwrap().contains("--name"));
    let err = delete(
        &c,
        &name,
        &DeleteOptions::default(),
        &mut Collect::default(),
        never(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StackError::NotOurs { .. }), "{err}");
    assert!(
        describe_stack(&c.cfn, &name).await.unwrap().is_some(),
        "not deleted"
    );
    c.cfn.delete_stack().stack_name(&name).send().await.unwrap();

    let err = delete(
        &c,
        &unique("nothing"),
        &DeleteOptions::default(),
        &mut Collect::default(),
        never(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StackError::NotFound { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn website_aliases_two_clusters_in_two_regions() {
    setup();
    let east = clients("us-east-1").await;
    let west = clients("us-west-2").await;
    let (a, b) = (unique("site-a"), unique("site-b"));
    deploy(
        &east,
        &cluster_request(&a, 1, 1),
        &mut Collect::default(),
        never(),
    )
    .await
    .expect("cluster a");
    deploy(
        &west,
        &cluster_request(&b, 1, 1),
        &mut Collect::default(),
        never(),
    )
    .await
    .expect("cluster b");
    let primary = cluster_endpoint(&east, &a).await.expect("endpoint a");
    let secondary = cluster_endpoint(&west, &b).await.expect("endpoint b");
    assert_eq!(primary.zone_id, "Z35SXDOTRQ7X7K");
    assert_eq!(secondary.zone_id, "Z1H1FL5HABSF5");
    assert!(
        primary.dns_name.ends_with(".us-east-1.elb.amazonaws.com"),
        "{}",
        primary.dns_name
    );

    let site = unique("site");
    let mut params = endpoint_parameters(&primary, &secondary);
    params.push(("DomainName".into(), format!("{site}.example.test")));
    let req = DeployRequest {
        stack: site.clone(),
        template: fixture("website.json"),
        parameters: params,
        tags: vec![],
        cluster: site.clone(),
    };
    deploy(&east, &req, &mut Collect::default(), never())
        .await
        .expect("website up");
    let status = website_status(&east, &site).await.expect("website status");
    let records: Vec<(&str, &str, &str)> = status
        .records
        .iter()
        .map(|r| {
            (
                r.failover.as_str(),
                r.alias_dns_name.as_str(),
                r.alias_zone_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        records,
        vec![
            ("PRIMARY", primary.dns_name.as_str(), "Z35SXDOTRQ7X7K"),
            ("SECONDARY", secondary.dns_name.as_str(), "Z1H1FL5HABSF5"),
        ]
    );
    assert!(status.records[0].health_check_id.is_some());

    for (c, s) in [(&east, &site), (&east, &a), (&west, &b)] {
        delete(
            c,
            s,
            &DeleteOptions::default(),
            &mut Collect::default(),
            never(),
        )
        .await
        .unwrap_or_else(|e| panic!("delete {s}: {e}"));
        assert!(describe_stack(&c.cfn, s).await.unwrap().is_none());
    }
}

/// `swarm-aws events --follow` on a running operation, interrupted with SIGINT: exit 130, the
/// stack untouched, and the resume command printed.
async fn interrupt_events_follow(name: &str) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_swarm-aws"))
        .args(["events", "--name", name, "--follow"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start swarm-aws events --follow");
    // Let it print the history and start polling, then press Ctrl-C.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("swarm-aws events --name {name} --follow")),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("CREATE_IN_PROGRESS"));
}
