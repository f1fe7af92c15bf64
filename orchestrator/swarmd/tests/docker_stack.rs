//! The real docker CLI (the machine's `docker` 28.x client) drives swarmd's secrets, configs
//! and stacks through the Docker-compatible API (issue #17), control plane only: the nodes
//! run with `--no-executor`, so tasks are made and kept by the managers but no container is
//! started (the service specs, not the containers, are under test here; `docker_cli.rs`
//! runs tasks).
//!
//! Covered: `docker secret|config create|ls|inspect|rm` print what swarmd stores, a secret's
//! value is never answered, `--secret`/`--config` of `service create` land in swarmd's spec
//! with docker's targets, a used object is not removed (docker's message naming the
//! service), labels-only updates, stale versions ("update out of sequence", for nodes too);
//! `docker stack deploy -c FILE` gives the same service specs as `swarmd stack deploy` of
//! the same file, a re-deploy of the unchanged file replaces no task and changes no spec,
//! `docker stack ls|services|ps` list what swarmd has, `docker stack rm` leaves nothing.

mod common;

use std::collections::BTreeMap;

use common::docker::{docker, raw};
use common::stack::{self, network_names, service_names, task_ids};
use common::{api, Cluster, Node, Out};
use serde_json::{json, Value};

fn ok(o: Out, what: &str) -> Out {
    assert!(o.ok, "docker {what} failed: {o:?}");
    o
}

fn refused(o: Out, what: &str) -> Out {
    assert!(!o.ok, "docker {what} should fail: {o:?}");
    o
}

/// Standard base64, as docker's API carries `Data` (swarmd's own encoder).
fn b64(s: &str) -> String {
    let v = serde_json::to_value(swarm_api::secret::SecretData(s.as_bytes().to_vec())).unwrap();
    v.as_str().unwrap().to_string()
}

/// name → swarmd's JSON of every secret (`/v1/secrets`) or config (`/v1/configs`).
fn objects(n: &Node, path: &str) -> BTreeMap<String, Value> {
    let v = api(n, path, None).expect("ls");
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| (o["spec"]["name"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

/// A list of secret or config references ordered by target: the docker CLI sends them in
/// map order (random in Go), and the order means nothing (one file per target).
fn by_target(refs: &Value, file: &str, name: &str) -> Vec<Value> {
    let mut v = refs.as_array().cloned().unwrap_or_default();
    v.sort_by_key(|r| r[file][name].as_str().unwrap_or_default().to_string());
    v
}

fn service(n: &Node, name: &str) -> Value {
    api(n, &format!("/v1/services/{name}"), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn docker_secret_and_config_verbs_match_swarmd() {
    let mut c = Cluster::without_executors(105);
    let m1 = c.init("m1");
    let m = &c.nodes[m1];
    let dir = c.tmp_dir("files");
    let pw = dir.join("pw.txt");
    std::fs::write(&pw, "hunter2-never-shown").unwrap();
    let site = dir.join("site.conf");
    std::fs::write(&site, "listen 80;\n").unwrap();
    let pw = pw.display().to_string();
    let site = site.display().to_string();

    // create: docker prints the id swarmd stores.
    let out = ok(
        docker(m, &["secret", "create", "--label", "tier=db", "db_pw", &pw]),
        "secret create",
    );
    let secrets = objects(m, "/v1/secrets");
    let sid = secrets["db_pw"]["id"].as_str().unwrap().to_string();
    assert_eq!(out.stdout.trim(), sid);
    assert_eq!(secrets["db_pw"]["spec"]["labels"]["tier"], "db");
    let out = ok(
        docker(
            m,
            &["config", "create", "--label", "tier=web", "site", &site],
        ),
        "config create",
    );
    let configs = objects(m, "/v1/configs");
    let cid = configs["site"]["id"].as_str().unwrap().to_string();
    assert_eq!(out.stdout.trim(), cid);
    ok(
        docker(m, &["config", "create", "other", &site]),
        "config create",
    );
    let again = refused(
        docker(m, &["secret", "create", "db_pw", &pw]),
        "secret create (taken)",
    );
    assert!(
        again.stderr.contains("secret db_pw already exists"),
        "{again:?}"
    );
    assert_eq!(objects(m, "/v1/secrets").len(), 1);

    // ls with filters, inspect: what swarmd has; the secret's value never comes back.
    let ls = ok(
        docker(m, &["secret", "ls", "--format", "{{.ID}} {{.Name}}"]),
        "secret ls",
    );
    assert_eq!(ls.stdout, format!("{sid} db_pw\n"));
    for filter in [
        "name=db",
        "label=tier=db",
        "label=tier",
        &format!("id={}", &sid[..5]),
    ] {
        let ls = ok(
            docker(m, &["secret", "ls", "-q", "--filter", filter]),
            "secret ls --filter",
        );
        assert_eq!(ls.stdout, format!("{sid}\n"), "--filter {filter}");
    }
    for filter in ["name=pw", "label=tier=web", "id=zzz"] {
        let ls = ok(
            docker(m, &["secret", "ls", "-q", "--filter", filter]),
            "secret ls --filter",
        );
        assert_eq!(ls.stdout, "", "--filter {filter}");
    }
    let ls = ok(
        docker(
            m,
            &[
                "config",
                "ls",
                "--format",
                "{{.Name}}",
                "--filter",
                "name=si",
            ],
        ),
        "config ls",
    );
    assert_eq!(ls.stdout, "site\n");
    let (status, listed) = raw(
        m,
        "GET",
        "/v1.50/configs?filters=%7B%22names%22%3A%7B%22othe%22%3Atrue%7D%7D",
        None,
    );
    assert_eq!(
        (status, listed),
        (200, json!([])),
        "names matches whole names"
    );
    let inspect = ok(docker(m, &["secret", "inspect", "db_pw"]), "secret inspect");
    let v: Value = serde_json::from_str(&inspect.stdout).unwrap();
    assert_eq!(v[0]["ID"], sid.as_str());
    assert_eq!(v[0]["Spec"]["Name"], "db_pw");
    assert_eq!(v[0]["Spec"]["Labels"]["tier"], "db");
    assert_eq!(v[0]["Version"]["Index"], 1);
    assert!(v[0]["Spec"].get("Data").is_none(), "{v}");
    assert!(
        !inspect.stdout.contains(&b64("hunter2-never-shown"))
            && !inspect.stdout.contains("hunter2"),
        "{inspect:?}"
    );
    let inspect = ok(
        docker(
            m,
            &[
                "config",
                "inspect",
                "site",
                "--format",
                "{{json .Spec.Data}}",
            ],
        ),
        "config inspect",
    );
    assert_eq!(
        inspect.stdout.trim(),
        format!("\"{}\"", b64("listen 80;\n"))
    );
    let missing = refused(
        docker(m, &["secret", "inspect", "nope"]),
        "secret inspect nope",
    );
    assert!(missing.stderr.contains("nope"), "{missing:?}");

    // Updates: labels only, against the version read.
    let path = format!("/v1.50/secrets/{sid}/update?version=1");
    let spec = |name: &str, tier: &str| json!({"Name": name, "Labels": {"tier": tier}});
    assert_eq!(raw(m, "POST", &path, Some(spec("db_pw", "db2"))).0, 200);
    let s = &objects(m, "/v1/secrets")["db_pw"];
    assert_eq!(
        (s["version"].as_u64(), &s["spec"]["labels"]["tier"]),
        (Some(2), &json!("db2"))
    );
    let (status, body) = raw(m, "POST", &path, Some(spec("db_pw", "db3")));
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("update out of sequence"),
        "{body}"
    );
    let path = format!("/v1.50/secrets/{sid}/update?version=2");
    let (status, body) = raw(m, "POST", &path, Some(spec("renamed", "db3")));
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("only updates to Labels are allowed"))
    );
    let mut other_value = spec("db_pw", "db3");
    other_value["Data"] = json!(b64("another value"));
    let (status, body) = raw(m, "POST", &path, Some(other_value));
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("only updates to Labels are allowed"))
    );
    let mut same_value = spec("db_pw", "db2");
    same_value["Data"] = json!(b64("hunter2-never-shown"));
    assert_eq!(raw(m, "POST", &path, Some(same_value)).0, 200);
    let cpath = format!("/v1.50/configs/{cid}/update?version=1");
    let mut cspec = spec("site", "web");
    cspec["Data"] = json!(b64("listen 81;\n"));
    let (status, body) = raw(m, "POST", &cpath, Some(cspec));
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("only updates to Labels are allowed"))
    );
    let s = &objects(m, "/v1/secrets")["db_pw"];
    let cf = &objects(m, "/v1/configs")["site"];
    assert_eq!(
        (
            s["version"].as_u64(),
            &s["spec"]["labels"]["tier"],
            cf["version"].as_u64()
        ),
        (Some(2), &json!("db2"), Some(1)),
        "refused updates change nothing"
    );
    assert_eq!(cf["spec"]["data"], b64("listen 80;\n"));

    // A service using both: swarmd's spec has the references with docker's targets.
    ok(
        docker(
            m,
            &[
                "service",
                "create",
                "--detach",
                "--name",
                "web",
                "--secret",
                "db_pw",
                "--secret",
                "source=db_pw,target=app/pw,uid=1000,gid=50,mode=0400",
                "--config",
                "src=site,target=/etc/site.conf",
                "swarm-test/web:v1",
            ],
        ),
        "service create --secret --config",
    );
    let ctr = service(m, "web")["spec"]["task"]["container"].clone();
    assert_eq!(
        json!(by_target(&ctr["secrets"], "file", "name")),
        json!([
            {"secret_id": sid, "secret_name": "db_pw",
             "file": {"name": "app/pw", "uid": "1000", "gid": "50", "mode": 0o400}},
            {"secret_id": sid, "secret_name": "db_pw",
             "file": {"name": "db_pw", "uid": "0", "gid": "0", "mode": 0o444}},
        ])
    );
    assert_eq!(
        ctr["configs"],
        json!([{"config_id": cid, "config_name": "site",
                "file": {"name": "/etc/site.conf", "uid": "0", "gid": "0", "mode": 0o444}}])
    );
    let shown = ok(
        docker(
            m,
            &[
                "service",
                "inspect",
                "web",
                "--format",
                "{{json .Spec.TaskTemplate.ContainerSpec}}",
            ],
        ),
        "service inspect",
    );
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    let shown_secrets = by_target(&shown["Secrets"], "File", "Name");
    assert_eq!(shown_secrets[0]["File"]["Name"], "app/pw");
    assert_eq!(shown_secrets[0]["File"]["Mode"], 0o400);
    assert_eq!(shown_secrets[0]["SecretID"], sid.as_str());
    assert_eq!(shown_secrets[1]["File"]["Name"], "db_pw");
    assert_eq!(shown["Configs"][0]["ConfigName"], "site");
    assert_eq!(shown["Configs"][0]["File"]["Name"], "/etc/site.conf");

    // In use: refused with docker's message, nothing removed.
    let rm = refused(docker(m, &["secret", "rm", "db_pw"]), "secret rm (in use)");
    assert!(
        rm.stderr
            .contains("secret 'db_pw' is in use by the following service: web"),
        "{rm:?}"
    );
    let rm = refused(docker(m, &["config", "rm", "site"]), "config rm (in use)");
    assert!(
        rm.stderr
            .contains("config 'site' is in use by the following service: web"),
        "{rm:?}"
    );
    assert!(objects(m, "/v1/secrets").contains_key("db_pw"));
    assert!(objects(m, "/v1/configs").contains_key("site"));
    // --secret-rm then rm: gone.
    ok(
        docker(
            m,
            &[
                "service",
                "update",
                "--detach",
                "--secret-rm",
                "db_pw",
                "web",
            ],
        ),
        "service update --secret-rm",
    );
    let left = &service(m, "web")["spec"]["task"]["container"]["secrets"];
    assert!(left.as_array().is_none_or(Vec::is_empty), "{left}");
    let out = ok(docker(m, &["secret", "rm", "db_pw"]), "secret rm");
    assert_eq!(out.stdout.trim(), "db_pw");
    assert!(objects(m, "/v1/secrets").is_empty());
    ok(docker(m, &["service", "rm", "web"]), "service rm");
    ok(docker(m, &["config", "rm", "site", "other"]), "config rm");
    assert!(objects(m, "/v1/configs").is_empty());

    // A node's Version.Index moves with each change; a stale one changes nothing.
    let id = m.id();
    let (status, node) = raw(m, "GET", &format!("/v1.50/nodes/{id}"), None);
    assert_eq!(status, 200, "{node}");
    let v = node["Version"]["Index"].as_u64().unwrap();
    let mut spec = node["Spec"].clone();
    spec["Labels"] = json!({"zone": "a"});
    let path = format!("/v1.50/nodes/{id}/update?version={v}");
    assert_eq!(raw(m, "POST", &path, Some(spec.clone())).0, 200);
    let (_, node) = raw(m, "GET", &format!("/v1.50/nodes/{id}"), None);
    assert_eq!(node["Version"]["Index"].as_u64(), Some(v + 1));
    spec["Labels"] = json!({"zone": "b"});
    let (status, body) = raw(m, "POST", &path, Some(spec));
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("update out of sequence"),
        "{body}"
    );
    let (_, node) = raw(m, "GET", &format!("/v1.50/nodes/{id}"), None);
    assert_eq!(node["Spec"]["Labels"], json!({"zone": "a"}));
    assert_eq!(node["Version"]["Index"].as_u64(), Some(v + 1));
    // The CLI reads the version itself, so its updates pass.
    ok(
        docker(m, &["node", "update", "--label-add", "zone=c", "m1"]),
        "node update",
    );
    let (_, node) = raw(m, "GET", &format!("/v1.50/nodes/{id}"), None);
    assert_eq!(node["Spec"]["Labels"]["zone"], "c");
}

const STACK: &str = r#"
services:
  web:
    image: swarm-test/web:v1
    command: ["--port", "80"]
    environment: [MODE=prod]
    labels: {tier: front}
    ports: ["8080:80"]
    networks: [front]
    secrets:
      - db_pw
      - source: db_pw
        target: app/pw
        uid: "1000"
        gid: "50"
        mode: 0400
    configs:
      - source: site
        target: /etc/site.conf
    deploy:
      replicas: 2
      labels: {team: web}
      update_config: {parallelism: 1, delay: 2s}
      resources: {limits: {memory: 64M}}
  db:
    image: swarm-test/web:v1
    networks: [front, back]
    deploy:
      placement: {constraints: [node.role == manager]}
      restart_policy: {condition: on-failure, max_attempts: 3}
networks:
  front: {}
  back: {}
secrets:
  db_pw: {file: ./db_pw.txt}
configs:
  site: {file: ./site.conf}
"#;

/// A service's spec with the stack's name and the ids of its objects made neutral, and its
/// file references in target order, so that two stacks of one file compare equal.
fn neutral(spec: &Value, stack: &str, ids: &[String]) -> Value {
    let mut spec = spec.clone();
    let ctr = &mut spec["task"]["container"];
    for key in ["secrets", "configs"] {
        if ctr.get(key).is_some() {
            ctr[key] = json!(by_target(&ctr[key], "file", "name"));
        }
    }
    let mut text = spec.to_string();
    for id in ids {
        text = text.replace(id.as_str(), "ID");
    }
    let text = text
        .replace(&format!("\"{stack}_"), "\"STACK_")
        .replace(&format!("\"{stack}\""), "\"STACK\"");
    serde_json::from_str(&text).unwrap()
}

/// The ids of the secrets, configs and networks of `stack`.
fn stack_ids(n: &Node, stack: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for path in ["/v1/secrets", "/v1/configs"] {
        for (name, o) in objects(n, path) {
            if name.starts_with(&format!("{stack}_")) {
                ids.push(o["id"].as_str().unwrap().to_string());
            }
        }
    }
    let nets = api(n, "/v1/networks", None).unwrap();
    for x in nets.as_array().unwrap() {
        if x["network"]["spec"]["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{stack}_"))
        {
            ids.push(x["network"]["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn docker_stack_deploy_gives_the_specs_of_swarmd_stack_deploy() {
    let mut c = Cluster::without_executors(106);
    let m1 = c.init("m1");
    let m = &c.nodes[m1];
    let dir = c.tmp_dir("proj");
    std::fs::write(dir.join("stack.yml"), STACK).unwrap();
    std::fs::write(dir.join("db_pw.txt"), "hunter2-never-shown").unwrap();
    std::fs::write(dir.join("site.conf"), "listen 80;\n").unwrap();
    let file = dir.join("stack.yml").display().to_string();

    let out = ok(
        docker(m, &["stack", "deploy", "--detach", "-c", &file, "dk"]),
        "stack deploy",
    );
    assert!(
        !out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"),
        "{out:?}"
    );
    for line in [
        "Creating network dk_front",
        "Creating network dk_back",
        "Creating secret dk_db_pw",
        "Creating config dk_site",
        "Creating service dk_web",
        "Creating service dk_db",
    ] {
        assert!(out.stdout.contains(line), "{line:?} in {out:?}");
    }
    assert_eq!(service_names(m), ["dk_db", "dk_web"]);
    assert_eq!(network_names(m), ["dk_back", "dk_front"]);
    let secrets = objects(m, "/v1/secrets");
    assert_eq!(secrets.keys().collect::<Vec<_>>(), ["dk_db_pw"]);
    assert_eq!(
        secrets["dk_db_pw"]["spec"]["labels"],
        json!({"com.docker.stack.namespace": "dk"})
    );
    assert_eq!(
        objects(m, "/v1/configs")["dk_site"]["spec"]["data"],
        b64("listen 80;\n")
    );
    let web = service(m, "dk_web");
    assert_eq!(web["spec"]["mode"]["replicated"]["replicas"], 2);
    assert_eq!(
        by_target(&web["spec"]["task"]["container"]["secrets"], "file", "name")[0]["file"]["mode"],
        0o400
    );

    // The tasks the orchestrator makes for the deploy exist before the re-deploy is compared.
    for (s, n) in [("dk_web", 2), ("dk_db", 1)] {
        common::wait_for(&format!("{n} tasks of {s}"), common::WAIT, || {
            (task_ids(m, s).len() == n).then_some(())
        });
    }
    // Re-deploy of the unchanged file: the CLI sends every service's spec again (an update
    // at the version read, as with Docker's swarm: the version moves by one) and every
    // secret's and config's labels and data (equal: nothing written); no spec changes and no
    // task is replaced.
    let specs: BTreeMap<String, Value> = ["web", "db"]
        .iter()
        .map(|s| {
            (
                s.to_string(),
                service(m, &format!("dk_{s}"))["spec"].clone(),
            )
        })
        .collect();
    let tasks: BTreeMap<&str, Vec<String>> = ["dk_web", "dk_db"]
        .iter()
        .map(|s| (*s, task_ids(m, s)))
        .collect();
    let version = |s: &str| service(m, &format!("dk_{s}"))["version"].as_u64().unwrap();
    let versions: Vec<u64> = ["web", "db"].iter().map(|s| version(s)).collect();
    let (secrets_before, configs_before) = (objects(m, "/v1/secrets"), objects(m, "/v1/configs"));
    let out = ok(
        docker(m, &["stack", "deploy", "--detach", "-c", &file, "dk"]),
        "re-deploy",
    );
    assert!(out.stdout.contains("Updating service dk_web"), "{out:?}");
    for (s, spec) in &specs {
        assert_eq!(
            &service(m, &format!("dk_{s}"))["spec"],
            spec,
            "{s}: the spec is unchanged"
        );
    }
    let after: Vec<u64> = ["web", "db"].iter().map(|s| version(s)).collect();
    assert_eq!(after, [versions[0] + 1, versions[1] + 1]);
    for (s, ids) in &tasks {
        assert_eq!(&task_ids(m, s), ids, "{s}: no task is replaced");
    }
    assert_eq!(
        objects(m, "/v1/secrets"),
        secrets_before,
        "secrets unchanged"
    );
    assert_eq!(
        objects(m, "/v1/configs"),
        configs_before,
        "configs unchanged"
    );

    // ls, services, ps: what swarmd has.
    let ls = ok(
        docker(m, &["stack", "ls", "--format", "{{.Name}} {{.Services}}"]),
        "stack ls",
    );
    assert_eq!(ls.stdout, "dk 2\n");
    let services = ok(
        docker(
            m,
            &[
                "stack",
                "services",
                "dk",
                "--format",
                "{{.Name}} {{.Mode}} {{.Replicas}}",
            ],
        ),
        "stack services",
    );
    assert_eq!(
        services.stdout,
        "dk_db replicated 0/1\ndk_web replicated 0/2\n"
    );
    let ps = ok(
        docker(m, &["stack", "ps", "dk", "--format", "{{.Name}}"]),
        "stack ps",
    );
    let mut names: Vec<&str> = ps.stdout.lines().collect();
    names.sort();
    assert_eq!(names, ["dk_db.1", "dk_web.1", "dk_web.2"], "{ps:?}");

    // rm: nothing is left.
    let dk_ids = stack_ids(m, "dk");
    ok(docker(m, &["stack", "rm", "dk"]), "stack rm");
    assert!(service_names(m).is_empty(), "{:?}", service_names(m));
    assert!(network_names(m).is_empty(), "{:?}", network_names(m));
    assert!(objects(m, "/v1/secrets").is_empty());
    assert!(objects(m, "/v1/configs").is_empty());
    let ls = ok(
        docker(m, &["stack", "ls", "--format", "{{.Name}}"]),
        "stack ls",
    );
    assert_eq!(ls.stdout, "");

    // The same file with swarmd's own CLI: the same specs.
    stack::ok(
        stack::stack(m, &dir, &["deploy", "-c", "stack.yml", "sw"]),
        "swarmd stack deploy",
    );
    let sw_ids = stack_ids(m, "sw");
    for (name, dk) in &specs {
        let dk = neutral(dk, "dk", &dk_ids);
        let sw = neutral(&service(m, &format!("sw_{name}"))["spec"], "sw", &sw_ids);
        assert_eq!(
            dk,
            sw,
            "{name}: docker stack deploy vs swarmd stack deploy:\n{}\n{}",
            serde_json::to_string_pretty(&dk).unwrap(),
            serde_json::to_string_pretty(&sw).unwrap()
        );
    }
}
