//! Platform: the node's OS and architecture are among the platforms the task's image is
//! built for (`placement.platforms`, which the Docker CLI fills in from the registry; empty:
//! any node). swarmkit's `PlatformFilter`: `x86_64` and `amd64`, `aarch64` and `arm64` are
//! the same architecture, an empty OS or architecture in the image's entry matches any, and a
//! node that reported no platform takes no task that lists platforms.

use swarm_api::node::Platform;
use swarm_api::task::Task;

use super::{Filter, Rejection, TaskNeeds};
use crate::node::NodeInfo;
use crate::state::NodeState;

/// The image's platforms (static while scheduling).
pub struct Platforms;

/// Docker's architecture names for the kernel's (`uname -m`) ones.
fn arch(a: &str) -> &str {
    match a {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Whether an image built for `image` runs on a node of platform `node`.
fn runs_on(image: &Platform, node: &Platform) -> bool {
    (image.architecture.is_empty() || arch(&image.architecture) == arch(&node.architecture))
        && (image.os.is_empty() || image.os == node.os)
}

impl Filter for Platforms {
    fn dynamic(&self) -> bool {
        false
    }

    fn same_group(&self, a: &Task, b: &Task) -> bool {
        a.spec.placement.platforms == b.spec.placement.platforms
    }

    fn check(&self, node: &NodeInfo, _: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
        let wanted = &needs.task.spec.placement.platforms;
        let reported = node.platform != Platform::default();
        if wanted.is_empty() || (reported && wanted.iter().any(|p| runs_on(p, &node.platform))) {
            return Ok(());
        }
        Err(Rejection::Other("unsupported platform".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(os: &str, arch: &str) -> Platform {
        Platform {
            os: os.into(),
            architecture: arch.into(),
        }
    }

    #[test]
    fn architectures_match_under_both_names_and_empty_fields_match_any() {
        assert!(runs_on(&p("linux", "amd64"), &p("linux", "x86_64")));
        assert!(runs_on(&p("linux", "aarch64"), &p("linux", "arm64")));
        assert!(runs_on(&p("", "arm64"), &p("linux", "aarch64")));
        assert!(runs_on(&p("linux", ""), &p("linux", "riscv64")));
        assert!(!runs_on(&p("linux", "arm64"), &p("linux", "x86_64")));
        assert!(!runs_on(&p("windows", "amd64"), &p("linux", "x86_64")));
    }
}
