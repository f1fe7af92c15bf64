//! Which instances an auto-scaling group lets go when `scale` shrinks it.
//!
//! A group that shrinks terminates instances by its own termination policy, which knows nothing
//! of the cluster: it could take a manager that stays and keep the one just demoted. So before
//! the stack update, the instances that stay are protected from scale-in; the group can only
//! terminate the ones whose nodes already left the cluster. After the update the protection is
//! lifted again, so later scale-ins (and `down`) are not hindered.
//!
//! [`protection`] decides it (pure); [`set_protection`] applies it.

use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::inventory::Inventory;

/// Lifecycle states an instance can be protected in (AWS refuses the others).
const PROTECTABLE: [&str; 1] = ["InService"];

/// One group's instances to protect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProtection {
    /// Group name.
    pub group: String,
    /// Instances that stay.
    pub instances: Vec<String>,
}

/// For every group that loses an instance in `leaving`, its other in-service instances (pure).
/// Groups that lose nothing are left alone: their size does not go down.
pub fn protection(inv: &Inventory, leaving: &[String]) -> Vec<GroupProtection> {
    let mut out: Vec<GroupProtection> = Vec::new();
    for g in &inv.groups {
        let members = inv.instances.iter().filter(|i| i.group == g.name);
        if !members.clone().any(|i| leaving.contains(&i.id)) {
            continue;
        }
        let instances: Vec<String> = members
            .filter(|i| !leaving.contains(&i.id) && PROTECTABLE.contains(&i.lifecycle.as_str()))
            .map(|i| i.id.clone())
            .collect();
        if !instances.is_empty() {
            out.push(GroupProtection {
                group: g.name.clone(),
                instances,
            });
        }
    }
    out
}

/// Sets (or lifts) scale-in protection on the instances of every group in `groups`.
pub async fn set_protection(
    clients: &Clients,
    groups: &[GroupProtection],
    protected: bool,
) -> Result<(), CloudError> {
    for g in groups {
        // The API takes at most 50 instances per call.
        for chunk in g.instances.chunks(50) {
            call(
                clients
                    .autoscaling
                    .set_instance_protection()
                    .auto_scaling_group_name(&g.group)
                    .set_instance_ids(Some(chunk.to_vec()))
                    .protected_from_scale_in(protected)
                    .send(),
            )
            .await
            .map_err(|source| CloudError::SetInstanceProtection {
                group: g.group.clone(),
                count: chunk.len(),
                source,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Group, Instance, Role};

    fn inv() -> Inventory {
        let group = |name: &str, role| Group {
            logical_id: name.into(),
            name: name.into(),
            role,
            desired: 3,
            min: 3,
            max: 3,
        };
        let inst = |id: &str, g: &str, role, life: &str| Instance {
            id: id.into(),
            role,
            group: g.into(),
            az: "us-east-1a".into(),
            lifecycle: life.into(),
            private_ip: None,
            public_ip: None,
        };
        Inventory {
            groups: vec![group("mgr", Role::Manager), group("wrk", Role::Worker)],
            instances: vec![
                inst("i-m1", "mgr", Role::Manager, "InService"),
                inst("i-m2", "mgr", Role::Manager, "InService"),
                inst("i-m3", "mgr", Role::Manager, "InService"),
                inst("i-w1", "wrk", Role::Worker, "InService"),
                inst("i-w2", "wrk", Role::Worker, "Pending"),
                inst("i-w3", "wrk", Role::Worker, "InService"),
            ],
        }
    }

    #[test]
    fn only_groups_that_shrink_get_their_staying_instances_protected() {
        let p = protection(&inv(), &["i-m2".into(), "i-m3".into()]);
        assert_eq!(
            p,
            vec![GroupProtection {
                group: "mgr".into(),
                instances: vec!["i-m1".into()],
            }]
        );
        assert!(protection(&inv(), &[]).is_empty());
    }

    #[test]
    fn instances_not_in_service_cannot_be_protected_and_are_skipped() {
        let p = protection(&inv(), &["i-w1".into()]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].instances, vec!["i-w3".to_string()]);
    }
}
