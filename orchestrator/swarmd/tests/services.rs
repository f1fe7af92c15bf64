//! Services on real swarmd processes and the real Docker daemon (issue #6): spread,
//! constraints, drain, pause, pending reasons, scale down, global services, node loss and the
//! routing mesh. Every node of a test shares this machine's Docker daemon; containers carry
//! their node's id as a label, so each agent only touches its own.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::svc::{
    agents_ready, create, node_update, running, running_containers, spec, tasks, update,
    wait_placement, wait_running, Containers,
};
use common::{api, wait_for, Cluster, WAIT};
use serde_json::json;

#[test]
fn replicas_spread_constraints_drain_pause_pending_and_scale_down() {
    // Declared before the cluster so that it drops after it: no live agent recreates a
    // container once they are removed.
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(47);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    c.join("w2", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 3);
    let m = &c.nodes[m1];

    // 6 replicas over 3 nodes: 2/2/2.
    let web = create(m, spec("web", Some(6)));
    let web_id = web["id"].as_str().unwrap().to_string();
    wait_running(&c, m1, "web", &[("m1", 2), ("w1", 2), ("w2", 2)]);
    assert_eq!(running_containers(&web_id), 6);
    // The first manager's agent synced (its tasks run) without being told, before its own
    // membership applied, that it is not part of the cluster.
    let log = c.nodes[m1].log();
    assert!(!log.contains("is not part of this cluster"), "{log}");

    // A constraint pins them to the workers. The tasks are replaced one by one (a rolling
    // update), each placed by spread at that moment, so 3/3 and 4/2 are both possible.
    update(m, "web", |s| {
        s["task"]["placement"] = json!({ "constraints": ["node.role==worker"] });
    });
    wait_placement(&c, m1, "web", "6 tasks on the workers only", |m| {
        m.keys().all(|h| h == "w1" || h == "w2") && m.values().sum::<usize>() == 6
    });
    // ... and the rolling update has replaced every task (a task of the first spec may still
    // run on a worker; the next steps must not see the update replace it).
    wait_for("the constraint's rolling update to finish", WAIT, || {
        let ts = common::svc::tasks(m, "web");
        let live: Vec<_> = ts
            .iter()
            .filter(|t| t["desired_state"] == "running")
            .collect();
        (live.len() == 6
            && live.iter().all(|t| {
                t["service_version"].as_u64().is_some_and(|v| v > 1)
                    && t["status"]["state"] == "running"
            }))
        .then_some(())
    });

    // Draining w1 moves its tasks to w2.
    node_update(m, "w1", "drain");
    wait_running(&c, m1, "web", &[("w2", 6)]);

    // w1 back, w2 paused: new tasks only go to w1, w2 keeps its tasks.
    node_update(m, "w1", "active");
    node_update(m, "w2", "pause");
    update(m, "web", |s| {
        s["mode"] = json!({ "replicated": { "replicas": 8 } })
    });
    wait_running(&c, m1, "web", &[("w1", 2), ("w2", 6)]);
    node_update(m, "w2", "active");

    // A reservation larger than any node: pending, with the reason.
    let mut big = spec("big", Some(1));
    big["task"]["resources"] = json!({ "reservations": { "memory_bytes": 1_i64 << 50 } });
    create(m, big);
    let reason = wait_for("big to be pending with a reason", WAIT, || {
        let t = tasks(m, "big").into_iter().next()?;
        let msg = t["status"]["message"].as_str()?.to_string();
        (t["status"]["state"] == "pending" && msg.contains("insufficient memory")).then_some(msg)
    });
    assert!(
        reason.contains("insufficient memory on 3 nodes"),
        "{reason}"
    );

    // Scale down: the extra tasks stop and their containers with them.
    update(m, "web", |s| {
        s["mode"] = json!({ "replicated": { "replicas": 2 } })
    });
    wait_for("2 web tasks running", WAIT, || {
        (running(m, "web").values().sum::<usize>() == 2).then_some(())
    });
    wait_for("6 web containers stopped", WAIT, || {
        (running_containers(&web_id) == 2).then_some(())
    });

    // Removing the service stops and removes everything.
    api(m, "/v1/services/web/rm", Some(json!(null))).expect("service rm");
    api(m, "/v1/services/big/rm", Some(json!(null))).expect("service rm");
    wait_for("web containers gone", WAIT, || {
        (running_containers(&web_id) == 0).then_some(())
    });
    let e = api(m, "/v1/services/web", None).unwrap_err();
    assert!(e.contains("not found"), "{e}");
}

#[test]
fn global_services_follow_nodes_and_a_lost_nodes_tasks_move() {
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(48);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 2);
    let m = &c.nodes[m1];

    create(m, spec("agent", None));
    wait_running(&c, m1, "agent", &[("m1", 1), ("w1", 1)]);

    // A node that joins later gets its global task.
    let w2 = c.join("w2", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 3);
    wait_running(&c, m1, "agent", &[("m1", 1), ("w1", 1), ("w2", 1)]);

    // Replicas on the workers; kill -9 one worker: its replicas come back on the other.
    let mut rep = spec("rep", Some(4));
    rep["task"]["placement"] = json!({ "constraints": ["node.role==worker"] });
    create(&c.nodes[m1], rep);
    wait_running(&c, m1, "rep", &[("w1", 2), ("w2", 2)]);
    c.nodes[w2].kill9();
    wait_running(&c, m1, "rep", &[("w1", 4)]);
    // The global service does not move: w2's task is not recreated elsewhere.
    wait_running(&c, m1, "agent", &[("m1", 1), ("w1", 1)]);
}

fn http_get(addr: &str) -> Option<String> {
    let mut s =
        std::net::TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(3)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.contains("200").then_some(body)
}

#[test]
fn a_published_port_answers_on_every_node_and_spreads_over_replicas() {
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(49);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    let w2 = c.join("w2", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 3);
    let m = &c.nodes[m1];

    let mut web = spec("web", Some(2));
    web["task"]["placement"] = json!({ "constraints": ["node.hostname!=w2"] });
    web["endpoint"] = json!({ "ports": [
        { "published": 18080, "target": 80 },
        { "published": 18053, "target": 80, "protocol": "udp" },
    ] });
    create(m, web);
    wait_running(&c, m1, "web", &[("m1", 1), ("w1", 1)]);

    let tasks_seen: Vec<String> = tasks(m, "web")
        .iter()
        .filter(|t| t["status"]["state"] == "running")
        .filter_map(|t| t["id"].as_str().map(str::to_string))
        .collect();
    let w2_ip = c.nodes[w2].addr.split(':').next().unwrap().to_string();
    // TCP and UDP alike: every node answers, including w2 which runs no task of the service,
    // and requests through w2 reach both replicas (once w2's mesh table lists both; each UDP
    // ask is a new client, so a new session).
    let protocols: [(&str, u16, Ask); 2] = [("tcp", 18080, http_get), ("udp", 18053, udp_ask)];
    for (proto, port, ask) in protocols {
        for n in &c.nodes {
            let ip = n.addr.split(':').next().unwrap().to_string();
            let addr = format!("{ip}:{port}");
            let body = wait_for(&format!("{addr}/{proto} to answer"), WAIT, || ask(&addr));
            assert!(
                tasks_seen.iter().any(|t| body.contains(t.as_str())),
                "{addr}/{proto} answered {body:?}, not one of {tasks_seen:?}"
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        wait_for(
            &format!("{proto} through w2 to reach both replicas"),
            WAIT,
            || {
                for _ in 0..4 {
                    if let Some(body) = ask(&format!("{w2_ip}:{port}")) {
                        for t in &tasks_seen {
                            if body.contains(t.as_str()) {
                                seen.insert(t.clone());
                            }
                        }
                    }
                }
                (seen.len() == 2).then_some(())
            },
        );
    }
}

/// One request to an address; the answer, if any.
type Ask = fn(&str) -> Option<String>;

/// One datagram to `addr` from a new socket (a new mesh session); the answer, if any.
fn udp_ask(addr: &str) -> Option<String> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.send_to(b"hi", addr).ok()?;
    let mut buf = [0u8; 512];
    let (n, _) = s.recv_from(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}
