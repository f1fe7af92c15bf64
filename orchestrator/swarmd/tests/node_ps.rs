//! `node ps [NODE...]` and `service ps` of several services (issue 21): real swarmd processes on
//! 127.0.110.x, the machine's Docker engine and the test image; the rows match the state.

mod common;

use common::{svc, wait_for, Cluster, WAIT};
use serde_json::Value;

/// Removes the services' containers when the test ends, also after a panic.
struct Containers(&'static [&'static str]);

impl Drop for Containers {
    fn drop(&mut self) {
        for s in self.0 {
            common::remove_containers_labelled(&format!("com.docker.swarm.service.name={s}"));
        }
    }
}

/// The data rows of a table (header checked, then dropped).
fn rows(out: &str) -> Vec<Vec<String>> {
    let mut lines = out.lines();
    let head = lines.next().unwrap_or_default();
    let cols: Vec<&str> = head.split("  ").filter(|c| !c.trim().is_empty()).collect();
    let want = [
        "ID",
        "NAME",
        "IMAGE",
        "NODE",
        "DESIRED STATE",
        "CURRENT STATE",
        "ERROR",
        "PORTS",
    ];
    assert_eq!(
        cols.iter().map(|c| c.trim()).collect::<Vec<_>>(),
        want,
        "{out}"
    );
    lines
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn node_ps_and_service_ps_of_several_services_match_the_state() {
    let image = common::test_image();
    let _cleanup = Containers(&["nps", "nps2"]);
    let mut c = Cluster::new(110);
    let m1 = c.init("m1");
    let w1 = c.join("w1", "worker", m1);
    let m = &c.nodes[m1];
    for (name, n) in [("nps", "2"), ("nps2", "1")] {
        let o = svc(
            m,
            &[
                "create",
                "--name",
                name,
                "--replicas",
                n,
                "--timeout",
                "90s",
                image,
            ],
        );
        assert!(o.ok, "create {name}: {o:?}\n{}", c.logs());
    }
    // Where the scheduler put them, from the state.
    let running = |name: &str| -> Vec<Value> {
        let v = common::api(m, &format!("/v1/services/{name}/tasks"), None).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["status"]["state"] == "running")
            .cloned()
            .collect()
    };
    let all: Vec<Value> = wait_for("3 running tasks", WAIT, || {
        let all: Vec<Value> = [running("nps"), running("nps2")].concat();
        (all.len() == 3).then_some(all)
    });
    let m1_id = c.nodes[m1].id();
    let w1_id = c.nodes[w1].id();
    let on = |id: &str| {
        let mut ids: Vec<String> = all
            .iter()
            .filter(|t| t["node_id"] == id)
            .map(|t| t["id"].as_str().unwrap()[..12.min(t["id"].as_str().unwrap().len())].into())
            .collect();
        ids.sort();
        ids
    };

    // node ps (self: the node answering), node ps w1, node ps m1 w1: the tasks on those nodes.
    let ids_of = |out: &str| {
        let mut ids: Vec<String> = rows(out).iter().map(|r| r[0].clone()).collect();
        ids.sort();
        ids
    };
    let o = m.cli(&["node", "ps"]);
    assert!(o.ok, "{o:?}");
    assert_eq!(ids_of(&o.stdout), on(&m1_id), "{}", o.stdout);
    for r in rows(&o.stdout) {
        assert_eq!(r[3], "m1", "{}", o.stdout);
        assert_eq!((r[4].as_str(), r[5].as_str()), ("Running", "Running"));
    }
    let o = m.cli(&["node", "ps", "w1"]);
    assert!(o.ok, "{o:?}");
    assert_eq!(ids_of(&o.stdout), on(&w1_id), "{}", o.stdout);
    let o = m.cli(&["node", "ps", "m1", "w1"]);
    let mut both = [on(&m1_id), on(&w1_id)].concat();
    both.sort();
    assert_eq!(ids_of(&o.stdout), both, "{}", o.stdout);
    let o = m.cli(&["node", "ps", "-q", "w1"]);
    let mut q: Vec<String> = o.stdout.lines().map(str::to_string).collect();
    q.sort();
    assert_eq!(q, on(&w1_id));
    let o = m.cli(&["node", "ps", "--format", "json", "w1"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["node_id"] == w1_id.as_str()));
    // An unknown node lists nothing and fails.
    let o = m.cli(&["node", "ps", "w1", "nope"]);
    assert!(
        !o.ok && o.stdout.is_empty() && o.stderr.contains("nope"),
        "{o:?}"
    );

    // service ps of two services: every task of both, each once.
    let o = svc(m, &["ps", "nps", "nps2"]);
    assert!(o.ok, "{o:?}");
    let r = rows(&o.stdout);
    let mut names: Vec<&str> = r.iter().map(|r| r[1].as_str()).collect();
    names.sort();
    assert_eq!(names, ["nps.1", "nps.2", "nps2.1"], "{}", o.stdout);
    let _ = svc(m, &["rm", "nps", "nps2"]);
}
