//! The rollout-policy flags, one list stamped out twice: `--update-*` ([`UpdateConfigArgs`])
//! and `--rollback-*` ([`RollbackConfigArgs`]), with Docker's help texts. clap cannot prefix a
//! flattened struct, so [`policy_args!`] writes the fields, their typed parsers and the
//! [`apply`](UpdateConfigArgs::apply) onto an [`UpdateConfig`] once; a check names the flag it
//! refused by its own long name (`--rollback-failure-action`).

use clap::Args;
use swarm_api::service::{FailureAction, UpdateConfig, UpdateOrder};
use swarm_api::update_policy::{
    default_update_config, parse_failure_action, parse_failure_ratio, parse_update_order,
};

use crate::checked::{count, duration, value, Checked, Given};

macro_rules! policy_args {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, help: [
        $parallelism:literal, $delay:literal, $monitor:literal,
        $failure_action:literal, $max_failure_ratio:literal, $order:literal $(,)?
    ]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Args)]
        pub struct $name {
            #[doc = $parallelism]
            #[arg(id = concat!($prefix, "-parallelism"), long = concat!($prefix, "-parallelism"), value_name = "N", value_parser = count())]
            pub parallelism: Option<Given<u64>>,
            #[doc = $delay]
            #[arg(id = concat!($prefix, "-delay"), long = concat!($prefix, "-delay"), value_name = "DURATION", value_parser = duration())]
            pub delay: Option<Given<u64>>,
            #[doc = $monitor]
            #[arg(id = concat!($prefix, "-monitor"), long = concat!($prefix, "-monitor"), value_name = "DURATION", value_parser = duration())]
            pub monitor: Option<Given<u64>>,
            #[doc = $failure_action]
            #[arg(id = concat!($prefix, "-failure-action"), long = concat!($prefix, "-failure-action"), value_name = "ACTION", value_parser = Checked(parse_failure_action))]
            pub failure_action: Option<Given<FailureAction>>,
            #[doc = $max_failure_ratio]
            #[arg(id = concat!($prefix, "-max-failure-ratio"), long = concat!($prefix, "-max-failure-ratio"), value_name = "RATIO", value_parser = Checked(parse_failure_ratio))]
            pub max_failure_ratio: Option<Given<f64>>,
            #[doc = $order]
            #[arg(id = concat!($prefix, "-order"), long = concat!($prefix, "-order"), value_name = "ORDER", value_parser = Checked(parse_update_order))]
            pub order: Option<Given<UpdateOrder>>,
        }

        impl $name {
            /// Sets the given values onto `current` (or Docker's defaults when None); no flag
            /// given: `current` unchanged.
            pub fn apply(&self, current: Option<UpdateConfig>) -> Option<UpdateConfig> {
                if *self == Self::default() {
                    return current;
                }
                let mut c = current.unwrap_or_else(default_update_config);
                if let Some(v) = value(&self.parallelism) {
                    c.parallelism = v;
                }
                if let Some(v) = value(&self.delay) {
                    c.delay_ms = v;
                }
                if let Some(v) = value(&self.monitor) {
                    c.monitor_ms = v;
                }
                if let Some(v) = value(&self.failure_action) {
                    c.failure_action = v;
                }
                if let Some(v) = value(&self.max_failure_ratio) {
                    c.max_failure_ratio = v;
                }
                if let Some(v) = value(&self.order) {
                    c.order = v;
                }
                Some(c)
            }
        }
    };
}

policy_args!(
    /// `--update-*` flags.
    UpdateConfigArgs,
    "update",
    help: [
        "Maximum number of tasks updated simultaneously (0 to update all at once).",
        "Delay between updates.",
        "Duration after each task update to monitor for failure.",
        "Action on update failure: pause, continue or rollback.",
        "Failure rate to tolerate during an update.",
        "Update order: start-first or stop-first.",
    ]
);

policy_args!(
    /// `--rollback-*` flags.
    RollbackConfigArgs,
    "rollback",
    help: [
        "Maximum number of tasks rolled back simultaneously (0 to roll back all at once).",
        "Delay between task rollbacks.",
        "Duration after each task rollback to monitor for failure.",
        "Action on rollback failure: pause or continue.",
        "Failure rate to tolerate during a rollback.",
        "Rollback order: start-first or stop-first.",
    ]
);

#[cfg(test)]
pub(crate) mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        update: UpdateConfigArgs,
        #[command(flatten)]
        rollback: RollbackConfigArgs,
    }

    fn parse(args: &[&str]) -> Result<Cli, String> {
        let mut all = vec!["x"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).map_err(|e| e.to_string())
    }

    /// A value for every `--update-*` flag and one `--rollback-*` flag (service update's tests
    /// read the same list).
    pub(crate) const EVERY_POLICY_FLAG: &[&str] = &[
        "--update-parallelism",
        "2",
        "--update-delay",
        "1m30s",
        "--update-monitor",
        "10s",
        "--update-failure-action",
        "rollback",
        "--update-max-failure-ratio",
        "0.25",
        "--update-order",
        "start-first",
        "--rollback-parallelism",
        "0",
    ];

    #[test]
    fn both_policies_and_later_updates_keep_earlier_values() {
        let c = parse(EVERY_POLICY_FLAG).unwrap();
        let u = c.update.apply(None).unwrap();
        assert_eq!(u.parallelism, 2);
        assert_eq!(u.delay_ms, 90_000);
        assert_eq!(u.monitor_ms, 10_000);
        assert_eq!(u.failure_action, FailureAction::Rollback);
        assert_eq!(u.max_failure_ratio, 0.25);
        assert_eq!(u.order, UpdateOrder::StartFirst);
        let r = c.rollback.apply(None).unwrap();
        assert_eq!(r.parallelism, 0);
        assert_eq!(
            r.monitor_ms, 5_000,
            "untouched fields keep docker's defaults"
        );
        // A later update keeps what an earlier one set; no flag: unchanged (None stays None).
        let later = parse(&["--update-delay", "5s"]).unwrap();
        let m = later.update.apply(Some(u)).unwrap();
        assert_eq!((m.parallelism, m.delay_ms), (2, 5_000));
        assert_eq!(later.rollback.apply(None), None);
    }

    #[test]
    fn errors_name_their_flag_and_value() {
        for (args, flag, value) in [
            (["--update-delay", "10"], "--update-delay", "10"),
            (
                ["--update-failure-action", "explode"],
                "--update-failure-action",
                "explode",
            ),
            (
                ["--rollback-failure-action", "rollback"],
                "--rollback-failure-action",
                "rollback",
            ),
            (
                ["--update-max-failure-ratio", "1.5"],
                "--update-max-failure-ratio",
                "1.5",
            ),
            (["--rollback-order", "random"], "--rollback-order", "random"),
            (
                ["--rollback-parallelism", "-1"],
                "--rollback-parallelism",
                "-1",
            ),
            (
                ["--rollback-monitor", "later"],
                "--rollback-monitor",
                "later",
            ),
        ] {
            let e = parse(&[&args.join("=")]).unwrap_err();
            assert!(e.contains(&format!("invalid {flag} {value:?}")), "{e}");
            assert!(e.contains("fix:"), "{e}");
        }
    }
}
