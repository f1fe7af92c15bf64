//! Shared helpers of the integration tests: the golden cases, rendering through the CLI's own
//! parsing and loading, and running the built binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use clap::Parser;
use swarm_aws::cli::{Cli, Command as Verb, TemplateFormat, WebsiteCommand};
use swarm_aws::spec::load::load;
use swarm_aws::spec::website::{validate_website, AliasTarget, Target};
use swarm_aws::template::{render_cluster, render_website, to_json_string, to_yaml_string};

/// A committed rendering: its file under `templates/` and the command line that renders it.
pub struct Golden {
    /// File name under templates/.
    pub file: &'static str,
    /// Arguments after `swarm-aws`.
    pub args: &'static [&'static str],
}

/// The golden renderings (issue: 1/0/1 AZ; 3/5/3 default; 7/1000/6; website; plus explicit zones,
/// Graviton workers and io2 disks; a website over clusters by name; one YAML rendering).
pub const GOLDENS: &[Golden] = &[
    Golden {
        file: "cluster-1m-0w-1az.json",
        args: &[
            "template",
            "--name",
            "single",
            "--managers",
            "1",
            "--workers",
            "0",
            "--azs",
            "1",
            "--ssh-cidr",
            "203.0.113.0/24",
        ],
    },
    Golden {
        file: "cluster-default.json",
        args: &["template", "--name", "demo", "--ssh-cidr", "203.0.113.0/24"],
    },
    Golden {
        file: "cluster-7m-1000w-6az.json",
        args: &[
            "template",
            "--name",
            "large",
            "--managers",
            "7",
            "--workers",
            "1000",
            "--azs",
            "6",
            "--ssh-cidr",
            "198.51.100.0/24",
            "--cloudwatch-logs",
            "--publish",
            "80,443,8080",
            "--manager-instance-type",
            "m6i.large",
            "--worker-instance-type",
            "c6i.xlarge",
            "--manager-disk-size",
            "50",
            "--worker-disk-size",
            "100",
        ],
    },
    Golden {
        file: "cluster-named-zones-graviton.json",
        args: &[
            "template",
            "--name",
            "edge",
            "--region",
            "eu-west-1",
            "--zones",
            "eu-west-1a,eu-west-1b",
            "--managers",
            "3",
            "--workers",
            "2",
            "--worker-instance-type",
            "m7g.large",
            "--worker-disk-type",
            "io2",
            "--key-name",
            "ops",
            "--ssh-cidr",
            "192.0.2.10/32",
            "--vpc-cidr",
            "10.20.0.0/20",
            "--tag",
            "team=web",
            "--tag",
            "cost-center=42",
        ],
    },
    Golden {
        file: "cluster-default.yaml",
        args: &[
            "template",
            "--name",
            "demo",
            "--ssh-cidr",
            "203.0.113.0/24",
            "--format",
            "yaml",
        ],
    },
    Golden {
        file: "website.json",
        args: &[
            "website",
            "template",
            "--domain",
            "nosqlsearch.com",
            "--primary-dns",
            "DockerSwarm-1-ELB-1562610.us-east-1.elb.amazonaws.com",
            "--primary-zone-id",
            "Z35SXDOTRQ7X7K",
            "--secondary-dns",
            "DockerSwarm-2-ELB-9133421.us-west-2.elb.amazonaws.com",
            "--secondary-zone-id",
            "Z1H1FL5HABSF5",
        ],
    },
    Golden {
        file: "website-clusters-existing-zone.json",
        args: &[
            "website",
            "template",
            "--domain",
            "example.com",
            "--record-name",
            "www.example.com",
            "--hosted-zone-id",
            "Z0123456789ABCDEFGHIJ",
            "--primary",
            "east",
            "--secondary",
            "west",
            "--health-check-protocol",
            "tcp",
        ],
    },
];

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether goldens and snapshots should be rewritten instead of compared (`SWARM_AWS_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os("SWARM_AWS_BLESS").is_some_and(|v| v == "1")
}

/// Renders a command line exactly as `swarm-aws template` / `website template` would print it.
pub fn render(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("swarm-aws").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (value, format) = match &cli.command {
        Verb::Template(t) => {
            let spec = load(&t.cluster.spec_input(cli.global.region.as_deref()))
                .unwrap_or_else(|e| panic!("{args:?}: {e}"));
            (render_cluster(&spec), t.format)
        }
        Verb::Website(w) => match &w.command {
            WebsiteCommand::Template(t) => {
                let target = |c: &Option<String>, d: &Option<String>, z: &Option<String>| match c {
                    Some(n) => Target::Cluster(n.clone()),
                    None => Target::Balancer(AliasTarget {
                        dns_name: d.clone().unwrap(),
                        zone_id: z.clone().unwrap(),
                    }),
                };
                let spec = validate_website(
                    &t.common.website_input(),
                    target(&t.primary, &t.primary_dns, &t.primary_zone_id),
                    target(&t.secondary, &t.secondary_dns, &t.secondary_zone_id),
                )
                .unwrap_or_else(|e| panic!("{args:?}: {e:?}"));
                (render_website(&spec), t.format)
            }
            _ => panic!("not a template verb: {args:?}"),
        },
        _ => panic!("not a template verb: {args:?}"),
    };
    match format {
        TemplateFormat::Json => to_json_string(&value),
        TemplateFormat::Yaml => to_yaml_string(&value),
    }
}

/// Runs the built `swarm-aws` binary with a clean environment for its own variables.
pub fn swarm_aws(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarm-aws"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("SWARM_AWS_") || k == "AWS_REGION" || k == "AWS_PROFILE" {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("swarm-aws runs")
}

/// Runs the built binary against the emulator (`AWS_ENDPOINT_URL`, dummy credentials) in
/// `region`, with its config (cluster keys, known_hosts) under `home`.
pub fn emulator_cli(home: &std::path::Path, region: &str, args: &[&str]) -> Output {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"`",
    );
    Command::new(env!("CARGO_BIN_EXE_swarm-aws"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", region)
        .env("XDG_CONFIG_HOME", home)
        .env_remove("AWS_PROFILE")
        .env_remove("SWARM_AWS_NAME")
        .output()
        .expect("run swarm-aws")
}
