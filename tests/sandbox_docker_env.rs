//! The real docker CLI drives a sandbox cluster from this machine (issue #17): `swarm-aws
//! docker-env`'s output, `eval`ed by bash, points `docker` at a local tunnel to the leader's
//! API (started detached, host keys checked, TLS files 0600); the CLI verifies the manager's
//! certificate (a wrong CA is refused) and `docker node ls` lists every node swarmd lists;
//! `docker service create --replicas 2` converges as `swarm-aws service ps` reports it; `swarm-aws
//! context create` makes a docker context that `docker --context` uses; `docker-env --unset`
//! stops the tunnel (its port no longer answers) and the next one comes back on the same port;
//! `down` leaves no tunnel process. Without `docker` on PATH, `context create` says so (exit 2).
//! With 3 managers, a SIGKILLed leader: the same tunnel (same `DOCKER_HOST`) answers from the new
//! leader, and `docker node ls` shows the old one Unreachable.
//! Needs root, the emulator (scripts/test) and Docker; run under `flock /tmp/sandbox.lock`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sandbox_home::{json_docs, netns, push_test_image, Home};
use serde_json::Value;

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `cmd` with its own docker config dir (contexts) and none of this shell's docker settings.
fn isolated(home: &Home, mut cmd: Command) -> Command {
    cmd.env("DOCKER_CONFIG", home.dir.path().join("docker-config"));
    for k in [
        "DOCKER_HOST",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_CONTEXT",
    ] {
        cmd.env_remove(k);
    }
    cmd
}

/// The docker CLI, isolated.
fn docker_command(home: &Home) -> Command {
    isolated(home, Command::new("docker"))
}

/// `docker ARGS` after bash `eval`s the file `env` (docker-env's output), as a user's shell does.
fn docker_in(home: &Home, env: &Path, args: &[&str]) -> Output {
    let script = format!("eval \"$(cat {})\" && exec docker \"$@\"", env.display());
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(script).arg("docker").args(args);
    isolated(home, bash).output().expect("bash runs")
}

/// The `export K="V"` lines of docker-env's output as pairs.
fn exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn port_of(host: &str) -> u16 {
    host.rsplit(':').next().unwrap().parse().expect("a port")
}

fn answers(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )
    .is_ok()
}

/// The pids of `swarm-aws ... tunnel --cluster NAME` processes on this machine.
fn tunnel_pids(cluster: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        let tunnel = args.iter().any(|a| *a == b"tunnel");
        let ours = args
            .windows(2)
            .any(|w| w[0] == b"--cluster" && w[1] == cluster.as_bytes());
        if tunnel && ours {
            pids.push(pid);
        }
    }
    pids
}

/// swarmd's nodes as `swarm-aws node ls` reports them: (id, hostname).
fn swarmd_nodes(home: &Home) -> BTreeSet<(String, String)> {
    let out = home.run(&["node", "ls", "--cluster", &home.name, "--output", "json"]);
    let nodes: Value = serde_json::from_str(&ok(&out, "node ls")).unwrap();
    nodes
        .as_array()
        .expect("a list of nodes")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["hostname"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Tasks of `service` desired and observed running, by `swarm-aws service ps`.
fn running_tasks(home: &Home, service: &str) -> usize {
    let out = home.run(&[
        "service",
        "--cluster",
        &home.name,
        "ps",
        service,
        "--output",
        "json",
    ]);
    if !out.status.success() {
        return 0;
    }
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
        .count()
}

/// The namespaces this test's sandbox made (the other test of this file runs beside it).
fn created_by(home: &Home, before: &[String]) -> Vec<String> {
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect()
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> (bool, String)) {
    let start = Instant::now();
    loop {
        let (done, seen) = check();
        if done {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{what}: not after {limit:?}; last seen: {seen}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn docker_env_points_the_real_docker_cli_at_the_leader_through_a_tunnel() {
    let home = Home::new(format!("sbxdkr{}", std::process::id() % 100_000));
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "1",
        "--workers",
        "1",
        "--output",
        "json",
    ]);
    ok(&up, "up --sandbox");
    let registry = json_docs(&up).last().unwrap()["registry"]
        .as_str()
        .expect("the registry address")
        .to_string();
    let image = push_test_image(&registry);
    let name = home.name.clone();

    // docker-env: the tunnel starts, the TLS files are private, the lines are docker-machine's.
    let env_out = home.run(&["docker-env", "--cluster", &name]);
    let text = ok(&env_out, "docker-env");
    assert!(
        text.ends_with(&format!(
            "# Run this command to configure your shell:\n# eval $(swarm-aws docker-env --cluster {name})\n"
        )),
        "{text}"
    );
    let vars = exports(&text);
    let keys: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"],
        "{text}"
    );
    let host = vars[0].1.clone();
    assert!(host.starts_with("tcp://127.0.0.1:"), "{host}");
    assert_eq!(vars[1].1, "1");
    let port = port_of(&host);
    let cert_dir = PathBuf::from(&vars[2].1);
    assert_eq!(
        cert_dir,
        home.dir
            .path()
            .join("config/swarm-aws/clusters")
            .join(&name)
            .join("docker")
    );
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        let mode = std::fs::metadata(cert_dir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    for out in [&env_out.stdout, &env_out.stderr] {
        assert!(!String::from_utf8_lossy(out).contains("PRIVATE KEY"));
    }
    let pids = tunnel_pids(&name);
    assert_eq!(pids.len(), 1, "one tunnel process: {pids:?}");
    let env_file = home.dir.path().join("docker-env.sh");
    std::fs::write(&env_file, &text).unwrap();

    // A second docker-env reuses the tunnel.
    let again = ok(
        &home.run(&["docker-env", "--cluster", &name]),
        "docker-env again",
    );
    assert_eq!(again, text);
    assert_eq!(tunnel_pids(&name), pids, "the running tunnel is reused");

    // The CLI verifies the manager: with another CA (here: the admin certificate, no CA at all)
    // it refuses to talk.
    let wrong = home.dir.path().join("wrong-ca");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::copy(cert_dir.join("cert.pem"), wrong.join("ca.pem")).unwrap();
    std::fs::copy(cert_dir.join("cert.pem"), wrong.join("cert.pem")).unwrap();
    std::fs::copy(cert_dir.join("key.pem"), wrong.join("key.pem")).unwrap();
    let wrong_env = home.dir.path().join("wrong-env.sh");
    std::fs::write(
        &wrong_env,
        text.replace(
            &cert_dir.display().to_string(),
            &wrong.display().to_string(),
        ),
    )
    .unwrap();
    let refused = docker_in(&home, &wrong_env, &["node", "ls"]);
    assert!(!refused.status.success(), "a foreign CA was accepted");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("certificate"), "{err}");

    // docker node ls: every node swarmd lists, the same ids and hostnames.
    let nodes = swarmd_nodes(&home);
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    let ls = ok(
        &docker_in(
            &home,
            &env_file,
            &[
                "node",
                "ls",
                "--format",
                "{{.ID}} {{.Hostname}} {{.Status}}",
            ],
        ),
        "docker node ls",
    );
    assert_eq!(ls.lines().count(), nodes.len(), "{ls}");
    for (id, hostname) in &nodes {
        let line = ls
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(hostname.as_str()))
            .unwrap_or_else(|| panic!("{hostname} missing from docker node ls:\n{ls}"));
        assert!(line.starts_with(id.as_str()), "{line} vs {id}");
        assert!(line.ends_with("Ready"), "{line}");
    }

    // docker service create --replicas 2 converges, as swarm-aws's own service ps reports it.
    ok(
        &docker_in(
            &home,
            &env_file,
            &[
                "service",
                "create",
                "--detach",
                "--replicas",
                "2",
                "--name",
                "dkrweb",
                &image,
            ],
        ),
        "docker service create",
    );
    wait_for(
        "2 running tasks of dkrweb",
        Duration::from_secs(180),
        || {
            let n = running_tasks(&home, "dkrweb");
            (n == 2, format!("{n} running"))
        },
    );

    // A docker context for the cluster; `docker --context` uses it (no DOCKER_* variables).
    let created = isolated(
        &home,
        home.command(&["context", "create", "--cluster", &name]),
    )
    .output()
    .unwrap();
    let context = format!("swarm-aws-{name}");
    assert_eq!(ok(&created, "context create").trim(), context);
    let services = ok(
        &docker_command(&home)
            .args(["--context", &context, "service", "ls"])
            .args(["--format", "{{.Name}} {{.Mode}} {{.Replicas}}"])
            .output()
            .unwrap(),
        "docker --context service ls",
    );
    assert_eq!(services.trim(), "dkrweb replicated 2/2", "{services}");
    let contexts = ok(
        &docker_command(&home)
            .args(["context", "inspect", &context])
            .output()
            .unwrap(),
        "docker context inspect",
    );
    let inspected: Value = serde_json::from_str(&contexts).unwrap();
    assert_eq!(inspected[0]["Endpoints"]["docker"]["Host"], host.as_str());
    let removed = isolated(&home, home.command(&["context", "rm", "--cluster", &name]))
        .output()
        .unwrap();
    ok(&removed, "context rm");
    let said = String::from_utf8_lossy(&removed.stderr);
    assert!(
        said.contains("the tunnel of") && said.contains("stays"),
        "{said}"
    );
    assert!(answers(port), "the tunnel stays after context rm");
    let listed = ok(
        &docker_command(&home)
            .args(["context", "ls", "--format", "{{.Name}}"])
            .output()
            .unwrap(),
        "docker context ls",
    );
    assert!(!listed.lines().any(|l| l == context), "{listed}");

    ok(
        &docker_in(&home, &env_file, &["service", "rm", "dkrweb"]),
        "docker service rm",
    );

    // --unset: the unsets, and the tunnel stops (its port no longer answers).
    let unset = ok(
        &home.run(&["docker-env", "--cluster", &name, "--unset"]),
        "docker-env --unset",
    );
    assert!(
        unset.starts_with("unset DOCKER_HOST\nunset DOCKER_TLS_VERIFY\nunset DOCKER_CERT_PATH\n"),
        "{unset}"
    );
    assert_eq!(tunnel_pids(&name), Vec::<u32>::new(), "the tunnel stopped");
    assert!(!answers(port), "port {port} still answers after --unset");

    // The next tunnel comes back on the same port (contexts made for it keep working); down
    // stops it and leaves no tunnel process.
    let back = ok(
        &home.run(&["docker-env", "--cluster", &name]),
        "docker-env after --unset",
    );
    assert_eq!(exports(&back)[0].1, host, "the same DOCKER_HOST");
    assert_eq!(tunnel_pids(&name).len(), 1);
    home.down_leaves_nothing(&created_by(&home, &before));
    assert_eq!(tunnel_pids(&name), Vec::<u32>::new(), "down left a tunnel");
    assert!(!answers(port), "port {port} still answers after down");
}

#[test]
fn context_create_without_docker_on_path_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_swarm-aws"))
        .args(["context", "create", "--cluster", "nodocker"])
        .env("PATH", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`docker` is not on PATH"), "{err}");
    assert!(err.contains("install"), "{err}");
}

/// The docker CLI's view of the managers through the tunnel: (node id, manager status).
fn docker_managers(home: &Home, env: &Path) -> Result<Vec<(String, String)>, String> {
    let out = docker_in(
        home,
        env,
        &["node", "ls", "--format", "{{.ID}} {{.ManagerStatus}}"],
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, st)| (id.to_string(), st.trim().to_string()))
        .collect())
}

#[test]
fn the_tunnel_finds_the_new_leader_when_the_leader_dies() {
    let home = Home::new(format!("sbxtnl{}", std::process::id() % 100_000));
    let before = netns();
    ok(
        &home.run(&[
            "up",
            "--sandbox",
            "--name",
            &home.name,
            "--managers",
            "3",
            "--workers",
            "0",
        ]),
        "up --sandbox 3 managers",
    );
    let name = home.name.clone();
    let text = ok(&home.run(&["docker-env", "--cluster", &name]), "docker-env");
    let env_file = home.dir.path().join("docker-env.sh");
    std::fs::write(&env_file, &text).unwrap();
    let tunnel = tunnel_pids(&name);
    assert_eq!(tunnel.len(), 1, "{tunnel:?}");

    let managers = docker_managers(&home, &env_file).expect("docker node ls");
    assert_eq!(managers.len(), 3, "{managers:?}");
    let leader = managers
        .iter()
        .find(|(_, st)| st == "Leader")
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no leader in {managers:?}"));

    // The leader's swarmd dies (SIGKILL); its host, sshd and engine stay up.
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    let host = sandbox
        .hosts()
        .unwrap()
        .into_iter()
        .find(|h| {
            let node = std::fs::read_to_string(h.dir.join("var/lib/swarmd/node.json")).unwrap();
            let node: Value = serde_json::from_str(&node).unwrap();
            format!("{:016x}", node["node_id"].as_u64().unwrap()).starts_with(&leader)
        })
        .expect("the leader's host");
    let pids = Command::new("ip")
        .args(["netns", "pids", &host.netns])
        .output()
        .unwrap();
    let swarmd: Vec<String> = String::from_utf8_lossy(&pids.stdout)
        .split_whitespace()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "swarmd")
        })
        .map(str::to_string)
        .collect();
    assert_eq!(swarmd.len(), 1, "one swarmd on {}: {swarmd:?}", host.netns);
    let killed = Instant::now();
    assert!(Command::new("kill")
        .args(["-KILL", &swarmd[0]])
        .status()
        .unwrap()
        .success());

    // The same DOCKER_HOST reaches the new leader: the tunnel drops the dead route and finds it.
    let mut seen = String::new();
    let mut switched = None;
    while killed.elapsed() < Duration::from_secs(120) {
        match docker_managers(&home, &env_file) {
            Ok(m) => {
                let new = m.iter().find(|(_, st)| st == "Leader").map(|(id, _)| id);
                if new.is_some_and(|id| *id != leader) {
                    switched = Some(killed.elapsed());
                    break;
                }
                seen = format!("{m:?}");
            }
            Err(e) => seen = e,
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let switched =
        switched.unwrap_or_else(|| panic!("no new leader through the tunnel; last seen: {seen}"));
    eprintln!("the tunnel answered from the new leader {switched:?} after the kill");
    assert_eq!(
        tunnel_pids(&name),
        tunnel,
        "the same tunnel process serves on"
    );
    // Once the new leader has missed its heartbeats, docker shows the dead one Unreachable.
    wait_for(
        "the killed leader shown Unreachable",
        Duration::from_secs(90),
        || match docker_managers(&home, &env_file) {
            Ok(m) => {
                let old = m.iter().find(|(id, _)| *id == leader);
                (
                    m.len() == 3 && old.is_some_and(|(_, st)| st == "Unreachable"),
                    format!("{m:?}"),
                )
            }
            Err(e) => (false, e),
        },
    );

    home.down_leaves_nothing(&created_by(&home, &before));
    assert_eq!(tunnel_pids(&name), Vec::<u32>::new(), "down left a tunnel");
}
