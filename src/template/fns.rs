//! Helpers for CloudFormation intrinsic functions and tags.

use serde_json::{json, Value};

use crate::spec::ClusterSpec;

/// `{"Ref": name}`
pub fn r#ref(name: &str) -> Value {
    json!({ "Ref": name })
}

/// `{"Fn::GetAtt": [resource, attribute]}`
pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// `{"Fn::Sub": text}`
pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// `{"Fn::Join": [delimiter, items]}`
pub fn join(delimiter: &str, items: Vec<Value>) -> Value {
    json!({ "Fn::Join": [delimiter, items] })
}

/// The standard tags of a cluster resource: Name, the cluster, the role, then the user's tags.
pub fn tags(spec: &ClusterSpec, role: &str, name_suffix: &str) -> Vec<Value> {
    let mut out = vec![
        json!({ "Key": "Name", "Value": format!("{}-{}", spec.name, name_suffix) }),
        json!({ "Key": "swarm-aws:cluster", "Value": spec.name }),
        json!({ "Key": "swarm-aws:role", "Value": role }),
    ];
    out.extend(
        spec.tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v })),
    );
    out
}

/// Tags for an auto-scaling group: the same, each propagated to its instances.
pub fn asg_tags(spec: &ClusterSpec, role: &str, name_suffix: &str) -> Vec<Value> {
    tags(spec, role, name_suffix)
        .into_iter()
        .map(|mut t| {
            t["PropagateAtLaunch"] = json!(true);
            t
        })
        .collect()
}

/// Logical id of the public subnet in zone `index` (0-based): `PublicSubnet1`, `PublicSubnet2`, ...
pub fn subnet_id(index: usize) -> String {
    format!("PublicSubnet{}", index + 1)
}

/// `Ref`s to every public subnet.
pub fn subnet_refs(spec: &ClusterSpec) -> Vec<Value> {
    (0..spec.subnets.len())
        .map(|i| r#ref(&subnet_id(i)))
        .collect()
}
