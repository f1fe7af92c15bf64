//! User data: the boot script of each node, assembled from the fragments in `templates/user-data/`
//! and wrapped in `Fn::Sub` so the stack fills in its region, name and log group. The script only
//! prepares the host (Docker, the node's identity); `swarmd` is installed over SSH by `bootstrap`.

use serde_json::Value;

use super::fns::sub;
use crate::spec::ClusterSpec;

const BASE: &str = include_str!("../../templates/user-data/base.sh");
const CLOUDWATCH_LOGS: &str = include_str!("../../templates/user-data/cloudwatch-logs.sh");
const FINISH: &str = include_str!("../../templates/user-data/finish.sh");
const SELF_JOIN: &str = include_str!("../../templates/user-data/self-join.sh");

/// The boot script of a `role` node as an `Fn::Sub` value.
pub fn render(spec: &ClusterSpec, role: &str) -> Value {
    let mut script = BASE.replace("@ROLE@", role);
    if spec.cloudwatch_logs {
        script.push_str(CLOUDWATCH_LOGS);
    }
    script.push_str(FINISH);
    script.push_str(&self_join(role));
    sub(&script)
}

/// The self-join part of a `role` node's script (plain text; `${...}` left to `Fn::Sub`).
pub fn self_join(role: &str) -> String {
    use crate::bootstrap::remote::{start_script_text, unit_text, RemoteLayout};
    let l = RemoteLayout::system();
    SELF_JOIN
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
