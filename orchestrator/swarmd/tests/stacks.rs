//! `stack deploy|ls|services|ps|rm` on real swarmd processes (issue #16), control plane only:
//! the nodes run with `--no-executor`, so tasks are made and kept by the managers but no
//! container (and no overlay device) is created on this machine; the sandbox test
//! (`tests/sandbox_stack.rs`) runs the same stacks on real engines across hosts.
//!
//! Covered: docker's output lines, names and labels; a re-deploy of an unchanged file sends
//! nothing (service versions and task ids stay) and prints docker's `Updating service` lines; a changed file updates only the changed
//! service; `--prune`; several `-c` files and `.env` interpolation; `stack rm` leaves no
//! service or network; bad input exits 2 naming the key and creates nothing; a deploy that
//! fails half-way says what it made, and a re-run completes it; secrets and configs from
//! files are created with the namespace label, referenced with docker's targets, left alone
//! by a re-deploy and removed by `stack rm`; a missing external secret exits 2.

mod common;

use std::collections::BTreeMap;

use common::stack::{network_names, ok, stack, task_ids};
use common::svc::{create, spec, tasks};
use common::{api, wait_for, Cluster, Node, WAIT};
use serde_json::Value;

/// name → (version, sorted task ids) of every service.
fn state(n: &Node) -> BTreeMap<String, (u64, Vec<String>)> {
    let list = api(n, "/v1/services", None).expect("service ls");
    let mut out = BTreeMap::new();
    for e in list.as_array().unwrap() {
        let name = e["service"]["spec"]["name"].as_str().unwrap().to_string();
        let ids = task_ids(n, &name);
        out.insert(name, (e["service"]["version"].as_u64().unwrap(), ids));
    }
    out
}

/// Waits until every service has as many tasks as replicas (the orchestrator made them).
fn wait_tasks(n: &Node, want: &[(&str, usize)]) {
    for (name, count) in want {
        wait_for(&format!("{count} tasks of {name}"), WAIT, || {
            (tasks(n, name).len() == *count).then_some(())
        });
    }
}

const BASE: &str = r#"
version: '3'
services:
  web:
    image: swarm-test/web:${TAG:-v1}
    links: [mysql]
    command: ["--port", "80", "--upstream", "mysql:3306"]
    environment:
      - WORDPRESS_DB_HOST=mysql:3306
    ports:
      - "8080:80"
  mysql:
    image: swarm-test/web:v1
    command: ["--port", "3306"]
    environment:
      MYSQL_ROOT_PASSWORD: mysql
"#;

#[test]
fn deploy_redeploy_update_prune_and_rm() {
    let mut c = Cluster::without_executors(85);
    let m1 = c.init("m1");
    let dir = c.tmp_dir("proj");
    std::fs::write(dir.join("stack.yml"), BASE).unwrap();
    std::fs::write(dir.join(".env"), "TAG=v1\n").unwrap();
    let m = &c.nodes[m1];

    let r = stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]);
    assert!(r.2.contains("Ignoring unsupported options: links"), "{r:?}");
    let out = ok(r, "deploy");
    assert_eq!(
        out,
        "Creating network app_default\nCreating service app_mysql\nCreating service app_web\n"
    );
    let web = api(m, "/v1/services/app_web", None).unwrap();
    let labels = &web["spec"]["labels"];
    assert_eq!(labels["com.docker.stack.namespace"], "app");
    assert_eq!(labels["com.docker.stack.image"], "swarm-test/web:v1");
    let net = api(m, "/v1/networks/app_default", None).unwrap();
    assert_eq!(
        net["network"]["spec"]["labels"]["com.docker.stack.namespace"],
        "app"
    );
    let attach = &web["spec"]["task"]["networks"][0];
    assert_eq!(attach["target"], net["network"]["id"]);
    assert_eq!(attach["aliases"], serde_json::json!(["web"]));
    assert_eq!(
        web["spec"]["task"]["container"]["args"],
        serde_json::json!(["--port", "80", "--upstream", "mysql:3306"])
    );
    wait_tasks(m, &[("app_web", 1), ("app_mysql", 1)]);

    let ls = ok(stack(m, &dir, &["ls"]), "stack ls");
    assert_eq!(ls, "NAME   SERVICES\napp    2\n");
    let services = ok(stack(m, &dir, &["services", "app"]), "stack services");
    assert!(services.starts_with("ID "), "{services}");
    assert!(
        services.contains("app_mysql") && services.contains("app_web"),
        "{services}"
    );
    let ps = ok(stack(m, &dir, &["ps", "app", "--no-trunc"]), "stack ps");
    assert!(
        ps.contains("app_web.1") && ps.contains("app_mysql.1"),
        "{ps}"
    );

    // Unchanged: nothing is sent, so no version moves and no task is replaced; docker's
    // lines are printed all the same.
    let before = state(m);
    let out = ok(
        stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]),
        "re-deploy",
    );
    let web_id = web["id"].as_str().unwrap();
    let mysql = api(m, "/v1/services/app_mysql", None).unwrap();
    let mysql_id = mysql["id"].as_str().unwrap();
    let both = format!(
        "Updating service app_mysql (id: {mysql_id})\nUpdating service app_web (id: {web_id})\n"
    );
    assert_eq!(out, both, "an unchanged re-deploy prints docker's lines");
    assert_eq!(state(m), before);

    // A second file and .env: only web changes.
    std::fs::write(dir.join(".env"), "TAG=v2\n").unwrap();
    std::fs::write(
        dir.join("more.yml"),
        "services:\n  web:\n    deploy: {replicas: 2}\n",
    )
    .unwrap();
    let out = ok(
        stack(
            m,
            &dir,
            &["deploy", "-c", "stack.yml", "-c", "more.yml", "app"],
        ),
        "changed deploy",
    );
    assert_eq!(out, both);
    let after = state(m);
    assert_eq!(after["app_mysql"], before["app_mysql"]);
    assert_eq!(after["app_web"].0, before["app_web"].0 + 1);
    let web = api(m, "/v1/services/app_web", None).unwrap();
    assert_eq!(
        web["spec"]["task"]["container"]["image"],
        "swarm-test/web:v2"
    );
    assert_eq!(web["spec"]["mode"]["replicated"]["replicas"], 2);

    // mysql leaves the file: kept without --prune, removed with it.
    std::fs::write(
        dir.join("web-only.yml"),
        "services:\n  web:\n    image: swarm-test/web:v2\n    command: [\"--port\", \"80\", \"--upstream\", \"mysql:3306\"]\n    environment: [WORDPRESS_DB_HOST=mysql:3306]\n    ports: [\"8080:80\"]\n    deploy: {replicas: 2}\n",
    )
    .unwrap();
    let out = ok(
        stack(m, &dir, &["deploy", "-c", "web-only.yml", "app"]),
        "deploy",
    );
    assert_eq!(out, format!("Updating service app_web (id: {web_id})\n"));
    assert!(state(m).contains_key("app_mysql"));
    let out = ok(
        stack(m, &dir, &["deploy", "--prune", "-c", "web-only.yml", "app"]),
        "prune",
    );
    assert_eq!(
        out,
        format!("Updating service app_web (id: {web_id})\nRemoving service app_mysql\n")
    );
    assert_eq!(state(m).keys().collect::<Vec<_>>(), vec!["app_web"]);

    // A service outside the stack is left alone by rm.
    create(m, spec("other", Some(1)));
    let out = ok(stack(m, &dir, &["rm", "app"]), "stack rm");
    assert_eq!(
        out,
        "Removing service app_web\nRemoving network app_default\n"
    );
    assert_eq!(state(m).keys().collect::<Vec<_>>(), vec!["other"]);
    assert!(network_names(m).is_empty(), "{:?}", network_names(m));
    assert_eq!(ok(stack(m, &dir, &["ls"]), "ls"), "NAME   SERVICES\n");
    let r = stack(m, &dir, &["rm", "app"]);
    assert_eq!((r.0, r.2.as_str()), (0, "Nothing found in stack: app\n"));
}

#[test]
fn bad_input_exits_2_creates_nothing_and_a_half_done_deploy_completes() {
    let mut c = Cluster::without_executors(86);
    let m1 = c.init("m1");
    let dir = c.tmp_dir("proj");
    let m = &c.nodes[m1];
    let cases: &[(&str, &str)] = &[
        ("services:\n  web:\n    image: [x\n", "bad.yml:4:1: "),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      replicas: many\n",
            "services.web.deploy.replicas: expected a number",
        ),
        (
            "services:\n  web:\n    image: x:${UNSET_TAG}\n",
            "services.web.image: variable UNSET_TAG is not set and has no default",
        ),
        (
            "services:\n  web:\n    image: x\n    colour: red\n",
            "services.web.colour: unknown key \"colour\"",
        ),
        (
            "services:\n  web:\n    image: x\n    networks: [back]\n",
            "services.web.networks.back: network \"back\" is not declared",
        ),
        (
            "services:\n  web:\n    image: x\n    networks: [shared]\nnetworks:\n  shared: {external: true}\n",
            "network \"shared\" is declared as external, but could not be found",
        ),
        (
            "services:\n  web:\n    image: x\n    secrets: [pw]\n",
            "services.web.secrets[0]: secret \"pw\" is not declared",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.join("bad.yml"), text).unwrap();
        let (code, out, err) = stack(m, &dir, &["deploy", "-c", "bad.yml", "app"]);
        assert_eq!(code, 2, "{text}\nstdout: {out}\nstderr: {err}");
        assert!(err.contains(want), "{text}\nwant {want:?}\nstderr: {err}");
        assert_eq!(out, "", "nothing is created for bad input");
        assert!(state(m).is_empty() && network_names(m).is_empty());
    }
    let (code, _, err) = stack(m, &dir, &["deploy", "-c", "missing.yml", "app"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.yml"), "{err}");

    // Half-way: a service outside the stack holds web's port, so app_web fails after the
    // network and app_mysql were made; the message says so, and the re-run finishes.
    let mut blocker = spec("blocker", Some(1));
    blocker["endpoint"] = serde_json::json!({ "ports": [{ "published": 8080, "target": 80 }] });
    create(m, blocker);
    std::fs::write(dir.join("stack.yml"), BASE).unwrap();
    let (code, out, err) = stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert_eq!(
        out,
        "Creating network app_default\nCreating service app_mysql\nCreating service app_web\n"
    );
    assert!(
        err.contains("stack deploy stopped at service app_web"),
        "{err}"
    );
    assert!(
        err.contains("port 8080/tcp is already published by service blocker"),
        "{err}"
    );
    assert!(
        err.contains("networks app_default; services app_mysql;"),
        "{err}"
    );
    api(m, "/v1/services/blocker/rm", Some(Value::Null)).unwrap();
    let out = ok(
        stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]),
        "re-run",
    );
    let mysql_id = api(m, "/v1/services/app_mysql", None).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        out,
        format!("Updating service app_mysql (id: {mysql_id})\nCreating service app_web\n")
    );
    ok(stack(m, &dir, &["rm", "app"]), "rm");
    assert!(state(m).is_empty() && network_names(m).is_empty());
}

/// name → (id, labels) of every secret (`/v1/secrets`) or config (`/v1/configs`).
fn objects(n: &Node, path: &str) -> BTreeMap<String, (String, Value)> {
    let v = api(n, path, None).expect("ls");
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["spec"]["name"].as_str().unwrap().to_string(),
                (
                    o["id"].as_str().unwrap().to_string(),
                    o["spec"]["labels"].clone(),
                ),
            )
        })
        .collect()
}

const FILES: &str = r#"
services:
  web:
    image: swarm-test/web:v1
    command: ["--port", "80"]
    secrets:
      - db_pw
      - source: db_pw
        target: app/pw
        uid: "1000"
        gid: "50"
        mode: 0400
    configs:
      - site
      - source: site
        target: /etc/site.conf
secrets:
  db_pw: {file: ./db_pw.txt}
configs:
  site: {file: ./site.conf}
"#;

#[test]
fn secrets_and_configs_from_files_and_a_missing_external_secret() {
    let mut c = Cluster::without_executors(87);
    let m1 = c.init("m1");
    let dir = c.tmp_dir("proj");
    std::fs::write(dir.join("stack.yml"), FILES).unwrap();
    std::fs::write(dir.join("db_pw.txt"), "hunter2-not-shown").unwrap();
    std::fs::write(dir.join("site.conf"), "listen 80;\n").unwrap();
    let m = &c.nodes[m1];

    let r = stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]);
    assert!(
        !r.1.contains("hunter2") && !r.2.contains("hunter2"),
        "{r:?}"
    );
    let out = ok(r, "deploy");
    assert_eq!(
        out,
        "Creating network app_default\nCreating secret app_db_pw\nCreating config app_site\nCreating service app_web\n"
    );
    let secrets = objects(m, "/v1/secrets");
    let configs = objects(m, "/v1/configs");
    assert_eq!(secrets.keys().collect::<Vec<_>>(), vec!["app_db_pw"]);
    assert_eq!(configs.keys().collect::<Vec<_>>(), vec!["app_site"]);
    let (sid, slabels) = &secrets["app_db_pw"];
    let (cid, clabels) = &configs["app_site"];
    assert_eq!(slabels["com.docker.stack.namespace"], "app");
    assert_eq!(clabels["com.docker.stack.namespace"], "app");
    let cfg = api(m, "/v1/configs/app_site", None).unwrap();
    assert_eq!(cfg["spec"]["data"], "bGlzdGVuIDgwOwo="); // base64 of the file
    let web = api(m, "/v1/services/app_web", None).unwrap();
    let ctr = &web["spec"]["task"]["container"];
    let refs: Vec<(String, String, String, String, u64)> = ctr["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = &r["file"];
            (
                r["secret_id"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
                f["uid"].as_str().unwrap().to_string(),
                f["gid"].as_str().unwrap().to_string(),
                f["mode"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refs,
        vec![
            (sid.clone(), "db_pw".into(), "0".into(), "0".into(), 0o444),
            (
                sid.clone(),
                "app/pw".into(),
                "1000".into(),
                "50".into(),
                0o400
            ),
        ]
    );
    let crefs: Vec<(String, String)> = ctr["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["config_id"].as_str().unwrap().to_string(),
                r["file"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        crefs,
        vec![
            (cid.clone(), "/site".into()),
            (cid.clone(), "/etc/site.conf".into())
        ]
    );

    // Unchanged: nothing is sent; the objects keep their ids, the service its version.
    wait_tasks(m, &[("app_web", 1)]);
    let before = state(m);
    let out = ok(
        stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]),
        "re-deploy",
    );
    let web_id = api(m, "/v1/services/app_web", None).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let updating = format!("Updating service app_web (id: {web_id})\n");
    assert_eq!(out, updating);
    assert_eq!(state(m), before);
    assert_eq!(objects(m, "/v1/secrets"), secrets);
    assert_eq!(objects(m, "/v1/configs"), configs);

    // Changed config data: refused as docker refuses it, the stored config unchanged.
    std::fs::write(dir.join("site.conf"), "listen 81;\n").unwrap();
    let (code, out, err) = stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("failed to update config app_site: only updates to Labels are allowed"),
        "{err}"
    );
    assert_eq!(objects(m, "/v1/configs"), configs);
    std::fs::write(dir.join("site.conf"), "listen 80;\n").unwrap();
    // Changed secret value: the manager refuses it (without showing either value).
    std::fs::write(dir.join("db_pw.txt"), "hunter3-not-shown").unwrap();
    let (code, out, err) = stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("failed to update secret app_db_pw: ")
            && err.contains("only updates to Labels are allowed"),
        "{err}"
    );
    assert!(!err.contains("hunter"), "{err}");
    assert_eq!(objects(m, "/v1/secrets"), secrets);
    std::fs::write(dir.join("db_pw.txt"), "hunter2-not-shown").unwrap();
    assert_eq!(
        ok(
            stack(m, &dir, &["deploy", "-c", "stack.yml", "app"]),
            "re-deploy"
        ),
        updating
    );
    assert_eq!(state(m), before);
    let sv = api(m, "/v1/secrets/app_db_pw", None).unwrap();
    assert_eq!(sv["version"], 1, "an unchanged secret is not written");

    let out = ok(stack(m, &dir, &["rm", "app"]), "rm");
    assert_eq!(
        out,
        "Removing service app_web\nRemoving secret app_db_pw\nRemoving config app_site\nRemoving network app_default\n"
    );
    assert!(objects(m, "/v1/secrets").is_empty() && objects(m, "/v1/configs").is_empty());
    assert!(state(m).is_empty() && network_names(m).is_empty());

    // A missing external secret: exit 2 naming it, nothing created (not even the network).
    std::fs::write(
        dir.join("ext.yml"),
        "services:\n  web:\n    image: x\n    secrets: [pw]\n    configs: [site]\nsecrets:\n  pw: {external: true, name: shared_pw}\nconfigs:\n  site: {file: ./site.conf}\n",
    )
    .unwrap();
    let (code, out, err) = stack(m, &dir, &["deploy", "-c", "ext.yml", "app"]);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains(
            "secrets.pw: secret \"shared_pw\" is declared as external, but could not be found"
        ),
        "{err}"
    );
    assert_eq!(out, "");
    assert!(objects(m, "/v1/secrets").is_empty() && objects(m, "/v1/configs").is_empty());
    assert!(state(m).is_empty() && network_names(m).is_empty());
}
