//! Node resources and reservations, with a real swarmd and the real Docker daemon:
//!
//! - `swarmd init --cpus 1 --memory 512M` caps what the node offers the scheduler (the machine
//!   has more): `node inspect` shows the cap, and a task reserving 1G stays pending with the
//!   reason, as the book's "pending for lack of resources" examples;
//! - `service create --reserve-cpu .75 --limit-cpu .5` (the book's chapter 7) is accepted and
//!   runs, as with today's Docker (swarmkit does not compare reservation and limit); the
//!   container gets the limit;
//! - a second CPU reservation that no longer fits in the 1 CPU is pending for cpu.

mod common;

use common::svc::{agents_ready, running, tasks, Containers};
use common::{swarmd, wait_for, Cluster, Node, Out, WAIT};
use serde_json::Value;

/// `swarmd service --state-dir DIR ARGS...`.
fn svc(n: &Node, args: &[&str]) -> Out {
    let dir = n.dir.display().to_string();
    let mut all = vec!["service", "--state-dir", &dir];
    all.extend_from_slice(args);
    swarmd(&all)
}

/// The pending reason of the service's one task, once it is pending with one.
fn pending_reason(n: &Node, name: &str, want: &str) -> String {
    wait_for(&format!("{name} pending: {want}"), WAIT, || {
        let t = tasks(n, name).into_iter().next()?;
        let msg = t["status"]["message"].as_str()?.to_string();
        (t["status"]["state"] == "pending" && msg.contains(want)).then_some(msg)
    })
}

fn nano_cpus_of_container(service: &str) -> i64 {
    let ids = common::running_labelled(&format!("com.docker.swarm.service.name={service}"));
    let id = ids.first().expect("a container");
    let o = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.HostConfig.NanoCpus}}", id])
        .output()
        .expect("docker inspect");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .expect("NanoCpus")
}

#[test]
fn node_capacity_caps_and_reservations_as_docker() {
    let image = common::test_image();
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(61);
    c.extra = ["--cpus", "1", "--memory", "512M"]
        .map(String::from)
        .to_vec();
    let m1 = c.init("res1");
    cleanup.0 = agents_ready(&c, m1, 1);
    let m = &c.nodes[m1];

    // The node offers what the flags say, not the machine's figures.
    let me = m.cli(&["node", "inspect", "self"]).json();
    let r = &me[0]["description"]["resources"];
    assert_eq!(r["nano_cpus"], 1_000_000_000_i64, "{me}");
    assert_eq!(r["memory_bytes"], 512_i64 << 20, "{me}");
    let o = m.cli(&["node", "inspect", "--pretty", "self"]);
    assert!(
        o.ok && o.stdout.contains(" CPUs:                  1\n")
            && o.stdout.contains(" Memory:                512MiB\n"),
        "{o:?}"
    );

    // 1G reserved on a 512M node: accepted, pending with the reason.
    let o = svc(
        m,
        &[
            "create",
            "--detach",
            "--name",
            "p2big",
            "--reserve-memory",
            "1G",
            image,
        ],
    );
    assert!(o.ok, "{o:?}\n{}", c.logs());
    let reason = pending_reason(m, "p2big", "insufficient memory");
    assert!(reason.contains("insufficient memory on 1 node"), "{reason}");

    // The book's chapter 7: a CPU reservation above the CPU limit is accepted and runs.
    let o = svc(
        m,
        &[
            "create",
            "--name",
            "p2cpu",
            "--reserve-cpu",
            ".75",
            "--limit-cpu",
            ".5",
            "--timeout",
            "90s",
            image,
        ],
    );
    assert!(o.ok, "{o:?}\n{}", c.logs());
    wait_for("p2cpu running", WAIT, || {
        (running(m, "p2cpu").values().sum::<usize>() == 1).then_some(())
    });
    assert_eq!(nano_cpus_of_container("p2cpu"), 500_000_000);
    let ls: Value = serde_json::from_str(&svc(m, &["ls", "--format", "json"]).stdout).unwrap();
    let e = ls
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["service"]["spec"]["name"] == "p2cpu")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        e["service"]["spec"]["task"]["resources"]["reservations"]["nano_cpus"], 750_000_000_i64,
        "{e}"
    );

    // 0.75 of the node's 1 CPU is reserved: another 0.5 does not fit.
    let o = svc(
        m,
        &[
            "create",
            "--detach",
            "--name",
            "p2cpu2",
            "--reserve-cpu",
            "0.5",
            image,
        ],
    );
    assert!(o.ok, "{o:?}");
    let reason = pending_reason(m, "p2cpu2", "insufficient cpu");
    assert!(reason.contains("insufficient cpu on 1 node"), "{reason}");
}

#[test]
fn bad_capacity_flags_exit_2_naming_the_flag() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("n");
    let d = dir.display().to_string();
    for (flag, value) in [("--cpus", "lots"), ("--memory", "12Q"), ("--cpus", "0")] {
        let out = std::process::Command::new(common::BIN)
            .args([
                "init",
                "--listen-addr",
                "127.0.61.9:2377",
                "--state-dir",
                &d,
            ])
            .args([flag, value])
            .env_remove("SWARMD_STATE_DIR")
            .output()
            .expect("swarmd");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(
            err.contains(&format!("invalid {flag} \"{value}\"")),
            "{err}"
        );
        assert!(!dir.join("node.json").exists(), "nothing made");
    }
}

/// What `docker inspect` says of `{{.HostConfig.FIELD}}` for each running container of `service`.
fn host_config_of(service: &str, field: &str) -> Vec<String> {
    common::running_labelled(&format!("com.docker.swarm.service.name={service}"))
        .iter()
        .map(|id| {
            let o = std::process::Command::new("docker")
                .args(["inspect", "-f", &format!("{{{{.HostConfig.{field}}}}}"), id])
                .output()
                .expect("docker inspect");
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        })
        .collect()
}

/// Docker's `--limit-pids` (the Engine API's `Resources.Limits.Pids`): the container runs with
/// that PIDs limit, and `service update --limit-pids` replaces the task with the new one.
#[test]
fn limit_pids_reaches_the_container() {
    let image = common::test_image();
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(119);
    let m1 = c.init("pids1");
    cleanup.0 = agents_ready(&c, m1, 1);
    let m = &c.nodes[m1];
    let name = "flagspids";
    let o = svc(
        m,
        &[
            "create",
            "--name",
            name,
            "--limit-pids",
            "64",
            "--timeout",
            "90s",
            image,
        ],
    );
    assert!(o.ok, "{o:?}\n{}", c.logs());
    assert_eq!(host_config_of(name, "PidsLimit"), ["64"]);
    let spec = svc(m, &["inspect", name]).json();
    assert_eq!(
        spec[0]["spec"]["task"]["resources"]["pids_limit"], 64,
        "{spec}"
    );

    let o = svc(
        m,
        &["update", "--limit-pids", "32", "--timeout", "90s", name],
    );
    assert!(o.ok, "{o:?}\n{}", c.logs());
    wait_for("the replacement task runs with PidsLimit 32", WAIT, || {
        let seen = host_config_of(name, "PidsLimit");
        (seen == ["32"]).then_some(())
    });
    let o = svc(m, &["create", "--name", "x", "--limit-pids=-1", image]);
    assert!(
        !o.ok && o.stderr.contains("invalid --limit-pids \"-1\""),
        "{o:?}"
    );
}
