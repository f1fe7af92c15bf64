//! The container flags `service create` and `service update` share (Docker's names, short
//! forms and help texts): `--hostname`, `--user`, `--workdir`, `--read-only`, `--tty`,
//! `--stop-grace-period`, `--log-driver`, `--log-opt`, `--cap-add`, `--cap-drop`, `--init`,
//! `--stop-signal` and the healthcheck flags ([`HealthArgs`]), typed when clap parses them and
//! applied onto a [`TaskSpec`] (given: set; not given: unchanged on update).

use clap::Args;
use swarm_api::container_values::{
    log_opts_without_driver, parse_capability, parse_log_driver, parse_workdir,
};
use swarm_api::healthcheck::HealthConfig;
use swarm_api::service::{LogDriver, TaskSpec};
use swarm_api::signal::parse_signal;
use swarm_api::spec_error::SpecError;

use crate::checked::{count, duration, label, value, values, Checked, Given};

/// Container flags shared by create and update (Docker's names and short forms).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct ContainerArgs {
    /// Container hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>]).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long, value_parser = Checked(parse_workdir))]
    pub workdir: Option<Given<String>>,
    /// Mount the container's root filesystem as read only.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub read_only: Option<bool>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub tty: Option<bool>,
    /// Time to wait before force killing a container (ns|us|ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub stop_grace_period: Option<Given<u64>>,
    /// Logging driver for service.
    #[arg(long, value_name = "DRIVER", value_parser = Checked(parse_log_driver))]
    pub log_driver: Option<Given<String>>,
    /// Logging driver options (key=value); repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = label())]
    pub log_opt: Vec<Given<(String, String)>>,
    /// Add Linux capabilities; repeatable.
    #[arg(long, value_name = "CAPABILITY", value_parser = Checked(parse_capability))]
    pub cap_add: Vec<Given<String>>,
    /// Drop Linux capabilities; repeatable.
    #[arg(long, value_name = "CAPABILITY", value_parser = Checked(parse_capability))]
    pub cap_drop: Vec<Given<String>>,
    /// Use an init inside each service container to forward signals and reap processes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub init: Option<bool>,
    /// Signal to stop the container.
    #[arg(long, value_name = "SIGNAL", value_parser = Checked(parse_signal))]
    pub stop_signal: Option<Given<String>>,
    /// Healthcheck.
    #[command(flatten)]
    pub health: HealthArgs,
}

impl ContainerArgs {
    /// Applies the given flags to `task`.
    pub fn apply(&self, task: &mut TaskSpec) -> Result<(), SpecError> {
        let c = &mut task.container;
        if let Some(h) = &self.hostname {
            c.hostname = h.trim().to_string();
        }
        if let Some(u) = &self.user {
            c.user = u.trim().to_string();
        }
        if let Some(w) = value(&self.workdir) {
            c.dir = w;
        }
        if let Some(r) = self.read_only {
            c.read_only = r;
        }
        if let Some(t) = self.tty {
            c.tty = t;
        }
        if let Some(g) = value(&self.stop_grace_period) {
            c.stop_grace_period_ms = Some(g);
        }
        if let Some(i) = self.init {
            c.init = Some(i);
        }
        if let Some(s) = value(&self.stop_signal) {
            c.stop_signal = s;
        }
        self.health.apply(&mut c.healthcheck)?;
        // As Docker's `service update`: an added capability is no longer dropped and the
        // other way round; the same on create, which starts from none.
        for cap in values(&self.cap_add) {
            c.cap_drop.retain(|d| *d != cap);
            if !c.cap_add.contains(&cap) {
                c.cap_add.push(cap);
            }
        }
        for cap in values(&self.cap_drop) {
            c.cap_add.retain(|a| *a != cap);
            if !c.cap_drop.contains(&cap) {
                c.cap_drop.push(cap);
            }
        }
        match value(&self.log_driver) {
            None if !self.log_opt.is_empty() => {
                let opts: Vec<String> = self.log_opt.iter().map(|o| o.text.clone()).collect();
                return Err(log_opts_without_driver(&opts));
            }
            None => {}
            Some(name) => {
                task.log_driver = Some(LogDriver {
                    name,
                    options: values(&self.log_opt).into_iter().collect(),
                });
            }
        }
        Ok(())
    }
}

/// The healthcheck flags (docker's rules, see [`swarm_api::healthcheck`]).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct HealthArgs {
    /// Command to run to check health.
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub health_interval: Option<Given<u64>>,
    /// Maximum time to allow one check to run (ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub health_timeout: Option<Given<u64>>,
    /// Consecutive failures needed to report unhealthy.
    #[arg(long, value_name = "N", value_parser = count())]
    pub health_retries: Option<Given<u64>>,
    /// Start period for the container to initialize before counting retries towards unstable (ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub health_start_period: Option<Given<u64>>,
    /// Time between running the check during the start period (ms|s|m|h).
    #[arg(long, value_name = "DURATION", value_parser = duration())]
    pub health_start_interval: Option<Given<u64>>,
    /// Disable any container-specified HEALTHCHECK.
    #[arg(long)]
    pub no_healthcheck: bool,
}

impl HealthArgs {
    fn any_health(&self) -> bool {
        *self
            != HealthArgs {
                no_healthcheck: self.no_healthcheck,
                ..Default::default()
            }
    }

    /// Applies the flags to a container's healthcheck (`None`: the image's).
    pub fn apply(&self, current: &mut Option<HealthConfig>) -> Result<(), SpecError> {
        if self.no_healthcheck {
            if self.any_health() {
                return Err(SpecError::new(
                    "--no-healthcheck",
                    "true",
                    "--no-healthcheck conflicts with --health-* options",
                    "give either --no-healthcheck or the --health-* flags",
                ));
            }
            *current = Some(HealthConfig::disabled());
            return Ok(());
        }
        if !self.any_health() {
            return Ok(());
        }
        let h = current.get_or_insert_with(HealthConfig::default);
        if h.is_disabled() {
            h.test.clear();
        }
        for (given, into) in [
            (value(&self.health_interval), &mut h.interval_ms),
            (value(&self.health_timeout), &mut h.timeout_ms),
            (value(&self.health_retries), &mut h.retries),
            (value(&self.health_start_period), &mut h.start_period_ms),
            (value(&self.health_start_interval), &mut h.start_interval_ms),
        ] {
            if let Some(v) = given {
                *into = v;
            }
        }
        if let Some(cmd) = &self.health_cmd {
            h.test = if cmd.trim().is_empty() {
                Vec::new()
            } else {
                vec!["CMD-SHELL".into(), cmd.clone()]
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        c: ContainerArgs,
    }

    fn args(a: &[&str]) -> ContainerArgs {
        try_args(a).unwrap()
    }

    fn try_args(a: &[&str]) -> Result<ContainerArgs, String> {
        let mut all = vec!["x"];
        all.extend_from_slice(a);
        Cli::try_parse_from(all)
            .map(|c| c.c)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn scalar_flags_set_the_container_and_log_driver() {
        let mut t = TaskSpec::default();
        args(&[
            "--hostname",
            "web-host",
            "-u",
            "1000:1000",
            "-w",
            "/srv",
            "--read-only",
            "-t",
            "--stop-grace-period",
            "2s",
            "--log-driver",
            "json-file",
            "--log-opt",
            "max-size=10m",
            "--log-opt",
            "max-file=3",
            "--init",
            "--stop-signal",
            "SIGQUIT",
            "--health-cmd",
            "true",
        ])
        .apply(&mut t)
        .unwrap();
        let c = &t.container;
        assert_eq!(
            (c.hostname.as_str(), c.user.as_str(), c.dir.as_str()),
            ("web-host", "1000:1000", "/srv")
        );
        assert!(c.read_only && c.tty);
        assert_eq!(c.stop_grace_period_ms, Some(2_000));
        assert_eq!((c.init, c.stop_signal.as_str()), (Some(true), "SIGQUIT"));
        assert_eq!(
            c.healthcheck.as_ref().map(|h| h.test.clone()),
            Some(vec!["CMD-SHELL".to_string(), "true".to_string()])
        );
        let d = t.log_driver.clone().unwrap();
        assert_eq!(d.name, "json-file");
        assert_eq!(d.options["max-size"], "10m");
        // Not given: unchanged; false clears.
        args(&["--read-only=false"]).apply(&mut t).unwrap();
        assert!(!t.container.read_only && t.container.tty);
    }

    #[test]
    fn capabilities_are_normalised_and_add_and_drop_undo_each_other() {
        let mut t = TaskSpec::default();
        args(&[
            "--cap-add",
            "net_admin",
            "--cap-add",
            "CAP_SYS_TIME",
            "--cap-add",
            "net_admin",
            "--cap-drop",
            "all",
        ])
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.container.cap_add, ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
        assert_eq!(t.container.cap_drop, ["ALL"]);
        // An update that drops an added capability and adds back a dropped one.
        args(&["--cap-add", "ALL", "--cap-drop", "sys_time"])
            .apply(&mut t)
            .unwrap();
        assert_eq!(t.container.cap_add, ["CAP_NET_ADMIN", "ALL"]);
        assert_eq!(t.container.cap_drop, ["CAP_SYS_TIME"]);
        let e = try_args(&["--cap-add", "net admin"]).unwrap_err();
        assert!(e.contains("--cap-add") && e.contains("net admin"), "{e}");
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (a, needle) in [
            (&["--workdir", "srv"][..], "--workdir"),
            (&["--stop-grace-period", "soon"][..], "--stop-grace-period"),
            (&["--health-interval=-5s"][..], "--health-interval"),
            (&["--health-retries=-1"][..], "--health-retries"),
            (
                &["--health-start-interval", "soon"][..],
                "--health-start-interval",
            ),
        ] {
            let e = try_args(a).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
        let e = args(&["--log-opt", "max-size=1m"])
            .apply(&mut TaskSpec::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--log-driver"), "{e}");
        let e = args(&["--no-healthcheck", "--health-cmd", "true"])
            .apply(&mut TaskSpec::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--no-healthcheck conflicts with --health-* options"),
            "{e}"
        );
    }

    #[test]
    fn healthcheck_create_sets_the_fields_given() {
        let mut h = None;
        args(&[
            "--health-cmd",
            "nc -z localhost 80",
            "--health-interval",
            "5s",
            "--health-timeout",
            "2s",
            "--health-retries",
            "4",
            "--health-start-period",
            "1m",
            "--health-start-interval",
            "500ms",
        ])
        .health
        .apply(&mut h)
        .unwrap();
        assert_eq!(
            h,
            Some(HealthConfig {
                test: vec!["CMD-SHELL".into(), "nc -z localhost 80".into()],
                interval_ms: 5_000,
                timeout_ms: 2_000,
                retries: 4,
                start_period_ms: 60_000,
                start_interval_ms: 500,
            })
        );
        // Nothing given: nothing changes (None stays None: the image's check).
        let mut none = None;
        HealthArgs::default().apply(&mut none).unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn healthcheck_update_changes_only_its_fields_and_no_healthcheck_disables() {
        let mut h = Some(HealthConfig {
            test: vec!["CMD".into(), "true".into()],
            interval_ms: 1_000,
            ..Default::default()
        });
        args(&["--health-retries", "7"])
            .health
            .apply(&mut h)
            .unwrap();
        let got = h.clone().unwrap();
        assert_eq!(
            (got.test.len(), got.interval_ms, got.retries),
            (2, 1_000, 7)
        );
        args(&["--no-healthcheck"]).health.apply(&mut h).unwrap();
        assert!(h.as_ref().unwrap().is_disabled());
        assert_eq!(h, Some(HealthConfig::disabled()));
        // Any --health-* flag enables it again; an empty command means the image's test.
        args(&["--health-cmd=", "--health-interval", "2s"])
            .health
            .apply(&mut h)
            .unwrap();
        let got = h.unwrap();
        assert!(got.test.is_empty() && got.interval_ms == 2_000, "{got:?}");
    }
}
