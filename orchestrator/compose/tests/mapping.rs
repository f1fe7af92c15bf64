//! The whole pure path on real compose files: load (parse, interpolate, merge) and plan (map
//! onto swarm-api specs), with the errors a user sees.

use std::collections::BTreeMap;
use std::path::Path;

use swarm_api::mount::MountType;
use swarm_api::publish::{Protocol, PublishMode};
use swarm_api::restart::RestartCondition;
use swarm_api::service::{ServiceMode, UpdateOrder};
use swarm_compose::{load, plan, Context, Source, StackPlan, IMAGE_LABEL, NAMESPACE_LABEL};

fn files() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("/app/web.env", "# web\nFROM_FILE=1\nOVERRIDDEN=file\n"),
        ("/app/db_password.txt", "s3cret"),
    ])
}

fn env(k: &str) -> Option<String> {
    match k {
        "TAG" => Some("v2".into()),
        "HOME" => Some("/home/me".into()),
        "PASSED" => Some("from-shell".into()),
        _ => None,
    }
}

fn run(texts: &[&str]) -> Result<StackPlan, String> {
    let sources: Vec<Source> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Source {
            name: format!("f{i}.yml"),
            text: t.to_string(),
        })
        .collect();
    let loaded = load(&sources, &env).map_err(|e| e.to_string())?;
    let read = |p: &Path| {
        files()
            .get(p.to_str().unwrap())
            .map(|s| s.to_string())
            .ok_or_else(|| "No such file or directory (os error 2)".to_string())
    };
    let ctx = Context {
        stack: "app",
        working_dir: Path::new("/app"),
        lookup: &env,
        read: &read,
    };
    plan(&loaded.file, &ctx).map_err(|e| e.to_string())
}

/// The book's chapter-15 file (its misindented `ports` put under `web`, as the text means).
const CHAPTER_15: &str = r#"
version: '3'
services:
  web:
    image: wordpress
    links:
      - mysql
    environment:
      - WORDPRESS_DB_PASSWORD="mysql"
    ports:
      - "8080:80"
  mysql:
    image: mysql:latest
    environment:
      - MYSQL_ROOT_PASSWORD="mysql"
      - MYSQL_DATABASE="mysql ldb"
"#;

#[test]
fn chapter_15_maps_like_docker() {
    let p = run(&[CHAPTER_15]).unwrap();
    assert_eq!(p.networks.len(), 1);
    assert_eq!(p.networks[0].name, "app_default");
    assert_eq!(p.networks[0].driver, "overlay");
    assert_eq!(p.networks[0].labels[NAMESPACE_LABEL], "app");
    let names: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["app_mysql", "app_web"]);
    let web = &p.services[1];
    assert_eq!(web.labels[NAMESPACE_LABEL], "app");
    assert_eq!(web.labels[IMAGE_LABEL], "wordpress");
    assert_eq!(web.task.container.labels[NAMESPACE_LABEL], "app");
    // Quotes inside a list entry are part of the value, as in docker.
    assert_eq!(
        web.task.container.env,
        vec!["WORDPRESS_DB_PASSWORD=\"mysql\""]
    );
    assert_eq!(web.endpoint.ports[0].published, Some(8080));
    assert_eq!(web.endpoint.ports[0].target, 80);
    let net = &web.task.networks[0];
    assert_eq!(net.target, "app_default");
    assert_eq!(net.aliases, vec!["web"]);
    assert_eq!(p.services[0].task.networks[0].aliases, vec!["mysql"]);
}

const FULL: &str = r#"
x-defaults: &defaults
  restart: always
services:
  web:
    <<: *defaults
    image: "registry.local/web:${TAG}"
    command: serve --name "my site"
    entrypoint: ["/bin/app"]
    env_file: web.env
    environment:
      OVERRIDDEN: compose
      PASSED:
      NUMBER: 3306
    labels: [team=edge]
    hostname: web-host
    user: "1000:1000"
    working_dir: /srv
    stop_grace_period: 1m30s
    read_only: true
    init: true
    stop_signal: SIGQUIT
    healthcheck:
      test: nc -z localhost 80
      interval: 10s
      timeout: 2s
      retries: 3
      start_period: 30s
      start_interval: 1s
    extra_hosts: ["db.local:10.0.0.5", "cache.local=10.0.0.6"]
    dns: 10.0.0.2
    dns_search: [example.internal]
    dns_opt: [ndots:2]
    tmpfs: /run:size=64m
    logging: {driver: json-file, options: {max-size: 10m}}
    ports:
      - 80
      - "8443:443/udp"
      - {target: 9000, published: "9000", mode: host}
    volumes:
      - data:/data
      - ./site:/srv/site:ro
      - ~/cache:/cache
      - /scratch
      - {type: tmpfs, target: /tmp, tmpfs: {size: 1m, mode: 1770}}
      - {type: volume, source: shared, target: /shared, read_only: true}
    networks:
      front:
        aliases: [www]
      back:
    deploy:
      mode: replicated
      replicas: ${REPLICAS:-4}
      labels: {tier: front}
      endpoint_mode: vip
      placement:
        constraints: [node.role == worker]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: "0.5", memory: 128M}
        reservations: {cpus: 0.25, memory: 64M}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
      update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.1}
      rollback_config: {parallelism: 1}
  agent:
    image: agent
    deploy: {mode: global}
    networks: [back, outside]
networks:
  front:
    driver: overlay
    attachable: true
    labels: [purpose=edge]
  back:
    internal: true
    ipam: {config: [{subnet: 10.9.8.0/24}]}
  outside:
    external: true
    name: shared-net
volumes:
  data:
    labels: {keep: "yes"}
  shared:
    external: true
"#;

#[test]
fn every_supported_key_lands_in_the_spec() {
    let p = run(&[FULL]).unwrap();
    assert_eq!(
        p.networks
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        vec!["app_back", "app_front"]
    );
    assert!(p.networks[0].internal);
    assert_eq!(p.networks[0].ipam[0].subnet, "10.9.8.0/24");
    assert!(p.networks[1].attachable);
    assert_eq!(p.networks[1].labels["purpose"], "edge");
    assert_eq!(p.external_networks, vec!["shared-net"]);
    let agent = &p.services[0];
    assert_eq!(agent.mode, ServiceMode::Global);
    assert_eq!(
        agent
            .task
            .networks
            .iter()
            .map(|n| n.target.as_str())
            .collect::<Vec<_>>(),
        vec!["app_back", "shared-net"]
    );
    let w = &p.services[1];
    let c = &w.task.container;
    assert_eq!(c.image, "registry.local/web:v2");
    assert_eq!(w.labels[IMAGE_LABEL], "registry.local/web:v2");
    assert_eq!(c.args, vec!["serve", "--name", "my site"]);
    assert_eq!(c.command, vec!["/bin/app"]);
    assert_eq!(
        c.env,
        vec![
            "FROM_FILE=1",
            "NUMBER=3306",
            "OVERRIDDEN=compose",
            "PASSED=from-shell"
        ]
    );
    assert_eq!(c.labels["team"], "edge");
    assert_eq!(
        (c.hostname.as_str(), c.user.as_str(), c.dir.as_str()),
        ("web-host", "1000:1000", "/srv")
    );
    assert_eq!(c.stop_grace_period_ms, Some(90_000));
    assert!(c.read_only);
    assert_eq!((c.init, c.stop_signal.as_str()), (Some(true), "SIGQUIT"));
    let h = c.healthcheck.clone().expect("healthcheck");
    assert_eq!(h.test, ["CMD-SHELL", "nc -z localhost 80"]);
    assert_eq!(
        (
            h.interval_ms,
            h.timeout_ms,
            h.retries,
            h.start_period_ms,
            h.start_interval_ms
        ),
        (10_000, 2_000, 3, 30_000, 1_000)
    );
    assert_eq!(c.hosts, vec!["db.local:10.0.0.5", "cache.local:10.0.0.6"]);
    assert_eq!(c.dns.nameservers, vec!["10.0.0.2"]);
    assert_eq!(c.dns.search, vec!["example.internal"]);
    assert_eq!(c.dns.options, vec!["ndots:2"]);
    assert_eq!(
        w.task.log_driver.as_ref().unwrap().options["max-size"],
        "10m"
    );
    let ports = &w.endpoint.ports;
    assert_eq!((ports[0].published, ports[0].target), (None, 80));
    assert_eq!(
        (ports[1].published, ports[1].protocol),
        (Some(8443), Protocol::Udp)
    );
    assert_eq!(ports[2].mode, PublishMode::Host);
    let m = &c.mounts;
    assert_eq!(
        (m[0].kind, m[0].source.as_deref()),
        (MountType::Volume, Some("app_data"))
    );
    assert_eq!(m[0].volume_labels["keep"], "yes");
    assert_eq!(m[0].volume_labels[NAMESPACE_LABEL], "app");
    assert_eq!(
        (m[1].kind, m[1].source.as_deref(), m[1].readonly),
        (MountType::Bind, Some("/app/site"), true)
    );
    assert_eq!(m[2].source.as_deref(), Some("/home/me/cache"));
    assert_eq!(
        (m[3].kind, m[3].source.as_deref()),
        (MountType::Volume, None)
    );
    assert_eq!(
        (m[4].kind, m[4].tmpfs_size_bytes, m[4].tmpfs_mode),
        (MountType::Tmpfs, 1 << 20, Some(0o1770))
    );
    assert_eq!(
        (m[5].source.as_deref(), m[5].readonly),
        (Some("shared"), true)
    );
    assert_eq!(
        (m[6].target.as_str(), m[6].tmpfs_size_bytes),
        ("/run", 64 << 20)
    );
    let front = &w
        .task
        .networks
        .iter()
        .find(|n| n.target == "app_front")
        .unwrap();
    assert_eq!(front.aliases, vec!["web", "www"]);
    assert_eq!(w.mode, ServiceMode::Replicated { replicas: 4 });
    assert_eq!(w.labels["tier"], "front");
    let t = &w.task;
    assert_eq!(t.placement.constraints.len(), 1);
    assert_eq!(t.placement.preferences.len(), 1);
    assert_eq!(t.placement.max_replicas_per_node, 2);
    assert_eq!(t.resources.limits.nano_cpus, 500_000_000);
    assert_eq!(t.resources.reservations.memory_bytes, 64 << 20);
    assert_eq!(t.restart_policy.condition, RestartCondition::OnFailure);
    assert_eq!(t.restart_policy.max_attempts, Some(3));
    let u = w.update_config.unwrap();
    assert_eq!(
        (u.parallelism, u.delay_ms, u.order),
        (2, 10_000, UpdateOrder::StartFirst)
    );
    assert_eq!(w.rollback_config.unwrap().parallelism, 1);
}

#[test]
fn a_later_file_overrides_an_earlier_one() {
    let over = "services:\n  web:\n    image: wordpress:6\n    deploy: {replicas: 3}\n    environment: {EXTRA: x}\n";
    let p = run(&[CHAPTER_15, over]).unwrap();
    let web = &p.services[1];
    assert_eq!(web.task.container.image, "wordpress:6");
    assert_eq!(web.mode, ServiceMode::Replicated { replicas: 3 });
    assert_eq!(
        web.task.container.env,
        vec!["EXTRA=x", "WORDPRESS_DB_PASSWORD=\"mysql\""]
    );
}

#[test]
fn bad_input_names_the_key_path() {
    let cases: &[(&str, &str)] = &[
        ("services:\n  web:\n    image: x\n    deploy: {replicas: lots}\n", "services.web.deploy.replicas: expected a number"),
        ("services:\n  web:\n    image: x\n    deploy: {resources: {limits: {memory: 12 parsecs}}}\n", "services.web.deploy.resources.limits.memory: \"12 parsecs\""),
        ("services:\n  web:\n    image: x:${MISSING}\n", "services.web.image: variable MISSING is not set"),
        ("services:\n  web:\n    image: x\n    networks: [nope]\n", "services.web.networks.nope: network \"nope\" is not declared"),
        ("services:\n  web:\n    image: x\n    volumes: [data:/data]\n", "services.web.volumes[0]: volume \"data\" is not declared"),
        ("services:\n  web:\n    image: x\n    secrets: [pw]\n", "services.web.secrets[0]: secret \"pw\" is not declared"),
        ("services:\n  web:\n    image: x\n    configs: [site]\n", "services.web.configs[0]: config \"site\" is not declared"),
        ("services:\n  web:\n    image: x\n    secrets: [{source: pw, mode: rw}]\nsecrets:\n  pw: {file: ./db_password.txt}\n", "services.web.secrets[0].mode: \"rw\""),
        ("services:\n  web:\n    image: x\n    secrets: [{source: pw, uid: bob}]\nsecrets:\n  pw: {file: ./db_password.txt}\n", "services.web.secrets[0].uid: \"bob\" is not a numeric id"),
        ("services:\n  web:\n    image: x\nsecrets:\n  pw: {file: ./missing.txt}\n", "/app/missing.txt: secrets.pw.file: No such file"),
        ("services:\n  web:\n    image: x\n    healthcheck: {test: [CMD, \"true\"], disable: true}\n", "services.web.healthcheck.disable: test and disable can't be set at the same time"),
        ("services:\n  web:\n    image: x\n    healthcheck: {test: [RUN, \"true\"]}\n", "services.web.healthcheck.test: \"[\\\"RUN\\\", \\\"true\\\"]\": not a healthcheck test"),
        ("services:\n  web:\n    image: x\n    healthcheck: {interval: often}\n", "services.web.healthcheck.interval: \"often\""),
        ("services:\n  web:\n    image: x\n    stop_signal: \"SIG INT\"\n", "services.web.stop_signal: \"SIG INT\": not a signal name or number"),
        ("services:\n  web:\n    build: .\n", "services.web.image: is required"),
        ("services:\n  web:\n    image: x\n    ports: [\"80:80\"]\n  api:\n    image: y\n    ports: [\"80:81\"]\n", "services.web.ports: port 80/tcp is published by service api too"),
        ("services:\n  web:\n    image: x\n    deploy: {restart_policy: {condition: sometimes}}\n", "services.web.deploy.restart_policy.condition: \"sometimes\": unknown condition"),
        ("services:\n  web:\n    image: x\n    deploy: {update_config: {order: sideways}}\n", "services.web.deploy.update_config.order: \"sideways\""),
        ("services:\n  web:\n    image: x\n    env_file: gone.env\n", "/app/gone.env: services.web.env_file:"),
        ("services:\n  web:\n    image: x\nnetworks:\n  default: {driver: bridge}\n", "networks.default.driver: \"bridge\""),
        ("services: {}\n", "services: the compose file has no services"),
    ];
    for (text, want) in cases {
        let e = run(&[text]).unwrap_err();
        assert!(
            e.starts_with(want),
            "for\n{text}\nwant {want:?}\ngot  {e:?}"
        );
    }
}

#[test]
fn secrets_and_configs_short_and_long_syntax() {
    let text = r#"
services:
  web:
    image: x
    secrets:
      - db_pw
      - source: shared
        target: app/pw
        uid: "1000"
        gid: "50"
        mode: 0400
    configs:
      - site
      - source: named
        target: /etc/n.conf
        mode: 0440
secrets:
  db_pw: {file: ./db_password.txt, labels: {tier: db}}
  shared: {external: true, name: cluster_pw}
configs:
  site: {content: "hello"}
  named: {file: ./web.env, name: my_conf}
"#;
    let p = run(&[text]).unwrap();
    let c = &p.services[0].task.container;
    let s: Vec<_> = c
        .secrets
        .iter()
        .map(|r| {
            (
                r.secret_name.as_str(),
                r.file.name.as_str(),
                r.file.uid.as_str(),
                r.file.gid.as_str(),
                r.file.mode,
            )
        })
        .collect();
    assert_eq!(
        s,
        vec![
            ("app_db_pw", "db_pw", "0", "0", 0o444),
            ("cluster_pw", "app/pw", "1000", "50", 0o400),
        ]
    );
    assert!(c.secrets.iter().all(|r| r.secret_id.is_empty()));
    let k: Vec<_> = c
        .configs
        .iter()
        .map(|r| (r.config_name.as_str(), r.file.name.as_str(), r.file.mode))
        .collect();
    assert_eq!(
        k,
        vec![
            ("app_site", "/site", 0o444),
            ("my_conf", "/etc/n.conf", 0o440)
        ]
    );
    let names: Vec<_> = p.secrets.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["app_db_pw", "cluster_pw"]);
    assert_eq!(p.secrets[0].labels.get(NAMESPACE_LABEL).unwrap(), "app");
    assert_eq!(p.secrets[0].labels.get("tier").unwrap(), "db");
    assert_eq!(
        p.secrets[0].source,
        swarm_compose::map::files::FileSource::Data(b"s3cret".to_vec())
    );
    assert_eq!(
        p.secrets[1].source,
        swarm_compose::map::files::FileSource::External
    );
    let cnames: Vec<_> = p.configs.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(cnames, vec!["my_conf", "app_site"]);
}
