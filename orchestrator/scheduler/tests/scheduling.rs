//! Behaviour of the scheduler over hand-built snapshots.

use std::collections::BTreeMap;

use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::node::Platform;
use swarm_api::publish::{PortConfig, Protocol};
use swarm_api::resources::{parse_memory, Resources};
use swarm_api::task::{Task, TaskState};
use swarm_scheduler::{
    schedule, Availability, NodeInfo, NodeRole, NodeStatus, NodeTask, Outcome, Snapshot,
};

const GIB: i64 = 1 << 30;
const CPU: i64 = 1_000_000_000;

fn node(id: &str) -> NodeInfo {
    NodeInfo::new(
        id,
        Resources {
            nano_cpus: 4 * CPU,
            memory_bytes: 8 * GIB,
        },
    )
}

/// A node that reported this platform.
fn on(id: &str, os: &str, arch: &str) -> NodeInfo {
    let mut n = node(id);
    n.platform = Platform {
        os: os.into(),
        architecture: arch.into(),
    };
    n
}

/// `n` tasks of service `web` placed under constraint `c`.
fn constrained(n: usize, c: &str) -> Vec<Task> {
    let c = Constraint::parse(c).unwrap();
    tasks("web", n, |t| t.spec.placement.constraints = vec![c.clone()])
}

fn labelled(id: &str, labels: &[(&str, &str)]) -> NodeInfo {
    let mut n = node(id);
    n.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    n
}

fn task(service: &str, i: usize) -> Task {
    let mut t = swarm_testkit::task(
        &format!("{service}-t{i}"),
        service,
        "img",
        TaskState::Pending,
    );
    t.slot = Some(i as u64 + 1);
    t
}

fn tasks(service: &str, n: usize, f: impl Fn(&mut Task)) -> Vec<Task> {
    (0..n)
        .map(|i| {
            let mut t = task(service, i);
            f(&mut t);
            t
        })
        .collect()
}

/// Counts assignments per node id, and collects pending reasons.
fn tally(snapshot: &Snapshot, tasks: &[Task]) -> (BTreeMap<String, usize>, Vec<String>) {
    let decisions = schedule(snapshot, tasks);
    assert_eq!(decisions.len(), tasks.len());
    let mut per_node = BTreeMap::new();
    let mut pending = Vec::new();
    for (d, t) in decisions.iter().zip(tasks) {
        assert_eq!(d.task_id, t.id);
        match &d.outcome {
            Outcome::Assigned { node_id } => *per_node.entry(node_id.clone()).or_insert(0) += 1,
            Outcome::Pending { reason } => pending.push(reason.clone()),
        }
    }
    (per_node, pending)
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn six_replicas_over_three_nodes_land_two_each() {
    let snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    let (per_node, pending) = tally(&snap, &tasks("web", 6, |_| {}));
    assert_eq!(per_node, counts(&[("n1", 2), ("n2", 2), ("n3", 2)]));
    assert!(pending.is_empty());
}

#[test]
fn spread_counts_tasks_already_running() {
    let mut snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    for i in 0..2 {
        snap.nodes[0].tasks.push(NodeTask {
            task_id: format!("old{i}"),
            service_id: "web".into(),
            reservations: Resources::default(),
            host_ports: vec![],
        });
    }
    // Another service's task on n2 breaks the tie between n2 and n3.
    snap.nodes[1].tasks.push(NodeTask {
        task_id: "other".into(),
        service_id: "db".into(),
        reservations: Resources::default(),
        host_ports: vec![],
    });
    let decisions = schedule(&snap, &tasks("web", 1, |_| {}));
    assert_eq!(
        decisions[0].outcome,
        Outcome::Assigned {
            node_id: "n3".into()
        }
    );
    let (per_node, _) = tally(&snap, &tasks("web", 4, |_| {}));
    // n1 already has 2: new ones fill n2 and n3 up to 2 each first.
    assert_eq!(per_node, counts(&[("n2", 2), ("n3", 2)]));
}

#[test]
fn constraint_pins_tasks_to_matching_nodes() {
    let snap = Snapshot {
        nodes: vec![
            labelled("a1", &[("zone", "a")]),
            labelled("b1", &[("zone", "b")]),
            labelled("a2", &[("zone", "a")]),
        ],
    };
    let (per_node, pending) = tally(&snap, &constrained(4, "node.labels.zone==a"));
    assert_eq!(per_node, counts(&[("a1", 2), ("a2", 2)]));
    assert!(pending.is_empty());

    let (per_node, _) = tally(&snap, &constrained(3, "node.labels.zone!=a"));
    assert_eq!(per_node, counts(&[("b1", 3)]));

    let (per_node, _) = tally(&snap, &constrained(2, "node.hostname==b1"));
    assert_eq!(per_node, counts(&[("b1", 2)]));
}

#[test]
fn platform_constraints_pick_nodes_by_os_and_arch() {
    let snap = Snapshot {
        nodes: vec![
            on("x1", "linux", "x86_64"),
            on("arm1", "linux", "aarch64"),
            on("x2", "linux", "x86_64"),
            node("unreported"),
        ],
    };
    let (per_node, pending) = tally(&snap, &constrained(3, "node.platform.arch==aarch64"));
    assert_eq!(per_node, counts(&[("arm1", 3)]));
    assert!(pending.is_empty());

    // `!=` holds on every node that reports another architecture, and on one that reports none.
    let (per_node, _) = tally(&snap, &constrained(6, "node.platform.arch!=aarch64"));
    assert_eq!(per_node, counts(&[("x1", 2), ("x2", 2), ("unreported", 2)]));

    let (per_node, pending) = tally(&snap, &constrained(1, "node.platform.os==windows"));
    assert!(per_node.is_empty());
    assert_eq!(
        pending,
        vec!["no suitable node (4 nodes not matching constraint node.platform.os==windows)"]
    );
}

#[test]
fn unsatisfiable_constraint_leaves_tasks_pending_with_reason() {
    let snap = Snapshot {
        nodes: vec![node("n1"), node("n2")],
    };
    let (per_node, pending) = tally(&snap, &constrained(2, "node.role==manager"));
    assert!(per_node.is_empty());
    assert_eq!(
        pending,
        vec!["no suitable node (2 nodes not matching constraint node.role==manager)"; 2]
    );
}

#[test]
fn reason_names_every_filter_that_rejected_nodes() {
    let mut nodes = Vec::new();
    for i in 0..3 {
        let mut n = NodeInfo::new(
            &format!("m{i}"),
            Resources {
                nano_cpus: 2 * CPU,
                memory_bytes: GIB,
            },
        );
        n.role = NodeRole::Manager;
        nodes.push(n);
    }
    nodes.push(NodeInfo::new(
        "w1",
        Resources {
            nano_cpus: 8 * CPU,
            memory_bytes: 64 * GIB,
        },
    ));
    nodes.push(NodeInfo::new(
        "w2",
        Resources {
            nano_cpus: 8 * CPU,
            memory_bytes: 64 * GIB,
        },
    ));
    let snap = Snapshot { nodes };
    let c = Constraint::parse("node.role==manager").unwrap();
    let (_, pending) = tally(
        &snap,
        &tasks("web", 1, |t| {
            t.spec.placement.constraints = vec![c.clone()];
            t.spec.resources.reservations.memory_bytes = parse_memory("m", "4G").unwrap();
        }),
    );
    assert_eq!(
        pending,
        vec!["no suitable node (insufficient memory on 3 nodes; 2 nodes not matching constraint node.role==manager)"]
    );
}

#[test]
fn drained_paused_and_down_nodes_get_no_new_tasks() {
    let mut snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3"), node("n4")],
    };
    snap.nodes[0].availability = Availability::Drain;
    snap.nodes[1].availability = Availability::Pause;
    snap.nodes[2].status = NodeStatus::Down;
    let (per_node, pending) = tally(&snap, &tasks("web", 3, |_| {}));
    assert_eq!(per_node, counts(&[("n4", 3)]));
    assert!(pending.is_empty());

    snap.nodes[3].availability = Availability::Drain;
    let (per_node, pending) = tally(&snap, &tasks("web", 1, |_| {}));
    assert!(per_node.is_empty());
    assert_eq!(
        pending,
        vec!["no suitable node (1 node not ready; 1 node paused; 2 nodes drained)"]
    );
}

#[test]
fn reservation_larger_than_any_node_stays_pending() {
    let snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    let (per_node, pending) = tally(
        &snap,
        &tasks("big", 2, |t| {
            t.spec.resources.reservations.memory_bytes = 16 * GIB
        }),
    );
    assert!(per_node.is_empty());
    assert_eq!(
        pending,
        vec!["no suitable node (insufficient memory on 3 nodes)"; 2]
    );
    let (_, pending) = tally(
        &snap,
        &tasks("cpu", 1, |t| {
            t.spec.resources.reservations.nano_cpus = 5 * CPU
        }),
    );
    assert_eq!(
        pending,
        vec!["no suitable node (insufficient cpu on 3 nodes)"]
    );
}

#[test]
fn reservations_fill_nodes_up_and_count_across_services() {
    let snap = Snapshot {
        nodes: vec![node("n1"), node("n2")],
    };
    // 3 GiB each: two fit per 8 GiB node, the fifth does not.
    let mut batch = tasks("a", 3, |t| {
        t.spec.resources.reservations.memory_bytes = 3 * GIB
    });
    batch.extend(tasks("b", 2, |t| {
        t.spec.resources.reservations.memory_bytes = 3 * GIB
    }));
    let (per_node, pending) = tally(&snap, &batch);
    assert_eq!(per_node.values().sum::<usize>(), 4);
    assert_eq!(per_node, counts(&[("n1", 2), ("n2", 2)]));
    assert_eq!(
        pending,
        vec!["no suitable node (insufficient memory on 2 nodes)"]
    );
}

#[test]
fn existing_reservations_are_respected() {
    let mut snap = Snapshot {
        nodes: vec![node("n1"), node("n2")],
    };
    snap.nodes[0].tasks.push(NodeTask {
        task_id: "x".into(),
        service_id: "db".into(),
        reservations: Resources {
            nano_cpus: 0,
            memory_bytes: 7 * GIB,
        },
        host_ports: vec![],
    });
    let (per_node, _) = tally(
        &snap,
        &tasks("web", 2, |t| {
            t.spec.resources.reservations.memory_bytes = 2 * GIB
        }),
    );
    assert_eq!(per_node, counts(&[("n2", 2)]));
}

#[test]
fn global_tasks_go_to_their_own_node_when_it_passes_the_filters() {
    let mut snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    snap.nodes[2].availability = Availability::Drain;
    let mut batch: Vec<Task> = snap
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut t = task("agent", i);
            t.slot = None;
            t.node_id = Some(n.id.clone());
            t
        })
        .collect();
    let mut ghost = task("agent", 9);
    ghost.slot = None;
    ghost.node_id = Some("gone".into());
    batch.push(ghost);
    let d = schedule(&snap, &batch);
    assert_eq!(
        d[0].outcome,
        Outcome::Assigned {
            node_id: "n1".into()
        }
    );
    assert_eq!(
        d[1].outcome,
        Outcome::Assigned {
            node_id: "n2".into()
        }
    );
    assert_eq!(
        d[2].outcome,
        Outcome::Pending {
            reason: "no suitable node (1 node drained)".into()
        }
    );
    assert_eq!(
        d[3].outcome,
        Outcome::Pending {
            reason: "no suitable node (node gone not in the cluster)".into()
        }
    );
}

#[test]
fn global_task_is_refused_when_its_reservation_does_not_fit() {
    let snap = Snapshot {
        nodes: vec![node("n1")],
    };
    let mut t = task("agent", 0);
    t.node_id = Some("n1".into());
    t.spec.resources.reservations.memory_bytes = 9 * GIB;
    let d = schedule(&snap, &[t]);
    assert_eq!(
        d[0].outcome,
        Outcome::Pending {
            reason: "no suitable node (insufficient memory on 1 node)".into()
        }
    );
}

#[test]
fn max_replicas_per_node_caps_each_node() {
    let snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    let (per_node, pending) = tally(
        &snap,
        &tasks("web", 8, |t| t.spec.placement.max_replicas_per_node = 2),
    );
    assert_eq!(per_node, counts(&[("n1", 2), ("n2", 2), ("n3", 2)]));
    assert_eq!(
        pending,
        vec!["no suitable node (max replicas per node (2) reached on 3 nodes)"; 2]
    );
}

#[test]
fn host_mode_ports_allow_one_task_per_node() {
    let mut snap = Snapshot {
        nodes: vec![node("n1"), node("n2"), node("n3")],
    };
    snap.nodes[2].tasks.push(NodeTask {
        task_id: "x".into(),
        service_id: "other".into(),
        reservations: Resources::default(),
        host_ports: vec![(8080, Protocol::Tcp)],
    });
    let port = PortConfig::parse("published=8080,target=80,mode=host").unwrap();
    let (per_node, pending) = tally(
        &snap,
        &tasks("web", 3, |t| t.endpoint.ports = vec![port.clone()]),
    );
    assert_eq!(per_node, counts(&[("n1", 1), ("n2", 1)]));
    assert_eq!(
        pending,
        vec!["no suitable node (host port 8080/tcp in use on 3 nodes)"]
    );
    // Ingress ports do not conflict per node.
    let ingress = PortConfig::parse("8080:80").unwrap();
    let (per_node, pending) = tally(
        &snap,
        &tasks("web", 6, |t| t.endpoint.ports = vec![ingress.clone()]),
    );
    assert_eq!(per_node.values().sum::<usize>(), 6);
    assert!(pending.is_empty());
}

#[test]
fn placement_preference_spreads_over_label_values_first() {
    let snap = Snapshot {
        nodes: vec![
            labelled("a1", &[("zone", "a")]),
            labelled("b1", &[("zone", "b")]),
            labelled("b2", &[("zone", "b")]),
            labelled("b3", &[("zone", "b")]),
        ],
    };
    let pref = PlacementPreference::parse("spread=node.labels.zone").unwrap();
    let (per_node, _) = tally(
        &snap,
        &tasks("web", 4, |t| {
            t.spec.placement.preferences = vec![pref.clone()]
        }),
    );
    assert_eq!(per_node, counts(&[("a1", 2), ("b1", 1), ("b2", 1)]));
    // Without the preference the plain spread puts one on each node.
    let (per_node, _) = tally(&snap, &tasks("web", 4, |_| {}));
    assert_eq!(
        per_node,
        counts(&[("a1", 1), ("b1", 1), ("b2", 1), ("b3", 1)])
    );
}

#[test]
fn nested_preferences_and_unlabelled_nodes() {
    let snap = Snapshot {
        nodes: vec![
            labelled("a-r1", &[("zone", "a"), ("rack", "1")]),
            labelled("a-r1b", &[("zone", "a"), ("rack", "1")]),
            labelled("a-r2", &[("zone", "a"), ("rack", "2")]),
            labelled("b-r1", &[("zone", "b"), ("rack", "1")]),
            node("nolabel"),
        ],
    };
    let prefs = vec![
        PlacementPreference::parse("spread=node.labels.zone").unwrap(),
        PlacementPreference::parse("spread=node.labels.rack").unwrap(),
    ];
    let (per_node, _) = tally(
        &snap,
        &tasks("web", 6, |t| t.spec.placement.preferences = prefs.clone()),
    );
    // 3 zone groups (a, b, unlabelled) get 2 each; within zone a, racks 1 and 2 get 1 each.
    assert_eq!(per_node.get("b-r1"), Some(&2));
    assert_eq!(per_node.get("nolabel"), Some(&2));
    assert_eq!(per_node.get("a-r2"), Some(&1));
    assert_eq!(
        per_node.get("a-r1").unwrap_or(&0) + per_node.get("a-r1b").unwrap_or(&0),
        1
    );
}

#[test]
fn preference_branch_that_fills_up_yields_to_the_others() {
    let mut snap = Snapshot {
        nodes: vec![
            labelled("a1", &[("zone", "a")]),
            labelled("b1", &[("zone", "b")]),
            labelled("b2", &[("zone", "b")]),
        ],
    };
    snap.nodes[0].total.memory_bytes = 2 * GIB;
    let pref = PlacementPreference::parse("spread=node.labels.zone").unwrap();
    let (per_node, pending) = tally(
        &snap,
        &tasks("web", 6, |t| {
            t.spec.placement.preferences = vec![pref.clone()];
            t.spec.resources.reservations.memory_bytes = GIB;
        }),
    );
    assert_eq!(per_node, counts(&[("a1", 2), ("b1", 2), ("b2", 2)]));
    assert!(pending.is_empty());
}

#[test]
fn empty_cluster_explains_itself() {
    let (_, pending) = tally(&Snapshot::default(), &tasks("web", 1, |_| {}));
    assert_eq!(pending, vec!["no suitable node (no nodes in the cluster)"]);
}

#[test]
fn node_task_view_of_an_assigned_task() {
    let mut t = task("web", 0);
    t.spec.resources.reservations.memory_bytes = GIB;
    t.endpoint.ports = vec![
        PortConfig::parse("published=8080,target=80,mode=host").unwrap(),
        PortConfig::parse("9090:90").unwrap(),
    ];
    let nt = NodeTask::from_task(&t);
    assert_eq!(nt.task_id, "web-t0");
    assert_eq!(nt.service_id, "web");
    assert_eq!(nt.reservations.memory_bytes, GIB);
    assert_eq!(nt.host_ports, vec![(8080, Protocol::Tcp)]);
}

#[test]
fn image_platforms_pick_nodes_and_tasks_group_by_their_platforms() {
    let snap = Snapshot {
        nodes: vec![
            on("x1", "linux", "x86_64"),
            on("arm1", "linux", "aarch64"),
            node("unreported"),
        ],
    };
    let built_for = |arches: &[&str]| -> Vec<Platform> {
        arches
            .iter()
            .map(|a| Platform {
                os: "linux".into(),
                architecture: a.to_string(),
            })
            .collect()
    };
    // One batch, two groups: arm64-only tasks and amd64-only tasks of the same service.
    let mut batch = tasks("web", 2, |t| {
        t.spec.placement.platforms = built_for(&["arm64"])
    });
    batch.extend(tasks("web", 2, |t| {
        t.id.push_str("-amd");
        t.spec.placement.platforms = built_for(&["amd64"]);
    }));
    let (per_node, pending) = tally(&snap, &batch);
    assert_eq!(per_node, counts(&[("arm1", 2), ("x1", 2)]));
    assert!(pending.is_empty(), "{pending:?}");

    // A multi-arch image runs anywhere that reported a platform; no platforms: anywhere.
    let (per_node, _) = tally(
        &snap,
        &tasks("web", 4, |t| {
            t.spec.placement.platforms = built_for(&["amd64", "arm64"])
        }),
    );
    assert_eq!(per_node, counts(&[("arm1", 2), ("x1", 2)]));
    let (per_node, _) = tally(&snap, &tasks("web", 3, |_| {}));
    assert_eq!(
        per_node,
        counts(&[("arm1", 1), ("unreported", 1), ("x1", 1)])
    );

    let (per_node, pending) = tally(
        &snap,
        &tasks("web", 1, |t| {
            t.spec.placement.platforms = built_for(&["s390x"])
        }),
    );
    assert!(per_node.is_empty());
    assert_eq!(
        pending,
        vec!["no suitable node (unsupported platform on 3 nodes)"]
    );
}
