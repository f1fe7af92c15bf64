//! User data: the boot script of each node, assembled from the fragments in `templates/user-data/`
//! and wrapped in `Fn::Sub` so the stack fills in its region, name and log group. The script only
//! prepares the host (Docker, the node's identity); `swarmd` is installed over SSH by `bootstrap`.

use serde_json::Value;

use super::fns::sub;
use crate::spec::ClusterSpec;

const BASE: &str = include_str!("../../templates/user-data/base.sh");
const CLOUDWATCH_LOGS: &str = include_str!("../../templates/user-data/cloudwatch-logs.sh");
const FINISH: &str = include_str!("../../templates/user-data/finish.sh");

/// The boot script of a `role` node as an `Fn::Sub` value.
pub fn render(spec: &ClusterSpec, role: &str) -> Value {
    let mut script = BASE.replace("@ROLE@", role);
    if spec.cloudwatch_logs {
        script.push_str(CLOUDWATCH_LOGS);
    }
    script.push_str(FINISH);
    sub(&script)
}
