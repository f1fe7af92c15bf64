//! `swarmd events` (issue 21): a scripted scenario on real swarmd processes (127.0.112.x, nodes
//! with `--no-executor`: tasks are made and placed but run nowhere) prints its events in order,
//! live to a follower's stream and replayed with `--since/--until`, filtered by type and action.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{wait_for, wait_for_or, Cluster, Node, BIN, WAIT};
use serde_json::Value;

const NET: u8 = 112;

fn now_secs() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

fn ok(n: &Node, args: &[&str]) -> String {
    let o = n.cli(args);
    assert!(o.ok, "{args:?}: {o:?}");
    o.stdout
}

/// `TYPE ACTION NAME` of each line of `swarmd events` (time and id dropped).
fn summary(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(5, ' ').collect();
            assert!(f.len() == 5, "{l:?}");
            assert!(f[0].ends_with('Z') && f[0].len() == 30, "time in {l:?}");
            let name = f[4]
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(", ")
                .find_map(|a| a.strip_prefix("name="))
                .unwrap_or("");
            format!("{} {} {name}", f[1], f[2])
        })
        .collect()
}

#[test]
fn a_scripted_scenario_prints_its_events_in_order() {
    let mut c = Cluster::without_executors(NET);
    let m1 = c.init("m1");
    let m2 = c.join("m2", "manager", m1);
    let secret = c.tmp().join("pw.txt");
    std::fs::write(&secret, "x").unwrap();

    // A live stream on the second manager, services and networks only. With --since, the
    // manager replays the kept events and subscribes to new ones at once, so none made after
    // `start` is missed however late the stream opens.
    let start = now_secs();
    let mut live = Command::new(BIN)
        .args(["events", "--since", &start])
        .args(["--filter", "type=service", "--filter", "type=network"])
        .args(["--state-dir", &c.nodes[m2].dir.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("swarmd events");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = live.stdout.take().unwrap();
    let _live = Kill(live);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    let m = &c.nodes[m1];
    ok(m, &["network", "create", "--driver", "overlay", "probe"]);
    let first = rx
        .recv_timeout(WAIT)
        .expect("the live stream's first event");
    assert_eq!(summary(&first), vec!["network create probe"]);

    let since = now_secs();
    // (The orchestrator makes the tasks in a round of its own: each step waits for them, so
    // the scenario's task events do not depend on how fast that round comes.)
    let tasks_made = |n: usize| {
        wait_for(&format!("{n} tasks"), WAIT, || {
            let v = common::api(m, "/v1/services/web/tasks", None).ok()?;
            (v.as_array()?.len() == n).then_some(())
        })
    };
    let create = [
        "service",
        "create",
        "--detach",
        "--name",
        "web",
        "--replicas",
        "1",
    ];
    ok(m, &[&create[..], &["busybox"]].concat());
    tasks_made(1);
    ok(
        m,
        &[
            "service",
            "update",
            "--detach",
            "--label-add",
            "tier=front",
            "web",
        ],
    );
    ok(m, &["service", "scale", "--detach", "web=3"]);
    tasks_made(3);
    ok(m, &["service", "rm", "web"]);
    ok(m, &["node", "update", "--label-add", "zone=a", "m2"]);
    ok(m, &["network", "rm", "probe"]);
    ok(
        m,
        &["secret", "create", "pw", &secret.display().to_string()],
    );
    ok(m, &["secret", "rm", "pw"]);
    let until = now_secs();

    let want_live = [
        "service create web",
        "service update web",
        "service update web",
        "service remove web",
        "network remove probe",
    ];
    let mut got = Vec::new();
    while got.len() < want_live.len() {
        let l = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("live stream stopped after {got:?}\n{}", c.logs()));
        got.extend(summary(&l));
    }
    assert_eq!(got, want_live);

    // Replayed on either manager from the kept events, tasks left out; the command ends at
    // --until.
    let replay_to = |n: &Node, until: &str, extra: &[&str]| {
        let mut args = vec!["events", "--since", &since, "--until", until];
        args.extend_from_slice(extra);
        summary(&ok(n, &args))
    };
    let all_but_tasks = [
        "--filter",
        "type=service",
        "--filter",
        "type=node",
        "--filter",
        "type=network",
        "--filter",
        "type=secret",
    ];
    let want = [
        "service create web",
        "service update web",
        "service update web",
        "service remove web",
        "node update m2",
        "network remove probe",
        "secret create pw",
        "secret remove pw",
    ];
    let replay = |n: &Node, extra: &[&str]| replay_to(n, &until, extra);
    // Each manager stamps an event with its own apply time: a follower may apply the last
    // commands after `until` was taken, so its replay runs up to the time of each poll (no
    // other service, node, network or secret changes come after the scenario).
    for n in [m1, m2] {
        let mut last = Vec::new();
        let seen = wait_for_or(WAIT, || {
            last = replay_to(&c.nodes[n], &now_secs(), &all_but_tasks);
            (last == want).then_some(())
        });
        assert!(
            seen.is_some(),
            "{}: the replay never matched; last {last:?}",
            c.nodes[n].name
        );
    }
    assert_eq!(
        replay(
            &c.nodes[m1],
            &["--filter", "event=remove", "--filter", "type=secret"]
        ),
        vec!["secret remove pw"]
    );
    // Tasks: three made (one, then two by the scale), each placed, and all three removed after
    // the service (the orchestrator deletes them in a round of its own: the window ends now).
    let tasks = wait_for("the tasks removed", WAIT, || {
        let now = now_secs();
        let args = [
            "events",
            "--since",
            &since,
            "--until",
            &now,
            "--filter",
            "type=task",
        ];
        let tasks = summary(&ok(m, &args));
        let removed = tasks
            .iter()
            .filter(|t| t.starts_with("task remove web."))
            .count();
        (removed == 3).then_some(tasks)
    });
    for slot in ["web.1", "web.2", "web.3"] {
        // Each task: made once, then its updates (pending while no node fits), removed once.
        let mine: Vec<&str> = tasks
            .iter()
            .filter(|t| t.ends_with(&format!(" {slot}")))
            .map(|t| t.split(' ').nth(1).unwrap_or(""))
            .collect();
        assert!(mine.len() >= 2, "{slot}: {tasks:?}");
        assert_eq!(mine[0], "create", "{slot}: {tasks:?}");
        assert_eq!(mine[mine.len() - 1], "remove", "{slot}: {tasks:?}");
        assert!(
            mine[1..mine.len() - 1].iter().all(|a| *a == "update"),
            "{slot}: {tasks:?}"
        );
    }
    assert_eq!(
        tasks.len(),
        tasks.iter().filter(|t| t.contains(" web.")).count()
    );

    // --format json: docker's fields.
    let out = ok(
        m,
        &[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "type=secret",
            "--format",
            "json",
        ],
    );
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["Type"], "secret");
    assert_eq!(first["Action"], "create");
    assert_eq!(first["Actor"]["Attributes"]["name"], "pw");
    assert_eq!(first["scope"], "swarm");
    assert!(first["timeNano"].as_u64().unwrap() >= first["time"].as_u64().unwrap());

    // The docker CLI reads the same events through the Docker-compatible API (`GET /events`).
    let host = format!("unix://{}", m.dir.join("docker.sock").display());
    let o = Command::new("docker")
        .args(["-H", &host, "events", "--since", &since, "--until", &until])
        .args(["--filter", "type=secret"])
        .output()
        .expect("docker events");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        summary(&text),
        vec!["secret create pw", "secret remove pw"],
        "{text}"
    );

    // Bad input exits 2, naming the flag and the value.
    for bad in [
        vec!["--filter", "type=volume"],
        vec!["--filter", "image=x"],
        vec!["--since", "yesterday"],
    ] {
        let mut cmd = Command::new(BIN);
        cmd.arg("events").args(&bad);
        cmd.args(["--state-dir", &m.dir.display().to_string()]);
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(
            err.contains(bad[0]) && err.contains(bad[1]),
            "{bad:?}: {err}"
        );
    }
}
