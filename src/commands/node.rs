//! `swarm-aws node ls|inspect|update|promote|demote|rm`: the cluster's node verbs, run against
//! its leader through [`super::api::connect_api`] (SSH tunnel, admin certificate).
//!
//! `--output json` prints what the API returns (the same documents as `swarmd node ... --format
//! json`); text output is the `node ls` table, or the JSON document for single nodes.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use swarm_api::control::{ForceRequest, UpdateNodeRequest};
use swarm_api::node::Availability;

use super::api::connect_api;
use super::shared::{print_json, print_text};
use crate::bootstrap::NodeTable;
use crate::cli::{GlobalArgs, NodeArgs, NodeVerb, OutputFormat};
use crate::cluster_api::{ClusterApi, ClusterApiError};
use crate::spec::FieldError;
use crate::Error;

/// `/v1/nodes/<key>[/<verb>]` with the key percent-encoded (pure).
pub fn node_path(node: &str, verb: &str) -> String {
    let enc: String = node
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    if verb.is_empty() {
        format!("/v1/nodes/{enc}")
    } else {
        format!("/v1/nodes/{enc}/{verb}")
    }
}

/// `--label-add KEY=VALUE` pairs (pure).
pub fn parse_labels(adds: &[String]) -> Result<BTreeMap<String, String>, FieldError> {
    adds.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(FieldError::new(
                "label-add",
                s,
                "expected KEY=VALUE, e.g. --label-add zone=a",
            )),
        })
        .collect()
}

async fn get<R: DeserializeOwned>(api: &ClusterApi, path: &str) -> Result<R, Error> {
    api.client().get(path).await.map_err(|source| {
        Error::ClusterApi(ClusterApiError::Api {
            host: api.manager().id.clone(),
            step: format!("GET {path}"),
            source: Box::new(source),
        })
    })
}

async fn post<B: Serialize, R: DeserializeOwned>(
    api: &ClusterApi,
    path: &str,
    body: &B,
) -> Result<R, Error> {
    api.client().post(path, body).await.map_err(|source| {
        Error::ClusterApi(ClusterApiError::Api {
            host: api.manager().id.clone(),
            step: format!("POST {path}"),
            source: Box::new(source),
        })
    })
}

fn print(global: &GlobalArgs, value: &Value, text: impl FnOnce() -> String) -> Result<(), Error> {
    match global.output {
        OutputFormat::Json => print_json(value),
        OutputFormat::Text => print_text(&text()),
    }
}

fn pretty(v: &Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// Runs `swarm-aws node ...`.
pub async fn run(global: &GlobalArgs, args: &NodeArgs) -> Result<(), Error> {
    // Check the input before connecting.
    let update = match &args.verb {
        NodeVerb::Update {
            availability,
            label_add,
            label_rm,
            ..
        } => {
            let availability = availability
                .as_deref()
                .map(|a| {
                    a.parse::<Availability>()
                        .map_err(|e| FieldError::new("availability", a, e.to_string()))
                })
                .transpose()
                .map_err(|e| Error::Fields(vec![e]))?;
            let label_add = parse_labels(label_add).map_err(|e| Error::Fields(vec![e]))?;
            Some(UpdateNodeRequest {
                availability,
                label_add,
                label_rm: label_rm.clone(),
            })
        }
        _ => None,
    };
    let api = connect_api(global, &args.target).await?;
    let result = verb(global, &api, &args.verb, update).await;
    api.close().await;
    result
}

async fn verb(
    global: &GlobalArgs,
    api: &ClusterApi,
    verb: &NodeVerb,
    update: Option<UpdateNodeRequest>,
) -> Result<(), Error> {
    match verb {
        NodeVerb::Ls => {
            let nodes: Value = get(api, "/v1/nodes").await?;
            print(global, &nodes, || {
                match NodeTable::parse(&nodes.to_string()) {
                    Ok(t) => t.render(),
                    Err(_) => pretty(&nodes),
                }
            })
        }
        NodeVerb::Inspect { node } => {
            let v: Value = get(api, &node_path(node, "")).await?;
            print(global, &v, || pretty(&v))
        }
        NodeVerb::Update { node, .. } => {
            let req = update.unwrap_or_default();
            let v: Value = post(api, &node_path(node, "update"), &req).await?;
            print(global, &v, || {
                format!("{}\n", v["id"].as_str().unwrap_or(node))
            })
        }
        NodeVerb::Promote { node } => {
            let v: Value = post(api, &node_path(node, "promote"), &()).await?;
            print(global, &v, || {
                format!(
                    "Node {} promoted to a manager.\n",
                    v["id"].as_str().unwrap_or(node)
                )
            })
        }
        NodeVerb::Demote { node } => {
            let v: Value = post(api, &node_path(node, "demote"), &()).await?;
            print(global, &v, || {
                format!("Manager {} demoted.\n", v["id"].as_str().unwrap_or(node))
            })
        }
        NodeVerb::Rm { node, force } => {
            post::<_, ()>(api, &node_path(node, "rm"), &ForceRequest { force: *force }).await?;
            print(global, &json!({ "removed": node }), || format!("{node}\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_and_labels_parsed() {
        assert_eq!(node_path("worker-1", ""), "/v1/nodes/worker-1");
        assert_eq!(node_path("a b/c", "rm"), "/v1/nodes/a%20b%2Fc/rm");
        let l = parse_labels(&["zone=a".into(), "empty=".into()]).unwrap();
        assert_eq!(l.get("zone").map(String::as_str), Some("a"));
        assert_eq!(l.get("empty").map(String::as_str), Some(""));
        let e = parse_labels(&["=x".into()]).unwrap_err();
        assert_eq!(e.field, "label-add");
    }
}
