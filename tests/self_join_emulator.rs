//! The self-join material on the emulator: `up` creates the stack's bucket and lifecycle queue,
//! the builds and the join material land in the bucket and under the stack's SSM path (tokens as
//! `SecureString`), and `down` leaves nothing: no parameter, no object, no bucket, no queue.
//!
//! The stack is made with the CLI (`up --no-bootstrap`: no hosts here); the uploads go through
//! the same functions `up` calls after its bootstrap (`swarm_aws::self_join`), with a stand-in
//! ELF build, since no swarmd is bootstrapped in this test (the sandbox tests do that).
//! moto 5.2.5 does not create `AWS::AutoScaling::LifecycleHook` resources from a template (its
//! CloudFormation skips the type), see `localstack/README.md`.

mod common;

use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::bootstrap::{Binaries, JoinMaterial};
use swarm_aws::self_join::{parameter_names, put_join_material, upload_builds};
use swarm_aws::stack::describe_stack;
use swarm_aws::template::outputs::keys;

const REGION: &str = "us-east-1";

fn setup() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"`"
    );
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", REGION),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
}

/// The first 20 bytes of an x86_64 ELF executable, and a body.
fn fake_build() -> Vec<u8> {
    let mut b = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    b.resize(18, 0);
    b.extend_from_slice(&62u16.to_le_bytes());
    b.extend_from_slice(b"not really swarmd");
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_and_down_create_and_remove_the_self_join_material() {
    setup();
    let name = format!("sj-{}", std::process::id());
    let home = tempfile::tempdir().unwrap();
    let out = common::emulator_cli(
        home.path(),
        REGION,
        &[
            "up",
            "--name",
            &name,
            "--no-bootstrap",
            "--managers",
            "1",
            "--workers",
            "1",
            "--ssh-cidr",
            "203.0.113.0/24",
        ],
    );
    let text = |o: &std::process::Output| {
        format!(
            "exit {:?}\n{}\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(out.status.success(), "{}", text(&out));
    // The shared emulator has no simulator and no IAM user for the dummy caller: the preflight
    // says it checked nothing rather than passing silently.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("preflight checked nothing"),
        "{}",
        text(&out)
    );

    let c = Clients::connect(&AwsOptions {
        region: Some(REGION.into()),
        ..AwsOptions::default()
    })
    .await
    .unwrap();
    let info = describe_stack(&c.cfn, &name).await.unwrap().unwrap();
    let bucket = info.output(keys::ARTIFACT_BUCKET).unwrap().to_string();
    let queue = info.output(keys::LIFECYCLE_QUEUE).unwrap().to_string();
    assert_eq!(
        info.output(keys::PARAMETER_PATH),
        Some(format!("/swarm-aws/{name}").as_str())
    );
    c.s3.head_bucket().bucket(&bucket).send().await.unwrap();
    c.sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .send()
        .await
        .unwrap();

    // What `up` writes: the build and its checksum, the tokens and the managers.
    let build = fake_build();
    let builds = Binaries::from_bytes(vec![("swarmd".into(), build.clone())]);
    let archs = upload_builds(&c, &name, &bucket, &builds).await.unwrap();
    assert_eq!(archs, vec!["x86_64".to_string()]);
    let join = JoinMaterial {
        manager_token: "SWMTKN-1-manager-secret".into(),
        worker_token: "SWMTKN-1-worker-secret".into(),
        managers: vec!["10.0.1.10:2377".into()],
    };
    put_join_material(&c, &name, &join).await.unwrap();
    let object =
        c.s3.get_object()
            .bucket(&bucket)
            .key("swarmd/x86_64/swarmd")
            .send()
            .await
            .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), build.as_slice());
    let path = format!("/swarm-aws/{name}");
    let token = c
        .ssm
        .get_parameter()
        .name(format!("{path}/worker-token"))
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let p = token.parameter().unwrap();
    assert_eq!(p.r#type().map(|t| t.as_str()), Some("SecureString"));
    assert_eq!(p.value(), Some("SWMTKN-1-worker-secret"));
    let sha = c
        .ssm
        .get_parameter()
        .name(format!("{path}/swarmd-sha256-x86_64"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sha.parameter().and_then(|p| p.value()).map(str::len),
        Some(64)
    );
    let mut names = parameter_names(&c, &name).await.unwrap();
    names.sort();
    let mut want: Vec<String> = [
        "managers",
        "manager-token",
        "swarmd-sha256-x86_64",
        "worker-token",
    ]
    .iter()
    .map(|n| format!("{path}/{n}"))
    .collect();
    want.sort();
    assert_eq!(names, want);

    // `down`: nothing is left.
    let out = common::emulator_cli(home.path(), REGION, &["down", "--name", &name, "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("emptied bucket") && err.contains("deleted 4 parameter(s)"),
        "{}",
        text(&out)
    );
    assert_eq!(
        parameter_names(&c, &name).await.unwrap(),
        Vec::<String>::new()
    );
    assert!(
        c.s3.head_bucket().bucket(&bucket).send().await.is_err(),
        "bucket {bucket} is still there"
    );
    let listed = c.sqs.list_queues().send().await.unwrap();
    let queues = listed.queue_urls().to_vec();
    assert!(!queues.contains(&queue), "{queue} still in {queues:?}");
}
