//! Which secret values and config data a node receives with its tasks (pure apart from the
//! decryption): only those referenced by a task assigned to the node that should run and has
//! not ended. A node without such a task never receives the value.

use std::collections::BTreeSet;

use swarm_api::dispatch::FilePayload;
use swarm_api::secret::SecretData;
use swarm_api::task::{Task, TaskState};
use swarm_store::state::ClusterState;

use crate::data_key::Key;

/// Tasks whose container the agent may still have to create.
fn live(t: &Task) -> bool {
    t.desired_state <= TaskState::Running && !t.status.state.is_terminal()
}

/// The ids of the secrets and configs the live tasks of `tasks` reference.
pub fn referenced(tasks: &[Task]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut secrets = BTreeSet::new();
    let mut configs = BTreeSet::new();
    for t in tasks.iter().filter(|t| live(t)) {
        let c = &t.spec.container;
        secrets.extend(c.secrets.iter().map(|r| r.secret_id.clone()));
        configs.extend(c.configs.iter().map(|r| r.config_id.clone()));
    }
    (secrets, configs)
}

/// The payloads for a node running `tasks`. Secrets are opened with `key`; without a key
/// (a locked manager) or when one cannot be opened, it is left out and the agent rejects the
/// task that needs it.
pub fn payloads(
    state: &ClusterState,
    tasks: &[Task],
    key: Option<&Key>,
) -> (Vec<FilePayload>, Vec<FilePayload>) {
    let (secret_ids, config_ids) = referenced(tasks);
    let secrets = secret_ids
        .iter()
        .filter_map(|id| {
            let stored = state.secrets.get(id)?;
            let plain = key?.open(id.as_bytes(), &stored.sealed).ok()?;
            Some(FilePayload {
                id: id.clone(),
                data: SecretData(plain),
            })
        })
        .collect();
    let configs = config_ids
        .iter()
        .filter_map(|id| {
            let c = state.configs.get(id)?;
            Some(FilePayload {
                id: id.clone(),
                data: SecretData(c.spec.data.clone()),
            })
        })
        .collect();
    (secrets, configs)
}
