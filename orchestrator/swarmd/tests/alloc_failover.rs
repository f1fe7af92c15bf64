//! Overlay address allocation across a leader kill (issue 15), with three real managers: a
//! writer creates 2-replica services on a small network (`/27`, so the pool wraps and freed
//! addresses are handed out again) and removes older ones, while the leader is killed with
//! SIGKILL mid-way; writes go on through the survivors. Throughout, every sample of the
//! network (from whichever manager answers) has each address once, a task's or VIP's address
//! never changes while it lives, and an address comes back only once its previous owner's
//! service was removed; at the end, with the killed manager back, all three managers hold
//! the same allocation, every live service has its VIP and both task addresses, and some
//! addresses were reused. The tasks are constrained to no node, so no engine is needed:
//! addresses are allocated by the Raft state machine for every non-terminal task.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{swarmd, wait_for, Cluster, WAIT};
use serde_json::Value;

const NET: &str = "alloc";
const SERVICES: usize = 20;
/// Services kept alive at once (older ones are removed).
const LIVE: usize = 6;

/// `(owner, address)` of every endpoint of the network as `dir`'s manager sees it; the owner
/// is `vip:SERVICE` or `task:CONTAINER` (`SERVICE.SLOT.TASK`).
fn endpoints(dir: &std::path::Path) -> Option<Vec<(String, String)>> {
    use swarm_api::client::{Client, Target};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(Target::Unix(dir.join("swarmd.sock")));
    let v: Value = rt
        .block_on(client.get::<Value>(&format!("/v1/networks/{NET}")))
        .ok()?;
    Some(
        v["endpoints"]
            .as_array()?
            .iter()
            .map(|e| {
                (
                    format!(
                        "{}:{}",
                        e["kind"].as_str().unwrap(),
                        e["name"].as_str().unwrap()
                    ),
                    e["addr"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    )
}

fn service_of(owner: &str) -> &str {
    let name = owner.split_once(':').map_or(owner, |x| x.1);
    name.split('.').next().unwrap()
}

/// What the samples saw, checked as they come.
#[derive(Default)]
struct History {
    /// Current owner of each address.
    owner_of: BTreeMap<String, String>,
    /// Address of each owner seen.
    addr_of: BTreeMap<String, String>,
    /// Services removed so far (their removal acknowledged).
    removed: BTreeSet<String>,
    /// Addresses handed to a second owner.
    reused: BTreeSet<String>,
    samples: usize,
}

impl History {
    fn check(&mut self, eps: &[(String, String)]) {
        self.samples += 1;
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (owner, addr) in eps {
            if let Some(other) = seen.insert(addr, owner) {
                panic!("{addr} held by {other} and {owner} at once: {eps:?}");
            }
            if let Some(was) = self.addr_of.get(owner) {
                assert_eq!(was, addr, "{owner} changed address");
            }
            self.addr_of.insert(owner.clone(), addr.clone());
            match self.owner_of.get(addr) {
                Some(prev) if prev != owner => {
                    let svc = service_of(prev);
                    assert!(
                        self.removed.contains(svc),
                        "{addr} went from {prev} to {owner} while {svc} was not removed"
                    );
                    self.reused.insert(addr.clone());
                }
                _ => {}
            }
            self.owner_of.insert(addr.clone(), owner.clone());
        }
    }
}

/// Runs `args` against the managers in turn until one accepts it (within 60 s); an answer
/// that the thing already exists / is already gone counts (a write retried after a timeout
/// may have been committed).
fn write(dirs: &[PathBuf], family: &str, args: &[&str], done_if: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    loop {
        for d in dirs {
            let dir = d.display().to_string();
            let mut all = vec![family, "--state-dir", &dir];
            all.extend_from_slice(args);
            let o = swarmd(&all);
            if o.ok || o.stderr.contains(done_if) {
                return;
            }
            last = o.stderr;
        }
        assert!(
            Instant::now() < deadline,
            "{family} {args:?}: no manager took it: {last}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn sample(dirs: &[PathBuf], h: &Mutex<History>) {
    for d in dirs {
        if let Some(eps) = endpoints(d) {
            h.lock().unwrap().check(&eps);
        }
    }
}

#[test]
fn a_leader_kill_during_allocation_hands_out_no_address_twice() {
    let (mut c, [m1, m2, m3]) = Cluster::start(128, ["m1", "m2", "m3"]);
    let managers = [m1, m2, m3];
    let o = c.nodes[m1].cli(&["network", "create", "--subnet", "10.0.128.0/27", NET]);
    assert!(o.ok, "network create: {o:?}");
    let dirs: Vec<PathBuf> = managers.iter().map(|&i| c.nodes[i].dir.clone()).collect();
    let history = Arc::new(Mutex::new(History::default()));
    let created = Arc::new(Mutex::new(0usize));

    let writer = {
        let (dirs, history, created) = (dirs.clone(), history.clone(), created.clone());
        std::thread::spawn(move || {
            for i in 0..SERVICES {
                let name = format!("s{i}");
                write(
                    &dirs,
                    "service",
                    &[
                        "create",
                        "--detach",
                        "--name",
                        &name,
                        "--replicas",
                        "2",
                        "--network",
                        NET,
                        "--constraint",
                        "node.labels.nowhere==1",
                        "swarm-test/none:v1",
                    ],
                    "already exists",
                );
                *created.lock().unwrap() += 1;
                sample(&dirs, &history);
                if i >= LIVE {
                    let old = format!("s{}", i - LIVE);
                    write(&dirs, "service", &["rm", &old], "not found");
                    history.lock().unwrap().removed.insert(old);
                    sample(&dirs, &history);
                }
            }
        })
    };

    // Kill -9 the leader once a third of the services are in.
    wait_for("services before the kill", Duration::from_secs(90), || {
        if writer.is_finished() {
            return Some(());
        }
        (*created.lock().unwrap() >= SERVICES / 3).then_some(())
    });
    let old = wait_for("a leader", WAIT, || c.leader(&managers));
    c.nodes[old].kill9();
    let rest: Vec<usize> = managers.iter().copied().filter(|&i| i != old).collect();
    wait_for("a new leader", WAIT, || c.leader(&rest));
    writer.join().expect("the writer");

    // The killed manager back: every manager holds the same allocation.
    c.nodes[old].run();
    wait_for("a leader of three", WAIT, || c.leader(&managers));
    let live: BTreeSet<String> = (SERVICES - LIVE..SERVICES)
        .map(|i| format!("s{i}"))
        .collect();
    let want = live.len() * 3;
    let views: Vec<Vec<(String, String)>> = managers
        .iter()
        .map(|&i| {
            wait_for("the allocation on every manager", WAIT, || {
                let mut eps = endpoints(&c.nodes[i].dir)?;
                eps.sort();
                (eps.len() == want).then_some(eps)
            })
        })
        .collect();
    assert!(
        views.windows(2).all(|w| w[0] == w[1]),
        "managers disagree: {views:?}"
    );
    let mut h = history.lock().unwrap();
    h.check(&views[0]);
    let mut per_service: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (owner, _) in &views[0] {
        let e = per_service.entry(service_of(owner)).or_default();
        if owner.starts_with("vip:") {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    for s in &live {
        assert_eq!(
            per_service.get(s.as_str()),
            Some(&(1, 2)),
            "{s}: one VIP and two task addresses in {:?}",
            views[0]
        );
    }
    assert!(
        !h.reused.is_empty(),
        "the /27 pool wrapped, so freed addresses were handed out again ({} samples)",
        h.samples
    );
    eprintln!(
        "{} samples, {} addresses reused after release, leader {} killed",
        h.samples,
        h.reused.len(),
        c.nodes[old].name
    );
}
