//! Secrets and configs on real swarmd processes and the real Docker daemon (issue #16): a
//! task reads both files with their content, owner and mode; the secret's value is on no
//! node's disk (every file of every state directory is searched, with snapshots forced);
//! a node without the task never receives it; removal is refused while in use; bad input
//! exits 2 and creates nothing; autolock keeps a restarted manager locked until unlocked.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::svc::{agents_ready, Containers};
use common::{test_image, wait_for, Cluster, Node, BIN, WAIT};

/// Exit code, stdout and stderr of `swarmd VERB --state-dir DIR ARGS...`, with `stdin` piped in.
fn run(n: &Node, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let dir = n.dir.display().to_string();
    // Right after the verb group: `service create` takes what follows the image as the
    // container's arguments.
    let mut child = Command::new(BIN)
        .args(&args[..1])
        .args(["--state-dir", &dir])
        .args(&args[1..])
        .env_remove("SWARMD_STATE_DIR")
        .env_remove("SWARMD_HOST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run swarmd");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let o = child.wait_with_output().expect("wait swarmd");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `run`, asserted to exit 0; its stdout.
fn ok(n: &Node, args: &[&str], stdin: &[u8]) -> String {
    let (code, out, err) = run(n, args, stdin);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_under(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}

/// The files under `dir` whose bytes contain `needle`.
fn containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)))
        .collect()
}

/// The FNV-1a hash the test image prints for a file (see testimg's `show_file`).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The test server's `--show-file` line of a file (`PATH mode=.. uid=.. gid=..`) holding
/// `value`.
fn shown(file: &str, value: &str) -> String {
    format!(
        "file {file} len={} fnv1a={:016x}",
        value.len(),
        fnv1a(value.as_bytes())
    )
}

/// The unlock key a manager prints with `swarm unlock-key -q`.
fn unlock_key(n: &Node) -> String {
    ok(n, &["swarm", "unlock-key", "-q"], b"")
        .trim()
        .to_string()
}

/// A client of `manager` with `node`'s own certificate.
fn client_as(node: &Node, manager: &Node) -> swarm_api::client::Client {
    let certs = node.dir.join("certs");
    let read = |f: &str| std::fs::read_to_string(certs.join(f)).expect("cert file");
    swarm_ctl::tls_client(
        &manager.addr,
        None,
        &read("ca.pem"),
        &read("node.pem"),
        &read("node-key.pem"),
    )
    .expect("tls client")
}

/// What `node` receives from the dispatcher of `manager`: a sync as that node, with its own
/// certificate.
fn sync_as(node: &Node, manager: &Node, node_id: &str) -> swarm_api::dispatch::SyncResponse {
    let client = client_as(node, manager);
    let req = swarm_api::dispatch::SyncRequest {
        node_id: swarm_api::node::parse_node_id(node_id).expect("node id"),
        description: None,
        reports: Vec::new(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(client.send(&swarm_api::routes::DISPATCHER_SYNC, &[], &req))
        .expect("sync")
}

fn files_root(node_id: &str) -> PathBuf {
    Path::new("/dev/shm/swarmd-files").join(node_id)
}

#[test]
fn secret_and_config_reach_only_their_task_and_never_a_disk() {
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(80);
    // Snapshots every 10 entries: the state (with the sealed secret) is written out too.
    c.extra = vec!["--snapshot-every".into(), "10".into()];
    let m1 = c.init("m1");
    let m2 = c.join("m2", "manager", m1);
    let w1 = c.join("w1", "worker", m1);
    let w2 = c.join("w2", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 4);
    let value = format!(
        "s3cret-{}-{}",
        std::process::id(),
        fnv1a(c.tmp().as_os_str().as_encoded_bytes())
    );
    let m = &c.nodes[m1];

    // From STDIN and from a file; created through the second manager, read back on the first.
    let id = ok(
        &c.nodes[m2],
        &["secret", "create", "--label", "env=test", "db_pw", "-"],
        value.as_bytes(),
    );
    let site = c.tmp().join("site.conf");
    std::fs::write(&site, "listen=8080\n").unwrap();
    ok(
        m,
        &["config", "create", "site", &site.display().to_string()],
        b"",
    );
    let ls = ok(m, &["secret", "ls"], b"");
    let header = ls.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("ID")
            && header.contains("NAME")
            && header.contains("DRIVER")
            && header.contains("CREATED")
            && header.contains("UPDATED"),
        "{ls}"
    );
    assert!(ls.contains(id.trim()) && ls.contains("db_pw"), "{ls}");
    assert_eq!(
        ok(m, &["secret", "ls", "-q", "--filter", "name=db"], b"").trim(),
        id.trim()
    );
    assert_eq!(
        ok(m, &["secret", "ls", "-q", "--filter", "name=zz"], b"").trim(),
        ""
    );
    let cls = ok(m, &["config", "ls"], b"");
    assert!(
        cls.lines().next().unwrap_or_default().starts_with("ID") && !cls.contains("DRIVER"),
        "{cls}"
    );
    let inspect = ok(m, &["secret", "inspect", "db_pw"], b"");
    assert!(
        inspect.contains("\"env\": \"test\"") && !inspect.contains(&value),
        "{inspect}"
    );
    let pretty = ok(m, &["secret", "inspect", "--pretty", "db_pw"], b"");
    assert!(
        pretty.contains("Name:            db_pw") && !pretty.contains(&value),
        "{pretty}"
    );
    // Docker returns a config's data in inspect.
    let cinspect = ok(m, &["config", "inspect", "site"], b"");
    assert!(cinspect.contains("bGlzdGVuPTgwODAK"), "{cinspect}");

    // A task on w1 only reads both files.
    let w1_id = c.nodes[w1].id();
    let w2_id = c.nodes[w2].id();
    let image = test_image();
    ok(
        m,
        &[
            "service",
            "create",
            "--name",
            "reader",
            "--constraint",
            "node.hostname==w1",
            "--secret",
            "source=db_pw,target=app_pw,uid=1000,gid=50,mode=0400",
            "--config",
            "source=site,target=/etc/site.conf,mode=0440",
            "--timeout",
            "90s",
            image,
            "--show-file",
            "/run/secrets/app_pw",
            "--show-file",
            "/etc/site.conf",
        ],
        b"",
    );
    let want_secret = shown("/run/secrets/app_pw mode=0400 uid=1000 gid=50", &value);
    let want_config = format!(
        "file /etc/site.conf mode=0440 uid=0 gid=0 len=12 fnv1a={:016x}",
        fnv1a(b"listen=8080\n")
    );
    wait_for("the task to show its files", WAIT, || {
        let logs = ok(m, &["service", "logs", "reader"], b"");
        (logs.contains(&want_secret) && logs.contains(&want_config)).then_some(())
    });
    let shown = ok(m, &["service", "inspect", "--pretty", "reader"], b"");
    assert!(
        shown.contains("Secrets:\n Target:\t/run/secrets/app_pw\n  Source:\tdb_pw"),
        "{shown}"
    );
    assert!(
        shown.contains("Configs:\n Target:\t/etc/site.conf\n  Source:\tsite"),
        "{shown}"
    );

    // The node without the task is never sent the value; the one with it is, and keeps the
    // file on a tmpfs only.
    let to_w2 = sync_as(&c.nodes[w2], &c.nodes[m1], &w2_id);
    assert!(
        to_w2.secrets.is_empty() && to_w2.configs.is_empty(),
        "{to_w2:?}"
    );
    assert!(files_under(&files_root(&w2_id)).is_empty());
    let to_w1 = sync_as(&c.nodes[w1], &c.nodes[m1], &w1_id);
    assert_eq!(to_w1.secrets.len(), 1);
    assert_eq!(to_w1.secrets[0].data.0, value.as_bytes());
    assert!(!containing(&files_root(&w1_id), value.as_bytes()).is_empty());

    // In use: removal refused, naming the service.
    let (code, _, err) = run(m, &["secret", "rm", "db_pw"], b"");
    assert_ne!(code, 0);
    assert!(err.contains("in use by service(s) reader"), "{err}");
    let (code, _, err) = run(m, &["config", "rm", "site"], b"");
    assert!(
        code != 0 && err.contains("in use by service(s) reader"),
        "{err}"
    );

    // On no disk: not in any file of any state directory (Raft log, snapshot, keys), nor
    // in the daemons' logs, in plain text or base64.
    let b64 = swarm_b64(value.as_bytes());
    for n in &c.nodes {
        for needle in [value.as_bytes(), b64.as_bytes()] {
            let found = containing(&n.dir, needle);
            assert!(found.is_empty(), "{} holds the secret in {found:?}", n.name);
        }
        assert!(n.dir.join("raft.redb").exists());
    }
    assert!(!c.logs().contains(&value) && !c.logs().contains(&b64));
    for i in [m1, m2] {
        assert!(
            c.nodes[i].dir.join("data-key").exists(),
            "managers keep the data key"
        );
    }
    for i in [w1, w2] {
        assert!(
            !c.nodes[i].dir.join("data-key").exists(),
            "workers never get it"
        );
    }

    // The service goes: its files go, then the secret can go.
    ok(m, &["service", "rm", "reader"], b"");
    wait_for("the task's files to be removed", WAIT, || {
        files_under(&files_root(&w1_id)).is_empty().then_some(())
    });
    ok(m, &["secret", "rm", "db_pw"], b"");
    ok(m, &["config", "rm", "site"], b"");
    assert_eq!(ok(m, &["secret", "ls", "-q"], b"").trim(), "");
}

/// Standard base64, as the API carries values.
fn swarm_b64(data: &[u8]) -> String {
    let v = serde_json::to_value(swarm_api::secret::SecretData(data.to_vec())).unwrap();
    v.as_str().unwrap().to_string()
}

#[test]
fn bad_input_exits_2_and_creates_nothing() {
    let mut c = Cluster::new(81);
    let m1 = c.init("m1");
    let m = &c.nodes[m1];
    let bad = |args: &[&str], stdin: &[u8], says: &str| {
        let (code, out, err) = run(m, args, stdin);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    bad(
        &["secret", "create", "pw", "/nonexistent/pw.txt"],
        b"",
        "invalid FILE \"/nonexistent/pw.txt\"",
    );
    bad(
        &["secret", "create", "bad/name", "-"],
        b"x",
        "invalid secret name \"bad/name\"",
    );
    bad(
        &["secret", "create", "empty", "-"],
        b"",
        "invalid secret data",
    );
    ok(m, &["secret", "create", "pw", "-"], b"one");
    bad(
        &["secret", "create", "pw", "-"],
        b"two",
        "a secret with this name already exists",
    );
    ok(m, &["config", "create", "cf", "-"], b"x");
    bad(
        &["config", "create", "cf", "-"],
        b"y",
        "a config with this name already exists",
    );
    let image = test_image();
    let bad_secret = |secret: &str, says: &str| {
        let args = [
            "service", "create", "--name", "s1", "--secret", secret, image,
        ];
        bad(&args, b"", says);
    };
    bad_secret(
        "source=pw,mode=rw",
        "invalid --secret \"source=pw,mode=rw\": field mode",
    );
    bad_secret("target=/x", "field source is missing");
    bad(
        &[
            "service", "create", "--name", "s1", "--secret", "nope", image,
        ],
        b"",
        "secret nope not found",
    );
    bad(
        &[
            "service",
            "create",
            "--name",
            "s1",
            "--config",
            "source=nope,target=/x",
            image,
        ],
        b"",
        "config nope not found",
    );
    // Nothing was made: one secret, one config, no service.
    assert_eq!(ok(m, &["secret", "ls", "-q"], b"").lines().count(), 1);
    assert_eq!(ok(m, &["config", "ls", "-q"], b"").lines().count(), 1);
    let (_, out, _) = run(m, &["service", "ls", "-q"], b"");
    assert_eq!(out.trim(), "");
    // The same checks hold in the API (a client that skips the CLI's).
    let e = common::api(
        m,
        "/v1/secrets",
        Some(serde_json::json!({ "name": "pw", "data": "eA==" })),
    )
    .unwrap_err();
    assert!(e.contains("already exists"), "{e}");
    let mut spec = common::svc::spec("s2", Some(1));
    spec["task"]["container"]["secrets"] = serde_json::json!([{
        "secret_name": "ghost",
        "file": { "name": "ghost" }
    }]);
    let e = common::api(m, "/v1/services", Some(spec)).unwrap_err();
    assert!(
        e.contains("invalid --secret \"ghost\": secret not found"),
        "{e}"
    );
}

#[test]
fn autolock_keeps_a_restarted_manager_locked_until_unlocked() {
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(82);
    let m1 = c.init_with("m1", &["--autolock"]);
    // The key was printed once, with docker's words.
    let log = c.nodes[m1].log();
    assert!(
        log.contains("To unlock a swarm manager after it restarts, run the `swarmd unlock`"),
        "{log}"
    );
    let key = unlock_key(&c.nodes[m1]);
    assert!(key.starts_with("SWMKEY-1-") && log.contains(&key), "{key}");
    ok(
        &c.nodes[m1],
        &["secret", "create", "pw", "-"],
        b"locked-value",
    );
    assert!(
        !c.nodes[m1].dir.join("data-key").exists(),
        "no plain key under autolock"
    );

    // Restarted: locked, every control request refused with the reason.
    let restart = |c: &mut Cluster| {
        c.nodes[m1].kill9();
        c.nodes[m1].run();
        wait_for("m1 to answer", WAIT, || {
            let (code, _, err) = run(&c.nodes[m1], &["secret", "ls"], b"");
            (code != 0 && err.contains("swarm is encrypted and needs to be unlocked")).then_some(())
        });
    };
    restart(&mut c);
    let (code, _, err) = run(&c.nodes[m1], &["service", "ls"], b"");
    assert!(code != 0 && err.contains("needs to be unlocked"), "{err}");

    // A wrong key is refused and it stays locked; the right one (from STDIN) unlocks it.
    let wrong = "SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (code, _, err) = run(&c.nodes[m1], &["unlock"], format!("{wrong}\n").as_bytes());
    assert!(code != 0 && err.contains("invalid unlock key"), "{err}");
    let (code, _, _) = run(&c.nodes[m1], &["secret", "ls"], b"");
    assert_ne!(code, 0, "still locked");
    ok(&c.nodes[m1], &["unlock"], format!("{key}\n").as_bytes());
    assert!(ok(&c.nodes[m1], &["secret", "ls"], b"").contains("pw"));

    // Rotation: the old key no longer opens it, the new one does.
    let out = ok(&c.nodes[m1], &["swarm", "unlock-key", "--rotate"], b"");
    assert!(
        out.contains("Successfully rotated manager unlock key."),
        "{out}"
    );
    let new_key = unlock_key(&c.nodes[m1]);
    assert!(new_key != key && out.contains(&new_key));
    restart(&mut c);
    let (code, _, err) = run(
        &c.nodes[m1],
        &["swarm", "unlock"],
        format!("{key}\n").as_bytes(),
    );
    assert!(code != 0 && err.contains("invalid unlock key"), "{err}");
    ok(
        &c.nodes[m1],
        &["swarm", "unlock"],
        format!("{new_key}\n").as_bytes(),
    );

    // The unlocked manager has the same data key: it opens the secret sealed before the
    // restarts for a task that needs it.
    let s = ok(&c.nodes[m1], &["secret", "inspect", "pw"], b"");
    assert!(!s.contains("locked-value"), "{s}");
    cleanup.0 = agents_ready(&c, m1, 1);
    let m1_id = c.nodes[m1].id();
    ok(
        &c.nodes[m1],
        &[
            "service",
            "create",
            "-d",
            "--name",
            "user",
            "--secret",
            "pw",
            test_image(),
        ],
        b"",
    );
    let got = wait_for("the secret to be delivered", WAIT, || {
        let r = sync_as(&c.nodes[m1], &c.nodes[m1], &m1_id);
        r.secrets.first().map(|p| p.data.0.clone())
    });
    assert_eq!(got, b"locked-value");
    ok(&c.nodes[m1], &["service", "rm", "user"], b"");
    wait_for("the task's files to be removed", WAIT, || {
        files_under(&files_root(&m1_id)).is_empty().then_some(())
    });

    // Autolock off: the key is kept on disk again and a restart needs no unlock.
    let out = ok(&c.nodes[m1], &["swarm", "update", "--autolock=false"], b"");
    assert!(out.contains("Swarm updated."), "{out}");
    assert!(c.nodes[m1].dir.join("data-key").exists());
    c.nodes[m1].kill9();
    c.nodes[m1].run();
    wait_for("m1 to answer unlocked", WAIT, || {
        let (code, out, _) = run(&c.nodes[m1], &["secret", "ls"], b"");
        (code == 0 && out.contains("pw")).then_some(())
    });
    let (code, _, err) = run(&c.nodes[m1], &["swarm", "unlock-key"], b"");
    assert!(code != 0 && err.contains("autolock is off"), "{err}");
}

/// `POST /v1/node/data-key` on `manager` with `node`'s own certificate.
fn data_key_as(node: &Node, manager: &Node) -> Result<Vec<u8>, String> {
    let client = client_as(node, manager);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(client.send(&swarm_api::routes::DATA_KEY, &[], &()))
        .map(|r| r.data_key.0)
        .map_err(|e| e.to_string())
}

/// The role in a node's stored certificate.
fn cert_role(n: &Node) -> Option<swarm_api::node::Role> {
    let pem = std::fs::read_to_string(n.dir.join("certs/node.pem")).ok()?;
    swarm_manager::promotion::cert_role(&pem)
}

#[test]
fn a_promoted_worker_gets_the_data_key_and_leads_with_it() {
    use swarm_api::node::Role;
    let mut cleanup = Containers(Vec::new());
    let mut c = Cluster::new(101);
    let m1 = c.init("m1");
    let w1 = c.join("w1", "worker", m1);
    let w2 = c.join("w2", "worker", m1);
    cleanup.0 = agents_ready(&c, m1, 3);
    assert_eq!(cert_role(&c.nodes[w1]), Some(Role::Worker));
    let e = data_key_as(&c.nodes[w1], &c.nodes[m1]).unwrap_err();
    assert!(e.contains("worker certificate"), "{e}");

    // Promoted: a manager certificate, then the key from the leader over it.
    ok(&c.nodes[m1], &["node", "promote", "w1"], b"");
    wait_for("w1 to hold the data key", WAIT, || {
        c.nodes[w1].dir.join("data-key").exists().then_some(())
    });
    assert_eq!(cert_role(&c.nodes[w1]), Some(Role::Manager));
    assert_eq!(
        std::fs::read(c.nodes[w1].dir.join("data-key")).unwrap(),
        std::fs::read(c.nodes[m1].dir.join("data-key")).unwrap(),
        "the cluster's one data key"
    );
    // A worker's own certificate still gets nothing, from either manager.
    for m in [m1, w1] {
        let e = data_key_as(&c.nodes[w2], &c.nodes[m]).unwrap_err();
        assert!(e.contains("worker certificate"), "{e}");
    }

    // The first manager steps down and is gone: the promoted one leads alone.
    let w1_id = c.nodes[w1].id();
    ok(&c.nodes[w1], &["node", "demote", "m1"], b"");
    wait_for("w1 to lead", WAIT, || {
        let info = c.nodes[w1].info()?;
        (info["leader"].as_str() == Some(w1_id.as_str()) && info["quorum"] == true).then_some(())
    });
    wait_for("the demoted m1 to drop the data key", WAIT, || {
        (!c.nodes[m1].dir.join("data-key").exists()).then_some(())
    });
    wait_for("m1 to get a worker certificate", WAIT, || {
        (cert_role(&c.nodes[m1]) == Some(Role::Worker)).then_some(())
    });
    c.nodes[m1].kill9();

    // Secrets are sealed and delivered by the promoted leader.
    let value = format!("promoted-{}", std::process::id());
    ok(
        &c.nodes[w1],
        &["secret", "create", "pw", "-"],
        value.as_bytes(),
    );
    ok(
        &c.nodes[w1],
        &[
            "service",
            "create",
            "-d",
            "--name",
            "reader",
            "--constraint",
            "node.hostname==w2",
            "--secret",
            "pw",
            test_image(),
            "--show-file",
            "/run/secrets/pw",
        ],
        b"",
    );
    let want = shown("/run/secrets/pw mode=0444 uid=0 gid=0", &value);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let logs = ok(&c.nodes[w1], &["service", "logs", "reader"], b"");
        if logs.contains(&want) {
            break;
        }
        if std::time::Instant::now() > deadline {
            let (_, ps, _) = run(
                &c.nodes[w1],
                &["service", "ps", "--no-trunc", "reader"],
                b"",
            );
            panic!(
                "the task on w2 never read the secret:\n{ps}\n{logs}\n{}",
                c.logs()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(!c.logs().contains(&value));

    // Under autolock a promoted worker gets no plain key: it stays locked, like a restarted
    // manager, until it is given the unlock key.
    let out = ok(&c.nodes[w1], &["swarm", "update", "--autolock=true"], b"");
    let key = out
        .split_whitespace()
        .find(|w| w.starts_with("SWMKEY-1-"))
        .unwrap_or_else(|| panic!("no unlock key in {out}"))
        .to_string();
    ok(&c.nodes[w1], &["service", "rm", "reader"], b"");
    ok(&c.nodes[w1], &["node", "promote", "w2"], b"");
    wait_for("w2 to have a manager certificate", WAIT, || {
        (cert_role(&c.nodes[w2]) == Some(Role::Manager)).then_some(())
    });
    let e = data_key_as(&c.nodes[w2], &c.nodes[w1]).unwrap_err();
    assert!(e.contains("autolock is on"), "{e}");
    let (code, _, err) = run(&c.nodes[w2], &["secret", "ls"], b"");
    assert!(
        code != 0 && err.contains("needs to be unlocked"),
        "{code} {err}"
    );
    assert!(!c.nodes[w2].dir.join("data-key").exists());
    ok(&c.nodes[w2], &["unlock"], format!("{key}\n").as_bytes());
    ok(&c.nodes[w2], &["secret", "create", "pw2", "-"], b"two");
    assert!(ok(&c.nodes[w2], &["secret", "ls"], b"").contains("pw2"));
    assert!(
        !c.nodes[w2].dir.join("data-key").exists(),
        "no plain key under autolock"
    );
}
