//! `network create|ls|inspect|rm|prune`: the verbs and their calls to the manager (routes and
//! bodies in `swarm_api::network_api`), with docker's flags and output.

use std::io::Write;

use anyhow::{bail, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use swarm_api::client::Client;
use swarm_api::network_api::NetworkView;

use crate::format::{write_json, Format};
use crate::network_create::NetworkCreateArgs;
use crate::table::table;

/// `network ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum NetworkVerb {
    /// Create an overlay network.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(visible_alias = "list")]
    Ls {
        /// Only display network IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Do not truncate the output.
        #[arg(long)]
        no_trunc: bool,
    },
    /// Display detailed information on one or more networks.
    Inspect {
        /// Network names or ids.
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Remove one or more networks.
    #[command(visible_alias = "remove")]
    Rm {
        /// Network names or ids.
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Remove all networks no service uses.
    Prune {
        /// Do not prompt for confirmation (the prune never prompts here).
        #[arg(short, long)]
        force: bool,
    },
}

/// Docker's `network inspect` shape of a network (plus `Services` and the addresses).
pub fn inspect_json(v: &NetworkView) -> Value {
    let n = &v.network;
    let config: Vec<Value> = n
        .spec
        .ipam
        .iter()
        .map(|c| {
            let mut o = json!({ "Subnet": c.subnet, "Gateway": c.gateway });
            if let Some(r) = &c.ip_range {
                o["IPRange"] = json!(r);
            }
            o
        })
        .collect();
    let mut options = serde_json::Map::new();
    options.insert(
        "com.docker.network.driver.overlay.vxlanid_list".into(),
        json!(n.vni.to_string()),
    );
    for (k, val) in &n.spec.options {
        options.insert(k.clone(), json!(val));
    }
    json!({
        "Name": n.spec.name,
        "Id": n.id,
        "CreatedAtMs": n.created_at_ms,
        "Scope": "swarm",
        "Driver": n.spec.driver,
        "EnableIPv6": false,
        "IPAM": { "Driver": "default", "Options": null, "Config": config },
        "Internal": n.spec.internal,
        "Attachable": n.spec.attachable,
        "Ingress": n.spec.ingress,
        "Options": options,
        "Labels": n.spec.labels,
        "Services": v.services,
        "Endpoints": v.endpoints.iter().map(|e| json!({
            "Name": e.name, "IPv4Address": e.addr, "Kind": e.kind
        })).collect::<Vec<_>>(),
    })
}

/// The `network ls` table.
pub fn ls_table(list: &[NetworkView], no_trunc: bool) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let id = if no_trunc {
                v.network.id.clone()
            } else {
                v.network.id.chars().take(12).collect()
            };
            vec![
                id,
                v.network.spec.name.clone(),
                v.network.spec.driver.clone(),
                "swarm".into(),
            ]
        })
        .collect();
    table(&["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)
}

/// Runs one network verb against `client` (a manager), writing the result to `out`.
pub async fn run_network(
    client: &Client,
    verb: NetworkVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json_out = format == Format::Json;
    match verb {
        NetworkVerb::Create(args) => {
            let spec = args.into_spec()?;
            let v = client.networks().create(&spec).await?;
            if json_out {
                return write_json(out, &inspect_json(&v));
            }
            writeln!(out, "{}", v.network.id)?;
            Ok(())
        }
        NetworkVerb::Ls { quiet, no_trunc } => {
            let mut list = client.networks().ls().await?;
            list.sort_by(|a, b| a.network.spec.name.cmp(&b.network.spec.name));
            if json_out {
                let v: Vec<Value> = list.iter().map(inspect_json).collect();
                return write_json(out, &v);
            }
            if quiet {
                for v in &list {
                    writeln!(out, "{}", v.network.id)?;
                }
                return Ok(());
            }
            write!(out, "{}", ls_table(&list, no_trunc))?;
            Ok(())
        }
        NetworkVerb::Inspect { networks } => {
            let mut all = Vec::new();
            let mut failures = Vec::new();
            for key in &networks {
                match client.networks().inspect(key).await {
                    Ok(v) => all.push(inspect_json(&v)),
                    Err(e) => failures.push(format!("{key}: {e}")),
                }
            }
            write_json(out, &all)?;
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
            Ok(())
        }
        NetworkVerb::Rm { networks } => {
            let mut failures = Vec::new();
            for key in &networks {
                match client.networks().rm(key).await {
                    Ok(()) => writeln!(out, "{key}")?,
                    Err(e) => failures.push(format!("{key}: {e}")),
                }
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("\n"));
            }
            Ok(())
        }
        NetworkVerb::Prune { force: _ } => {
            let r = client.networks().prune().await?;
            if json_out {
                return write_json(out, &r);
            }
            if !r.removed.is_empty() {
                writeln!(out, "Deleted Networks:")?;
                for n in &r.removed {
                    writeln!(out, "{n}")?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::network::{IpamConfig, Network, NetworkSpec};

    fn view() -> NetworkView {
        NetworkView {
            network: Network {
                id: "abcdefghijklmnopqrstuvwxy".into(),
                spec: NetworkSpec {
                    name: "backend".into(),
                    driver: "overlay".into(),
                    ipam: vec![IpamConfig {
                        subnet: "10.0.9.0/24".into(),
                        gateway: "10.0.9.1".into(),
                        ip_range: Some("10.0.9.128/25".into()),
                    }],
                    internal: true,
                    ..Default::default()
                },
                vni: 4098,
                created_at_ms: 0,
                cursors: vec![],
            },
            services: vec!["db".into()],
            endpoints: vec![],
        }
    }

    #[test]
    fn ls_is_dockers_table() {
        assert_eq!(
            ls_table(&[view()], false),
            "NETWORK ID     NAME      DRIVER    SCOPE\nabcdefghijkl   backend   overlay   swarm\n"
        );
    }

    #[test]
    fn inspect_has_dockers_fields() {
        let v = inspect_json(&view());
        assert_eq!(v["Name"], "backend");
        assert_eq!(v["Scope"], "swarm");
        assert_eq!(v["Internal"], true);
        assert_eq!(v["IPAM"]["Config"][0]["Subnet"], "10.0.9.0/24");
        assert_eq!(v["IPAM"]["Config"][0]["IPRange"], "10.0.9.128/25");
        assert_eq!(
            v["Options"]["com.docker.network.driver.overlay.vxlanid_list"],
            "4098"
        );
        assert_eq!(v["Services"][0], "db");
    }
}
