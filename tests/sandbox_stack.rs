//! The book's chapter-15 stack on real hosts (issue #16): `swarm-aws stack deploy` of the
//! WordPress + MySQL compose file, with the images swapped for the test image doing the same
//! thing — `mysql` listens (on 3306), `web` answers each request with what one request to
//! `mysql:3306` returned, finding it by the service's short name on `app_default` — on a
//! sandbox cluster of 1 manager and 1 worker (each host with its own engine; the db on the
//! worker, the web on the manager, so the name crosses hosts). The web answers through the
//! routing mesh on every node; a re-deploy of the unchanged file touches no task; `stack rm`
//! leaves no service, network or container on any host. Then a stack with a secret and a
//! config runs on the worker: its task reads both files, the manager's node never gets them,
//! no state dir holds the secret, and `stack rm` leaves no service, network, secret, config,
//! container or tmpfs file. Needs root, the emulator
//! (scripts/test) and Docker; run under `flock /tmp/sandbox.lock`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::collections::BTreeSet;
use std::path::Path;
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

/// The chapter's file (its `ports` indented under `web`, as the text means), the images the
/// test image, each doing its part; `links` stays, to be ignored with docker's warning.
fn chapter_15(image: &str) -> String {
    format!(
        r#"version: '3'
services:
  web:
    image: {image}
    links:
      - mysql
    command: ["--port", "80", "--upstream", "mysql:3306"]
    environment:
      - WORDPRESS_DB_PASSWORD="mysql"
      - WORDPRESS_DB_HOST=mysql:3306
    ports:
      - "8080:80"
    deploy:
      placement:
        constraints: [node.role == manager]
  mysql:
    image: {image}
    command: ["--port", "3306"]
    environment:
      - MYSQL_ROOT_PASSWORD="mysql"
      - MYSQL_DATABASE="mysql ldb"
    deploy:
      placement:
        constraints: [node.role == worker]
"#
    )
}

/// A stack of one service on the worker that shows a secret's and a config's file (mode,
/// owner, length, hash; never the content).
fn vault_stack(image: &str) -> String {
    format!(
        r#"services:
  reader:
    image: {image}
    command: ["--port", "80", "--show-file", "/run/secrets/pw", "--show-file", "/etc/vault.conf"]
    secrets:
      - source: pw
        mode: 0400
    configs:
      - source: conf
        target: /etc/vault.conf
    deploy:
      placement:
        constraints: [node.role == worker]
secrets:
  pw: {{file: ./vault_pw.txt}}
configs:
  conf: {{file: ./vault.conf}}
"#
    )
}

/// The FNV-1a hash the test image prints for a file.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_under(&e.path())),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
    out
}

/// The files under `dir` whose bytes contain `needle`.
fn containing(dir: &Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)))
        .collect()
}

/// `swarmd ARGS --state-dir` of a sandbox host's node, on its local socket; its stdout.
fn swarmd_on(h: &swarm_aws::sandbox::SandboxHost, args: &[&str]) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_swarm-aws")).with_file_name("swarmd");
    let state = h.dir.join("var/lib/swarmd");
    let out = Command::new(bin)
        .args(&args[..1])
        .arg("--state-dir")
        .arg(&state)
        .args(&args[1..])
        .env_remove("SWARMD_HOST")
        .output()
        .expect("run swarmd");
    ok(&out, &format!("swarmd {args:?}"))
}

fn http_get(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let sock: std::net::SocketAddr = addr.parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn containers_on(socket: &Path, stack: &str) -> Vec<String> {
    let out = Command::new("docker")
        .arg("--host")
        .arg(format!("unix://{}", socket.display()))
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.stack.namespace={stack}"),
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_books_wordpress_stack_answers_through_the_mesh_on_every_node() {
    let home = Home::new(format!("sbxstk{}", std::process::id() % 100_000));
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
    let dir = home.dir.path().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("docker-cloud.yml");
    std::fs::write(&file, chapter_15(&image)).unwrap();
    let file = file.display().to_string();
    let stack = |args: &[&str]| {
        let mut all = vec!["stack", "--cluster", &home.name];
        all.extend_from_slice(args);
        home.run(&all)
    };
    let ps = |service: &str| -> Vec<Value> {
        let out = home.run(&[
            "service",
            "--cluster",
            &home.name,
            "ps",
            service,
            "--output",
            "json",
        ]);
        serde_json::from_str::<Value>(&ok(&out, "service ps"))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let running = |service: &str| -> BTreeSet<String> {
        ps(service)
            .iter()
            .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };

    let out = stack(&["deploy", "-c", &file, "app"]);
    let text = ok(&out, "stack deploy");
    assert_eq!(
        text,
        "Creating network app_default\nCreating service app_mysql\nCreating service app_web\n"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Ignoring unsupported options: links"),
        "{out:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    let (web, db) = loop {
        let (w, d) = (running("app_web"), running("app_mysql"));
        if w.len() == 1 && d.len() == 1 {
            break (w, d);
        }
        assert!(
            Instant::now() < deadline,
            "tasks not running: web {w:?} db {d:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let db_task = db.iter().next().unwrap().clone();

    // Every node's port 8080 reaches the web, which reached the db by its name across hosts.
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &home.name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    let hosts = sandbox.hosts().unwrap();
    assert_eq!(hosts.len(), 2);
    for h in &hosts {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let body = http_get(&format!("{}:8080", h.addr)).unwrap_or_default();
            if body.contains(&format!("got=task={db_task}")) {
                assert!(body.contains("upstream=mysql:3306"), "{body}");
                assert!(body.contains("service=app_mysql"), "{body}");
                let web_task = web.iter().next().unwrap();
                assert!(body.contains(&format!("task={web_task} ")), "{body}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}:8080 never answered with the db's line; last: {body:?}",
                h.addr
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    // Unchanged: docker's lines, the same tasks.
    let text = ok(&stack(&["deploy", "-c", &file, "app"]), "re-deploy");
    assert!(
        text.starts_with("Updating service app_mysql (id: ")
            && text.contains("\nUpdating service app_web (id: ")
            && text.lines().count() == 2,
        "{text}"
    );
    assert_eq!(running("app_web"), web);
    assert_eq!(running("app_mysql"), db);
    let ls = ok(&stack(&["ls"]), "stack ls");
    assert_eq!(ls, "NAME   SERVICES\napp    2\n");

    // rm: services, then (once their tasks are gone) the network; no container anywhere.
    let text = ok(&stack(&["rm", "app"]), "stack rm");
    assert_eq!(
        text,
        "Removing service app_mysql\nRemoving service app_web\nRemoving network app_default\n"
    );
    for h in &hosts {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !containers_on(&h.docker_socket(), "app").is_empty() {
            assert!(Instant::now() < deadline, "containers left on {}", h.name);
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let nets = ok(
        &home.run(&["network", "--cluster", &home.name, "ls", "--output", "json"]),
        "network ls",
    );
    assert!(!nets.contains("app_default"), "{nets}");

    // A stack with a secret and a config, run on the worker's engine: the task reads both
    // files; the manager's node (no task of the stack) never gets them; the secret is on no
    // state dir; `stack rm` leaves no service, network, secret, config, container or file.
    let value = format!("vault-{}-{}", std::process::id(), home.name);
    std::fs::write(dir.join("vault_pw.txt"), &value).unwrap();
    std::fs::write(dir.join("vault.conf"), "mode=vault\n").unwrap();
    let vault = dir.join("vault.yml");
    std::fs::write(&vault, vault_stack(&image)).unwrap();
    let vault = vault.display().to_string();
    let out = stack(&["deploy", "-c", &vault, "vault"]);
    let text = ok(&out, "stack deploy vault");
    assert_eq!(
        text,
        "Creating network vault_default\nCreating secret vault_pw\nCreating config vault_conf\nCreating service vault_reader\n"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&value));
    let nodes: Value = serde_json::from_str(&ok(
        &home.run(&["node", "--cluster", &home.name, "ls", "--output", "json"]),
        "node ls",
    ))
    .unwrap();
    let node_of = |role: &str| -> (String, String) {
        let n = nodes
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["role"] == role)
            .unwrap_or_else(|| panic!("a {role} in {nodes}"));
        (
            n["id"].as_str().unwrap().to_string(),
            n["hostname"].as_str().unwrap().to_string(),
        )
    };
    let (manager_id, manager_host) = node_of("manager");
    let (worker_id, _) = node_of("worker");
    let want_secret = format!(
        "file /run/secrets/pw mode=0400 uid=0 gid=0 len={} fnv1a={:016x}",
        value.len(),
        fnv1a(value.as_bytes())
    );
    let want_config = format!(
        "file /etc/vault.conf mode=0444 uid=0 gid=0 len=11 fnv1a={:016x}",
        fnv1a(b"mode=vault\n")
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let logs = home.run(&["service", "--cluster", &home.name, "logs", "vault_reader"]);
        let logs = String::from_utf8_lossy(&logs.stdout).into_owned();
        if logs.contains(&want_secret) && logs.contains(&want_config) {
            assert!(!logs.contains(&value), "the test image prints no value");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the task never showed its files: {logs}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let files = Path::new("/dev/shm/swarmd-files");
    assert!(
        !containing(&files.join(&worker_id), value.as_bytes()).is_empty(),
        "the worker keeps the secret on its tmpfs"
    );
    assert!(
        files_under(&files.join(&manager_id)).is_empty(),
        "the manager's node runs no task of the stack and gets no file"
    );
    for h in &hosts {
        let state = h.dir.join("var/lib/swarmd");
        assert!(state.join("raft.redb").exists(), "{}", state.display());
        assert!(
            containing(&state, value.as_bytes()).is_empty(),
            "{} holds the secret",
            h.name
        );
    }
    let text = ok(&stack(&["rm", "vault"]), "stack rm vault");
    assert_eq!(
        text,
        "Removing service vault_reader\nRemoving secret vault_pw\nRemoving config vault_conf\nRemoving network vault_default\n"
    );
    for h in &hosts {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !containers_on(&h.docker_socket(), "vault").is_empty() {
            assert!(Instant::now() < deadline, "containers left on {}", h.name);
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !files_under(&files.join(&worker_id)).is_empty() {
        assert!(Instant::now() < deadline, "the task's files were left");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(ok(&stack(&["ls"]), "stack ls"), "NAME   SERVICES\n");
    let manager = hosts
        .iter()
        .find(|h| h.name == manager_host)
        .unwrap_or(&hosts[0]);
    for kind in ["secret", "config"] {
        let left = swarmd_on(manager, &[kind, "ls", "-q"]);
        assert_eq!(left.trim(), "", "{kind}s left: {left}");
    }
    let nets = ok(
        &home.run(&["network", "--cluster", &home.name, "ls", "--output", "json"]),
        "network ls",
    );
    assert!(!nets.contains("vault_default"), "{nets}");

    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    home.down_leaves_nothing(&created);
}
