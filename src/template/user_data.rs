//! User data: the boot script of each node, assembled from the fragments in `templates/user-data/`
//! and wrapped in `Fn::Sub` so the stack fills in its region, name and log group. The script only
//! prepares the host (Docker, the node's identity); `swarmd` is installed over SSH by `bootstrap`.
//!
//! With CloudWatch logs on, containers log through Docker's `awslogs` driver
//! (`cloudwatch-logs.sh`), and swarmd's own journal goes to the same log group, stream
//! `swarmd/<instance-id>` (`cloudwatch-swarmd.sh`): a `swarmd-logs` unit pipes
//! `journalctl -u swarmd -f` into a container that copies it to its output, logged by the same
//! `awslogs` driver. Weighed against the alternatives:
//! - the CloudWatch agent reads files, not the journal: swarmd would have to log to a file
//!   (`StandardOutput=append:`, losing `journalctl -u swarmd`), and the agent is a package to
//!   download and keep running;
//! - a loop of `aws logs put-log-events` over `journalctl` output re-implements batching, size
//!   limits, retries and throttling in shell;
//! - the `awslogs` driver already does all of that, with the permissions the role has for the
//!   containers' logs and no download: the copier's image is three symlinks made at boot
//!   (`docker import`), running the host's own `cat` from a read-only `/usr`.
//!
//! Limits: `journalctl --cursor-file` resumes where it stopped after a restart of the unit, but a
//! copier killed mid-stream (e.g. Docker restarting) may send its last lines twice; the driver
//! blocks when CloudWatch is unreachable, which holds up the copier only (journald keeps
//! everything).

use serde_json::Value;

use super::fns::sub;
use crate::spec::ClusterSpec;

const BASE: &str = include_str!("../../templates/user-data/base.sh");
const CLOUDWATCH_LOGS: &str = include_str!("../../templates/user-data/cloudwatch-logs.sh");
const CLOUDWATCH_SWARMD: &str = include_str!("../../templates/user-data/cloudwatch-swarmd.sh");
const FINISH: &str = include_str!("../../templates/user-data/finish.sh");
const SELF_JOIN: &str = include_str!("../../templates/user-data/self-join.sh");
const GUIDE: &str = include_str!("../../templates/user-data/guide.sh");

/// The boot script of a `role` node as an `Fn::Sub` value.
pub fn render(spec: &ClusterSpec, role: &str) -> Value {
    let mut script = BASE.replace("@ROLE@", role);
    if spec.cloudwatch_logs {
        script.push_str(CLOUDWATCH_LOGS);
    }
    script.push_str(FINISH);
    if spec.cloudwatch_logs {
        // After Docker is up (it runs the copier), before self-join (which may exit early).
        script.push_str(CLOUDWATCH_SWARMD);
    }
    script.push_str(&self_join(role));
    sub(&script)
}

/// The self-join part of a `role` node's script (plain text; `${...}` left to `Fn::Sub`).
pub fn self_join(role: &str) -> String {
    use crate::bootstrap::guide;
    use crate::bootstrap::remote::{start_script_text, unit_text, RemoteLayout};
    let l = RemoteLayout::system();
    let mut script = SELF_JOIN.to_string();
    if role == "manager" {
        script.push_str(
            &GUIDE
                .replace("@GUIDE_BINARY@", &guide::binary(&l))
                .replace("@GUIDE_ENV@", &guide::env_file(&l))
                .replace("@GUIDE_UNIT@", &guide::unit_file(&l))
                .replace(
                    "@GUIDE_ENV_TEXT@",
                    &guide::env_text(
                        "${AWS::StackName}",
                        &format!("${{{}}}", super::self_join::QUEUE),
                        "${AWS::Region}",
                        &l.state_dir(),
                    ),
                )
                .replace("@GUIDE_UNIT_TEXT@", &guide::unit_text(&l)),
        );
    }
    script
        .replace("@START_SCRIPT@", &start_script_text(&l))
        .replace("@UNIT_TEXT@", &unit_text(&l))
        .replace("@ROLE@", role)
        .replace("@STATE@", &l.state_dir())
        .replace("@BINARY@", &l.binary())
        .replace("@ENV_FILE@", &l.env_file())
        .replace("@START@", &l.start_script())
        .replace("@UNIT@", &l.unit_file())
        .replace("@PORT@", &crate::bootstrap::SWARMD_PORT.to_string())
}
