//! `stack rm STACK`: removes the stack's services, waits until their tasks are gone (no task
//! address is left on the stack's networks), then removes the stack's secrets, configs and
//! networks (docker's order). Objects are
//! the stack's by the label `com.docker.stack.namespace`.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use swarm_api::client::Client;

use super::{namespace, stack_services};

/// How long `stack rm` waits for the removed services' tasks to stop.
const WAIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(250);

/// Removes `stack`.
pub async fn remove(
    client: &Client,
    stack: &str,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    let services = stack_services(client, stack).await?;
    let mut networks: Vec<_> = client
        .networks()
        .ls()
        .await?
        .into_iter()
        .filter(|v| namespace(&v.network.spec.labels) == Some(stack))
        .collect();
    networks.sort_by(|a, b| a.network.spec.name.cmp(&b.network.spec.name));
    let mut secrets: Vec<_> = client
        .secrets()
        .ls()
        .await?
        .into_iter()
        .filter(|s| namespace(&s.spec.labels) == Some(stack))
        .map(|s| (s.spec.name, s.id))
        .collect();
    secrets.sort();
    let mut configs: Vec<_> = client
        .configs()
        .ls()
        .await?
        .into_iter()
        .filter(|c| namespace(&c.spec.labels) == Some(stack))
        .map(|c| (c.spec.name, c.id))
        .collect();
    configs.sort();
    if services.is_empty() && networks.is_empty() && secrets.is_empty() && configs.is_empty() {
        writeln!(err, "Nothing found in stack: {stack}")?;
        return Ok(());
    }
    let mut failures = Vec::new();
    for e in &services {
        writeln!(out, "Removing service {}", e.service.spec.name)?;
        if let Err(x) = client.services().rm(&e.service.id).await {
            failures.push(format!("service {}: {x}", e.service.spec.name));
        }
    }
    // The tasks of a removed service keep their addresses until they stopped.
    let deadline = Instant::now() + WAIT;
    loop {
        let left: usize = client
            .networks()
            .ls()
            .await?
            .iter()
            .filter(|v| networks.iter().any(|n| n.network.id == v.network.id))
            .map(|v| v.endpoints.iter().filter(|e| e.kind == "task").count())
            .sum();
        if left == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{left} task(s) of stack {stack} still hold addresses after {}s; run `stack rm {stack}` again once they stopped",
                WAIT.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    }
    for (name, id) in &secrets {
        writeln!(out, "Removing secret {name}")?;
        if let Err(x) = client.secrets().rm(id).await {
            failures.push(format!("secret {name}: {x}"));
        }
    }
    for (name, id) in &configs {
        writeln!(out, "Removing config {name}")?;
        if let Err(x) = client.configs().rm(id).await {
            failures.push(format!("config {name}: {x}"));
        }
    }
    for v in &networks {
        writeln!(out, "Removing network {}", v.network.spec.name)?;
        if let Err(x) = client.networks().rm(&v.network.id).await {
            failures.push(format!("network {}: {x}", v.network.spec.name));
        }
    }
    if !failures.is_empty() {
        bail!(
            "failed to remove some resources from stack {stack}:\n{}",
            failures.join("\n")
        );
    }
    Ok(())
}
