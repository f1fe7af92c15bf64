//! What the lifecycle consumer (`swarm-guide`) on the managers is given by the SSH bootstrap:
//! the stack, its lifecycle queue and region, and on the sandbox what stands for the instance
//! role (the emulator as the hosts reach it, and credentials of the managers' role assumed in the
//! emulator, as a self-joining host's boot gets them). None for a stack without a queue.

use super::{instance_boot, Provider};
use crate::aws::Clients;
use crate::bootstrap::guide::GuideSetup;
use crate::inventory::{Inventory, Role};
use crate::stack::StackInfo;
use crate::template::outputs::keys::LIFECYCLE_QUEUE;
use crate::Error;

/// The consumer's setup for the stack `info` (None: the stack has no lifecycle queue).
pub async fn guide_setup(
    provider: &Provider,
    clients: &Clients,
    info: &StackInfo,
    inv: &Inventory,
) -> Result<Option<GuideSetup>, Error> {
    let Some(queue_url) = info.output(LIFECYCLE_QUEUE) else {
        return Ok(None);
    };
    let mut setup = GuideSetup {
        stack: info.name.clone(),
        queue_url: queue_url.to_string(),
        region: clients.region.clone(),
        extra_env: Vec::new(),
    };
    // A shorter Down grace for tests (the consumer's default is 300 s).
    if let Some(g) = std::env::var("SWARM_GUIDE_DOWN_GRACE")
        .ok()
        .filter(|g| g.parse::<u64>().is_ok())
    {
        setup.extra_env.push(("SWARM_GUIDE_DOWN_GRACE".into(), g));
    }
    if let Provider::Sandbox(_) = provider {
        let Some(group) = inv
            .instances
            .iter()
            .find(|i| i.role == Role::Manager)
            .map(|i| i.group.clone())
        else {
            return Ok(None);
        };
        let boot = match instance_boot::instance_boot(clients, &group, "swarm-guide").await {
            Ok(b) => b,
            Err(e) => {
                eprintln!("sandbox: no role credentials for swarm-guide ({e}): not installed");
                return Ok(None);
            }
        };
        let sandbox = crate::sandbox::Sandbox::new(&info.name)?;
        let endpoint = super::emulator::endpoint();
        let endpoint_url =
            tokio::task::spawn_blocking(move || sandbox.emulator_for_hosts(&endpoint))
                .await
                .map_err(|e| super::ProviderError::Task(e.to_string()))??;
        let (key, secret, token) = boot.credentials;
        setup.extra_env.extend([
            ("AWS_ENDPOINT_URL".into(), endpoint_url),
            ("AWS_ACCESS_KEY_ID".into(), key),
            ("AWS_SECRET_ACCESS_KEY".into(), secret),
        ]);
        if let Some(t) = token {
            setup.extra_env.push(("AWS_SESSION_TOKEN".into(), t));
        }
    }
    Ok(Some(setup))
}
