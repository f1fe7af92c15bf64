//! Randomized fault test (bounded): while a client writes, kill -9 / restart / pause (SIGSTOP)
//! managers in random schedules. Afterwards every acknowledged write must be present on every
//! manager, and no two managers may have reported different leaders for the same term.
//!
//! `SWARMD_FAULT_SEED` replays a schedule; `SWARMD_FAULT_SCHEDULES` changes the count (default 6).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{wait_for, Cluster, WAIT};
use swarm_api::client::{Client, Target};
use swarm_api::control::UpdateNodeRequest;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_kill_restart_pause_keeps_acknowledged_writes() {
    let seed = std::env::var("SWARMD_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    let schedules: usize = std::env::var("SWARMD_FAULT_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    eprintln!("fault test seed {seed}, {schedules} schedules");
    let mut rng = Rng(seed);

    let (mut c, managers) = Cluster::start(35, ["m1", "m2", "m3"]);
    let sockets: Vec<_> = managers
        .iter()
        .map(|&i| c.nodes[i].dir.join("swarmd.sock"))
        .collect();

    // Writer: unique label keys, round-robin over the managers' sockets; records acks.
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, sockets) = (acked.clone(), stop.clone(), sockets.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async move {
                let clients: Vec<Client> = sockets
                    .iter()
                    .map(|s| {
                        Client::new(Target::Unix(s.clone())).with_timeout(Duration::from_secs(5))
                    })
                    .collect();
                let mut seq = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    seq += 1;
                    let key = format!("w{seq}");
                    let req = UpdateNodeRequest {
                        availability: None,
                        label_add: BTreeMap::from([(key.clone(), "1".to_string())]),
                        label_rm: Vec::new(),
                    };
                    let cl = &clients[(seq as usize) % clients.len()];
                    let r = cl.nodes().update("m1", &req).await;
                    if r.is_ok() {
                        acked.lock().unwrap().insert(key);
                    } else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            });
        })
    };

    // Observer: (term -> leaders reported) from every running manager.
    let mut leaders_by_term: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    let mut observe = |c: &Cluster, paused: Option<usize>| {
        for &i in &managers {
            if !c.nodes[i].running() || Some(i) == paused {
                continue;
            }
            if let Some(info) = c.nodes[i].info() {
                if let (Some(t), Some(l)) = (info["term"].as_u64(), info["leader"].as_str()) {
                    leaders_by_term.entry(t).or_default().insert(l.to_string());
                }
            }
        }
    };

    let started = Instant::now();
    let mut faults = 0;
    for s in 0..schedules {
        if started.elapsed() > Duration::from_secs(240) {
            eprintln!("time bound reached after {s} schedules");
            break;
        }
        // 1-3 faults per schedule, at most one manager down at a time.
        for _ in 0..1 + rng.below(3) {
            let victim = managers[rng.below(3) as usize];
            let hold = Duration::from_millis(200 + rng.below(1500));
            match rng.below(3) {
                0 => {
                    c.nodes[victim].kill9();
                    std::thread::sleep(hold);
                    observe(&c, None);
                    c.nodes[victim].run();
                }
                1 => {
                    c.nodes[victim].signal("STOP");
                    std::thread::sleep(hold);
                    observe(&c, Some(victim));
                    c.nodes[victim].signal("CONT");
                }
                _ => {
                    if let Some(l) = c.leader(&managers) {
                        c.nodes[l].kill9();
                        std::thread::sleep(hold);
                        observe(&c, None);
                        c.nodes[l].run();
                    }
                }
            }
            faults += 1;
            c.nodes[victim].wait_up();
            observe(&c, None);
        }
        wait_for("leader after schedule", WAIT, || c.leader(&managers));
        observe(&c, None);
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer thread");
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty(), "no write was acknowledged\n{}", c.logs());

    // Every acknowledged write is on every manager once they converge.
    for &i in &managers {
        wait_for(
            &format!("{} has every acknowledged write", c.nodes[i].name),
            WAIT,
            || {
                let nodes = c.nodes[i].nodes()?;
                let n = nodes.iter().find(|n| n["hostname"] == "m1")?;
                let labels = n["labels"].as_object()?;
                acked.iter().all(|k| labels.contains_key(k)).then_some(())
            },
        );
    }
    for (term, leaders) in &leaders_by_term {
        assert!(
            leaders.len() <= 1,
            "term {term} had several leaders: {leaders:?}"
        );
    }
    eprintln!(
        "survived {schedules} schedules, {faults} faults, {} acknowledged writes, {} terms observed",
        acked.len(),
        leaders_by_term.len()
    );
}
