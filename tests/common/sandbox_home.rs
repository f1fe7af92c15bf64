//! The sandbox tests' harness: a temporary XDG home for one sandbox cluster, the built binary
//! run in it, and what a sandbox leaves behind (swarmd processes, network namespaces).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Builds the test image (`swarm-test/web:v1`, FROM scratch) on this machine's Docker daemon,
/// tags it into the sandbox registry and pushes it there (plain HTTP on a loopback name: no
/// daemon configuration needed), whence the hosts' own engines pull it. Returns its name there.
pub fn push_test_image(registry: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testimg");
    swarm_testimg::build_image(&dir, swarm_testimg::IMAGE).expect("build the test image");
    let image = format!("{registry}/{}", swarm_testimg::IMAGE);
    for args in [
        vec!["tag", swarm_testimg::IMAGE, &image],
        vec!["push", &image],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        assert!(out.status.success(), "docker {args:?}: {out:?}");
    }
    let _ = Command::new("docker").args(["rmi", &image]).output();
    image
}

/// One cluster's config and state home; `down --sandbox` runs when it is dropped.
pub struct Home {
    /// The temporary home.
    pub dir: tempfile::TempDir,
    /// The cluster (and sandbox) name.
    pub name: String,
}

impl Home {
    /// A home for the cluster `name`.
    pub fn new(name: String) -> Self {
        assert!(
            std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"` \
             (scripts/test does)"
        );
        Home {
            dir: tempfile::tempdir().unwrap(),
            name,
        }
    }

    /// Runs `swarm-aws ARGS` in this home.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("swarm-aws runs")
    }

    /// The command `swarm-aws ARGS` in this home (to add to its environment before running it).
    pub fn command(&self, args: &[&str]) -> Command {
        let exe = env!("CARGO_BIN_EXE_swarm-aws");
        // swarmd is found next to swarm-aws (cargo test --workspace builds both).
        assert!(
            Path::new(exe).with_file_name("swarmd").exists()
                || std::env::var_os("SWARMD_BIN").is_some(),
            "build swarmd first: cargo build -p swarmd (or cargo test --workspace)"
        );
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("SWARM_AWS_NAME");
        cmd
    }

    /// Runs `args --name NAME --output json` and returns its last JSON document; panics with
    /// stderr on failure, and if a join token was printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--name", &self.name, "--output", "json"]);
        let out = self.run(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed:\n{stderr}");
        assert!(!stderr.contains("SWMTKN-1-"), "a join token was printed");
        json_docs(&out).last().cloned().expect("a JSON document")
    }

    /// `down --sandbox --yes`, then checks it left none of the `created` namespaces and nothing
    /// else of the sandbox (see `Sandbox::leftovers`).
    pub fn down_leaves_nothing(&self, created: &[String]) {
        let down = self.run(&["down", "--sandbox", "--name", &self.name, "--yes"]);
        assert!(
            down.status.success(),
            "{}",
            String::from_utf8_lossy(&down.stderr)
        );
        let after = netns();
        for n in created {
            assert!(!after.contains(n), "namespace {n} left behind");
        }
        assert_eq!(
            swarmd_processes_under(&self.dir.path().join("state")),
            0,
            "swarmd left running"
        );
        // From the names alone: no namespace, veth, bridge, engine cgroup, engine run dir, mount
        // (overlay, FUSE, nsfs, the data roots' bind mounts), tagged iptables rule, or process
        // (dockerd, containerd, shims, fuse-overlayfs, registry, sshd, swarmd) of this sandbox.
        let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
            &self.name,
            self.dir.path().join("state/swarm-aws/sandbox"),
        )
        .unwrap();
        assert_eq!(sandbox.leftovers(), Vec::<String>::new());
        assert!(!sandbox.state_dir().exists(), "state dir left behind");
    }

    /// The state dir of one sandbox host.
    pub fn host_dir(&self, host: &str) -> PathBuf {
        self.dir
            .path()
            .join("state/swarm-aws/sandbox")
            .join(&self.name)
            .join(host)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.run(&["down", "--sandbox", "--name", &self.name, "--yes"]);
    }
}

/// Every JSON document on a run's stdout.
pub fn json_docs(out: &Output) -> Vec<Value> {
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// How many swarmd processes run with files under `dir`.
pub fn swarmd_processes_under(dir: &Path) -> usize {
    let out = Command::new("pgrep")
        .args(["-af", "swarmd"])
        .output()
        .unwrap();
    let dir = format!("{}/", dir.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&dir))
        .count()
}

/// The network namespaces of this machine.
pub fn netns() -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}
