//! `swarmd service ...` end to end: real swarmd processes on 127.0.45.x, the real Docker
//! daemon and the test image; every verb goes through the swarmd binary.

mod common;

use common::{ok, svc, wait_for, Cluster, Node, WAIT};
use serde_json::Value;

const V1: &str = "swarm-test/ctl:v1";
const V2: &str = "swarm-test/ctl:v2";

/// Builds the test image under two tags (a changed tag is a changed spec: a rolling update).
fn images() {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    swarm_testkit::images::ensure(tmp, &[(V1, &[]), (V2, &[])]);
}

/// Removes the containers of a service when the test ends, also after a panic.
struct Containers(String);

impl Drop for Containers {
    fn drop(&mut self) {
        common::remove_containers_labelled(&format!("com.docker.swarm.service.name={}", self.0));
    }
}

/// The `service ls --format json` entry of `name`.
fn entry(n: &Node, name: &str) -> Option<Value> {
    let o = svc(n, &["ls", "--format", "json"]);
    let list: Value = serde_json::from_str(&o.stdout).ok()?;
    list.as_array()?
        .iter()
        .find(|e| e["service"]["spec"]["name"] == name)
        .cloned()
}

#[test]
fn create_scale_update_rm_with_real_containers() {
    images();
    let name = "ctlweb";
    let _cleanup = Containers(name.to_string());
    let mut c = Cluster::new(45);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    c.join("w2", "worker", m1);
    let m = &c.nodes[m1];

    // create waits until the 3 tasks run and prints the id, then docker's progress lines.
    let o = ok(
        svc(
            m,
            &[
                "create",
                "--name",
                name,
                "--replicas",
                "3",
                "--timeout",
                "90s",
                V1,
            ],
        ),
        "create",
        &c,
    );
    let id = o.stdout.lines().next().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "{o:?}");
    assert!(
        o.stdout.contains("overall progress: 3 out of 3 tasks"),
        "{o:?}"
    );
    assert!(
        o.stdout
            .contains(&format!("verify: Service {name} converged")),
        "{o:?}"
    );

    let ls = ok(svc(m, &["ls"]), "ls", &c).stdout;
    let row = ls.lines().find(|l| l.contains(name)).expect("ls row");
    assert!(row.contains(" 3/3 "), "{ls}");
    assert!(row.contains(V1), "{ls}");
    assert!(row.starts_with(&id[..12]), "{ls}");

    let ps = ok(svc(m, &["ps", name]), "ps", &c).stdout;
    let running: Vec<&str> = ps
        .lines()
        .filter(|l| l.contains("   Running   ") && l.contains("Running ") && l.contains(" ago"))
        .collect();
    assert_eq!(running.len(), 3, "{ps}");
    for slot in 1..=3 {
        assert!(ps.contains(&format!("{name}.{slot} ")), "{ps}");
    }
    assert!(ps.starts_with("ID "), "{ps}");

    // scale down.
    let o = ok(svc(m, &["scale", &format!("{name}=1")]), "scale", &c);
    assert!(o.stdout.contains(&format!("{name} scaled to 1")), "{o:?}");
    let e = entry(m, name).expect("ls entry");
    assert_eq!(
        (e["running"].as_u64(), e["desired"].as_u64()),
        (Some(1), Some(1)),
        "{e}"
    );

    // rolling update of the image and an env variable.
    let o = ok(
        svc(
            m,
            &[
                "update",
                "--image",
                V2,
                "--env-add",
                "COLOR=blue",
                "--update-parallelism",
                "1",
                name,
            ],
        ),
        "update",
        &c,
    );
    assert!(o.stdout.contains("verify: Service"), "{o:?}");
    let o = ok(svc(m, &["inspect", name]), "inspect", &c);
    let s = &o.json()[0];
    assert_eq!(s["spec"]["task"]["container"]["image"], V2, "{s}");
    let env = s["spec"]["task"]["container"]["env"].to_string();
    assert!(env.contains("COLOR=blue"), "{s}");
    assert_eq!(s["spec"]["update_config"]["parallelism"], 1, "{s}");
    let ps = ok(svc(m, &["ps", name]), "ps", &c).stdout;
    // The slot kept by the scale-down runs v2; its v1 task is listed under it.
    let now: Vec<&str> = ps
        .lines()
        .filter(|l| l.contains(V2) && l.contains("   Running   ") && !l.contains("\\_"))
        .collect();
    assert_eq!(now.len(), 1, "{ps}");
    assert!(
        ps.contains(&format!(" \\_ {name}.")),
        "history row missing:\n{ps}"
    );
    // --filter as docker: desired-state=running drops the history; keys combine.
    let q = ok(
        svc(m, &["ps", name, "-q", "--filter", "desired-state=running"]),
        "ps --filter",
        &c,
    )
    .stdout;
    assert_eq!(q.lines().count(), 1, "{q}\n{ps}");
    let old = ok(
        svc(m, &["ps", name, "-f", "desired-state=shutdown"]),
        "ps --filter shutdown",
        &c,
    )
    .stdout;
    assert!(old.lines().count() >= 2, "{old}");
    assert!(!old.contains(V2), "only v1 tasks were shut down:\n{old}");
    let listed = ok(svc(m, &["ls", "-q", "-f", "name=ctl"]), "ls -f", &c).stdout;
    assert_eq!(listed.trim(), id, "{listed}");
    let none = ok(svc(m, &["ls", "-f", "mode=global"]), "ls -f", &c).stdout;
    assert!(!none.contains(name), "{none}");
    let workers = ok(
        m.cli(&["node", "ls", "-q", "--filter", "role=worker"]),
        "node ls -f",
        &c,
    )
    .stdout;
    assert_eq!(workers.lines().count(), 2, "{workers}");

    let pretty = ok(
        svc(m, &["inspect", "--pretty", name]),
        "inspect --pretty",
        &c,
    )
    .stdout;
    assert!(pretty.contains("COLOR=blue"), "{pretty}");

    // Each task says it listens; the lines carry `task@node |`.
    let logs = wait_for("logs of the running task", WAIT, || {
        let o = svc(m, &["logs", "--tail", "5", name]);
        (o.ok && o.stdout.contains("listening on port")).then_some(o.stdout)
    });
    for line in logs.lines() {
        assert!(
            line.starts_with(&format!("{name}.")) && line.contains('@') && line.contains(" | "),
            "{logs}"
        );
    }

    // rollback returns to the previous spec and waits for it.
    let o = ok(svc(m, &["rollback", name]), "rollback", &c);
    assert!(o.stdout.contains("verify: Service"), "{o:?}");
    let o = ok(svc(m, &["inspect", name]), "inspect", &c);
    let s = &o.json()[0];
    assert_eq!(s["spec"]["task"]["container"]["image"], V1, "{s}");
    assert_eq!(s["update_status"]["state"], "rollback_completed", "{s}");

    // rm removes it from the list.
    let o = ok(svc(m, &["rm", name]), "rm", &c);
    assert_eq!(o.stdout.trim(), name);
    wait_for("service gone", WAIT, || {
        entry(m, name).is_none().then_some(())
    });
}

#[test]
fn bad_flags_exit_non_zero_naming_the_flag() {
    // Its own 127.0.52.0/24: the tests of one binary run at once, and the other one has .45.
    let mut c = Cluster::new(52);
    let m1 = c.init("b1");
    let m = &c.nodes[m1];
    let img = "swarm-test/ctl:none";

    let cases: [(&[&str], &str); 7] = [
        (
            &["create", "--name", "x", "--replicas", "three", img],
            "--replicas",
        ),
        (
            &["create", "--name", "x", "--reserve-memory", "lots", img],
            "--reserve-memory",
        ),
        (
            &[
                "create",
                "--name",
                "x",
                "--update-failure-action",
                "explode",
                img,
            ],
            "--update-failure-action",
        ),
        (
            &["create", "--name", "x", "--rollback-delay", "10", img],
            "--rollback-delay",
        ),
        (
            &["create", "--name", "x", "--publish", "80:", img],
            "--publish",
        ),
        (&["scale", "x"], "service scale"),
        (&["ls", "--filter", "colour=red"], "colour"),
    ];
    for (args, flag) in cases {
        let o = svc(m, args);
        assert!(!o.ok, "{args:?} succeeded: {o:?}");
        assert!(
            o.stderr.contains(flag),
            "{args:?}: error does not name {flag}: {o:?}"
        );
    }

    // A detached create of a global service returns at once; scaling it is refused.
    let o = ok(
        svc(
            m,
            &[
                "create", "-d", "--name", "agentsvc", "--mode", "global", img,
            ],
        ),
        "create -d",
        &c,
    );
    assert!(!o.stdout.contains("overall progress"), "{o:?}");
    let o = svc(m, &["scale", "agentsvc=3"]);
    assert!(!o.ok && o.stderr.contains("global service"), "{o:?}");
    for (args, flag) in [
        (
            vec!["update", "-d", "--replicas", "2", "agentsvc"],
            "--replicas",
        ),
        (
            vec!["update", "-d", "--constraint-add", "zone=a", "agentsvc"],
            "--constraint-add",
        ),
        (
            vec!["update", "-d", "--update-delay", "10", "agentsvc"],
            "--update-delay",
        ),
        (
            vec![
                "update",
                "-d",
                "--mount-add",
                "type=nfs,target=/x",
                "agentsvc",
            ],
            "--mount-add",
        ),
    ] {
        let o = svc(m, &args);
        assert!(!o.ok, "{args:?} succeeded: {o:?}");
        assert!(
            o.stderr.contains(flag),
            "{args:?}: error does not name {flag}: {o:?}"
        );
    }
    // Waiting for a service that cannot converge fails with the tasks' reasons; `ps` shows
    // the reason of the pending tasks.
    let o = svc(
        m,
        &[
            "create",
            "--name",
            "big",
            "--replicas",
            "2",
            "--reserve-memory",
            "100T",
            "--timeout",
            "2s",
            img,
        ],
    );
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stdout.contains("overall progress: 0 out of 2 tasks"),
        "{o:?}"
    );
    assert!(o.stderr.contains("did not converge within 2s"), "{o:?}");
    assert!(o.stderr.contains("big.1: no suitable node ("), "{o:?}");
    let ps = ok(svc(m, &["ps", "big"]), "ps", &c).stdout;
    let pending: Vec<&str> = ps
        .lines()
        .filter(|l| l.contains("Pending ") && l.contains("\"no suitable node ("))
        .collect();
    assert_eq!(pending.len(), 2, "{ps}");
    ok(svc(m, &["rm", "big"]), "rm", &c);

    let o = svc(m, &["ps", "nosuch"]);
    assert!(!o.ok && o.stderr.contains("not found"), "{o:?}");
    let o = svc(m, &["rollback", "-d", "agentsvc"]);
    assert!(!o.ok, "rollback without a previous spec succeeded: {o:?}");

    // A good update (detached) edits the spec; rm of two names fails for the unknown one.
    ok(
        svc(m, &["update", "-d", "--label-add", "tier=ops", "agentsvc"]),
        "update -d",
        &c,
    );
    let o = ok(
        svc(m, &["inspect", "agentsvc", "--format", "json"]),
        "inspect",
        &c,
    );
    assert_eq!(o.json()[0]["spec"]["labels"]["tier"], "ops");
    let o = svc(m, &["rm", "agentsvc", "nosuch"]);
    assert!(
        !o.ok && o.stdout.contains("agentsvc") && o.stderr.contains("nosuch"),
        "{o:?}"
    );
    assert!(entry(m, "agentsvc").is_none(), "agentsvc still listed");
}
