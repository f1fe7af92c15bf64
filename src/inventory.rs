//! Instance inventory: stack → its auto-scaling groups (managers, workers) → instances with
//! their role, availability zone and private/public addresses.

use std::collections::HashMap;

use serde::Serialize;

use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::stack::describe::stack_resources;

/// Resource type of an auto-scaling group.
const ASG_TYPE: &str = "AWS::AutoScaling::AutoScalingGroup";

/// Tag naming a node's role on its auto-scaling group.
pub const ROLE_TAG: &str = "swarm-aws:role";

/// Role of a node in the swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A Raft manager.
    Manager,
    /// A worker.
    Worker,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Role::Manager => "manager",
            Role::Worker => "worker",
        })
    }
}

/// The role of a group: its role tag if present, else `manager` when the logical id says so.
pub fn role_of(logical_id: &str, role_tag: Option<&str>) -> Role {
    match role_tag {
        Some(t) if t.eq_ignore_ascii_case("manager") => Role::Manager,
        Some(_) => Role::Worker,
        None if logical_id.to_ascii_lowercase().contains("manager") => Role::Manager,
        None => Role::Worker,
    }
}

/// One auto-scaling group of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Logical id in the template.
    pub logical_id: String,
    /// Physical name.
    pub name: String,
    /// Role of its instances.
    pub role: Role,
    /// Desired capacity.
    pub desired: i32,
    /// Minimum size.
    pub min: i32,
    /// Maximum size.
    pub max: i32,
}

/// One instance of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// EC2 instance id.
    pub id: String,
    /// Role (from its group).
    pub role: Role,
    /// Physical name of its group.
    pub group: String,
    /// Availability zone.
    pub az: String,
    /// Auto Scaling lifecycle state (`InService`, `Pending`, ...).
    pub lifecycle: String,
    /// Private IPv4 address.
    pub private_ip: Option<String>,
    /// Public IPv4 address.
    pub public_ip: Option<String>,
}

impl Instance {
    /// Whether it runs or boots (`InService`, `Pending`): not on its way out.
    pub fn is_live(&self) -> bool {
        matches!(self.lifecycle.as_str(), "InService" | "Pending")
    }
}

/// Groups and instances of one cluster stack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Auto-scaling groups, managers first.
    pub groups: Vec<Group>,
    /// Instances, managers first, then by AZ and id.
    pub instances: Vec<Instance>,
}

impl Inventory {
    /// Instances with the given role.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Instance> {
        self.instances.iter().filter(move |i| i.role == role)
    }

    /// A fixed-width table: id, role, AZ, private IP, public IP.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<21} {:<8} {:<12} {:<15} {:<15}\n",
            "INSTANCE", "ROLE", "AZ", "PRIVATE IP", "PUBLIC IP"
        );
        for i in &self.instances {
            out.push_str(&format!(
                "{:<21} {:<8} {:<12} {:<15} {:<15}\n",
                i.id,
                i.role,
                i.az,
                i.private_ip.as_deref().unwrap_or("-"),
                i.public_ip.as_deref().unwrap_or("-")
            ));
        }
        out
    }
}

/// Reads the inventory of stack `stack` (name or id).
pub async fn inventory(clients: &Clients, stack: &str) -> Result<Inventory, CloudError> {
    let asgs: Vec<(String, String)> = stack_resources(&clients.cfn, stack)
        .await?
        .into_iter()
        .filter(|r| r.resource_type == ASG_TYPE)
        .filter_map(|r| Some((r.logical_id, r.physical_id?)))
        .collect();
    if asgs.is_empty() {
        return Ok(Inventory::default());
    }
    let names: Vec<String> = asgs.iter().map(|(_, n)| n.clone()).collect();
    let out = call(
        clients
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(names.clone()))
            .send(),
    )
    .await
    .map_err(|source| CloudError::DescribeAutoScalingGroups {
        groups: names.clone(),
        source,
    })?;
    let mut inv = Inventory::default();
    for g in out.auto_scaling_groups() {
        let name = g.auto_scaling_group_name().unwrap_or_default().to_string();
        let logical = asgs
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(l, _)| l.clone())
            .unwrap_or_default();
        let tag = g
            .tags()
            .iter()
            .find(|t| t.key() == Some(ROLE_TAG))
            .and_then(|t| t.value());
        let role = role_of(&logical, tag);
        inv.groups.push(Group {
            logical_id: logical,
            name: name.clone(),
            role,
            desired: g.desired_capacity().unwrap_or_default(),
            min: g.min_size().unwrap_or_default(),
            max: g.max_size().unwrap_or_default(),
        });
        for i in g.instances() {
            inv.instances.push(Instance {
                id: i.instance_id().unwrap_or_default().to_string(),
                role,
                group: name.clone(),
                az: i.availability_zone().unwrap_or_default().to_string(),
                lifecycle: i
                    .lifecycle_state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                private_ip: None,
                public_ip: None,
            });
        }
    }
    fill_addresses(clients, &mut inv.instances).await?;
    inv.groups
        .sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    inv.instances
        .sort_by(|a, b| (a.role, &a.az, &a.id).cmp(&(b.role, &b.az, &b.id)));
    Ok(inv)
}

/// DescribeInstances accepts at most this many ids per call with a filter-free request.
const INSTANCE_BATCH: usize = 100;

async fn fill_addresses(clients: &Clients, instances: &mut [Instance]) -> Result<(), CloudError> {
    let mut addresses: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let ids: Vec<String> = instances.iter().map(|i| i.id.clone()).collect();
    for batch in ids.chunks(INSTANCE_BATCH) {
        let mut token: Option<String> = None;
        loop {
            let out = call(
                clients
                    .ec2
                    .describe_instances()
                    .set_instance_ids(Some(batch.to_vec()))
                    .set_next_token(token.clone())
                    .send(),
            )
            .await
            .map_err(|source| CloudError::DescribeInstances {
                count: batch.len(),
                source,
            })?;
            for r in out.reservations() {
                for i in r.instances() {
                    addresses.insert(
                        i.instance_id().unwrap_or_default().to_string(),
                        (
                            i.private_ip_address().map(str::to_string),
                            i.public_ip_address().map(str::to_string),
                        ),
                    );
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    for i in instances {
        if let Some((private, public)) = addresses.remove(&i.id) {
            i.private_ip = private;
            i.public_ip = public;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_tag_then_logical_id() {
        assert_eq!(role_of("NodeAsg", Some("manager")), Role::Manager);
        assert_eq!(role_of("ManagerAsg", Some("worker")), Role::Worker);
        assert_eq!(role_of("ManagerAsg", None), Role::Manager);
        assert_eq!(role_of("NodeAsg", None), Role::Worker);
    }
}
