//! Client verbs: talk to the local node's socket or to `--host` over mutual TLS.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use swarm_api::client::{Client, Target};
use swarm_api::control::{
    ForceRequest, InfoResponse, JoinTokenRequest, JoinTokenResponse, UpdateNodeRequest,
};
use swarm_api::node::{format_node_id, Availability, NodeView, Role};
use swarm_api::tls::client_config;
use swarm_manager::state_dir::load_certs_from;

use crate::cli::{ClientOpts, Format, NodeVerb, RoleArg};
use crate::output::{node_table, node_text};

fn client(o: &ClientOpts) -> Result<Client> {
    match &o.host {
        None => Ok(Client::new(Target::Unix(o.state_dir.join("swarmd.sock")))),
        Some(host) => {
            let dir = o
                .cert_dir
                .clone()
                .unwrap_or_else(|| o.state_dir.join("certs"));
            let certs = load_certs_from(&dir).with_context(|| {
                format!(
                    "--host needs a client certificate; none readable in {}",
                    dir.display()
                )
            })?;
            let cfg = client_config(&certs.ca_pem, &certs.node.cert_pem, &certs.node.key_pem)?;
            Ok(Client::new(Target::Tls {
                addr: host.clone(),
                config: cfg,
            }))
        }
    }
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn path(node: &str, verb: &str) -> String {
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

fn parse_labels(adds: &[String]) -> Result<BTreeMap<String, String>> {
    adds.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("invalid --label-add {s:?}: expected key=value"),
        })
        .collect()
}

/// `swarmd node ...`.
pub async fn node(o: ClientOpts, verb: NodeVerb) -> Result<()> {
    let c = client(&o)?;
    let json = o.format == Format::Json;
    match verb {
        NodeVerb::Ls => {
            let nodes: Vec<NodeView> = c.get("/v1/nodes").await?;
            if json {
                return print_json(&nodes);
            }
            let me = if o.host.is_none() {
                c.get::<InfoResponse>("/v1/info")
                    .await
                    .ok()
                    .map(|i| i.node_id)
            } else {
                None
            };
            print!("{}", node_table(&nodes, me));
        }
        NodeVerb::Inspect { node } => {
            let v: NodeView = c.get(&path(&node, "")).await?;
            if json {
                return print_json(&v);
            }
            print!("{}", node_text(&v));
        }
        NodeVerb::Promote { node } => {
            let v: NodeView = c.post(&path(&node, "promote"), &()).await?;
            done(
                json,
                &v,
                &format!(
                    "Node {} promoted to a manager in the swarm.",
                    format_node_id(v.node.id)
                ),
            )?;
        }
        NodeVerb::Demote { node } => {
            let v: NodeView = c.post(&path(&node, "demote"), &()).await?;
            done(
                json,
                &v,
                &format!(
                    "Manager {} demoted in the swarm.",
                    format_node_id(v.node.id)
                ),
            )?;
        }
        NodeVerb::Update {
            node,
            availability,
            label_add,
            label_rm,
        } => {
            let availability = availability
                .map(|a| a.parse::<Availability>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--availability: {e}"))?;
            let req = UpdateNodeRequest {
                availability,
                label_add: parse_labels(&label_add)?,
                label_rm,
            };
            let v: NodeView = c.post(&path(&node, "update"), &req).await?;
            done(json, &v, &format_node_id(v.node.id))?;
        }
        NodeVerb::Rm { node, force } => {
            c.post::<_, ()>(&path(&node, "rm"), &ForceRequest { force })
                .await?;
            if json {
                return print_json(&serde_json::json!({ "removed": node }));
            }
            println!("{node}");
        }
    }
    Ok(())
}

fn done(json: bool, v: &NodeView, text: &str) -> Result<()> {
    if json {
        print_json(v)
    } else {
        println!("{text}");
        Ok(())
    }
}

/// `swarmd join-token`.
pub async fn join_token(o: ClientOpts, rotate: bool, quiet: bool, role: RoleArg) -> Result<()> {
    let role = match role {
        RoleArg::Worker => Role::Worker,
        RoleArg::Manager => Role::Manager,
    };
    let t: JoinTokenResponse = client(&o)?
        .post("/v1/join-token", &JoinTokenRequest { role, rotate })
        .await?;
    if quiet {
        println!("{}", t.token);
    } else if o.format == Format::Json {
        print_json(&t)?;
    } else {
        if rotate {
            println!("Successfully rotated {role} join token.\n");
        }
        println!(
            "To add a {role} to this swarm, run the following command:\n\n    swarmd join --token {} {}\n",
            t.token, t.addr
        );
    }
    Ok(())
}

/// `swarmd leave`.
pub async fn leave(o: ClientOpts, force: bool) -> Result<()> {
    client(&o)?
        .post::<_, ()>("/v1/leave", &ForceRequest { force })
        .await?;
    if o.format == Format::Json {
        return print_json(&serde_json::json!({ "left": true }));
    }
    println!("Node left the swarm.");
    Ok(())
}

/// `swarmd info`.
pub async fn info(o: ClientOpts) -> Result<()> {
    let i: InfoResponse = client(&o)?.get("/v1/info").await?;
    if o.format == Format::Json {
        return print_json(&i);
    }
    println!(
        "Node:     {}\nRole:     {}\nLeader:   {}\nTerm:     {}\nApplied:  {}\nManagers: {}\nQuorum:   {}",
        format_node_id(i.node_id),
        i.role,
        i.leader.map(format_node_id).unwrap_or_else(|| "none".into()),
        i.term,
        i.last_applied.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
        i.voters.iter().map(|v| format_node_id(*v)).collect::<Vec<_>>().join(", "),
        if i.quorum { "yes" } else { "no" }
    );
    Ok(())
}
