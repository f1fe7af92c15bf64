//! A cluster's classic ELB as the backend reports it (DescribeLoadBalancers): its listeners and
//! health check, for the sandbox's load balancer ([`crate::sandbox::lb`]), which stands for it.

use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::sandbox::lb::plan::Listener;
use crate::sandbox::lb::ElbView;
use crate::stack::describe::stack_resources;
use crate::stack::StackError;
use crate::template::load_balancer::ELB;

/// The name of the ELB of cluster stack `cluster` (its `ExternalLoadBalancer` resource).
pub async fn elb_name(clients: &Clients, cluster: &str) -> Result<String, CloudError> {
    stack_resources(&clients.cfn, cluster)
        .await?
        .into_iter()
        .find(|r| r.logical_id == ELB)
        .and_then(|r| r.physical_id)
        .ok_or_else(|| {
            StackError::MissingOutput {
                stack: cluster.to_string(),
                output: format!("resource {ELB}"),
            }
            .into()
        })
}

/// The listeners (TCP; others are left out) and health check of ELB `name`.
pub async fn read_elb(clients: &Clients, name: &str) -> Result<ElbView, CloudError> {
    let out = call(
        clients
            .elb
            .describe_load_balancers()
            .load_balancer_names(name)
            .send(),
    )
    .await
    .map_err(|source| CloudError::DescribeLoadBalancers {
        name: name.to_string(),
        source,
    })?;
    let Some(d) = out.load_balancer_descriptions().first() else {
        return Ok(ElbView {
            listeners: Vec::new(),
            health_check: String::new(),
            healthy_threshold: 2,
        });
    };
    let listeners = d
        .listener_descriptions()
        .iter()
        .filter_map(|l| l.listener())
        .filter(|l| l.protocol().eq_ignore_ascii_case("TCP"))
        .filter_map(|l| {
            Some(Listener {
                port: u16::try_from(l.load_balancer_port()).ok()?,
                instance_port: u16::try_from(l.instance_port()).ok()?,
            })
        })
        .collect();
    let (health_check, healthy_threshold) = match d.health_check() {
        Some(h) => (
            h.target().to_string(),
            u32::try_from(h.healthy_threshold()).unwrap_or(2),
        ),
        None => (String::new(), 2),
    };
    Ok(ElbView {
        listeners,
        health_check,
        healthy_threshold,
    })
}
