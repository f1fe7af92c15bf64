//! Client verbs: talk to the local node's socket or to `--host` over mutual TLS.

use anyhow::{Context, Result};
use serde::Serialize;
use swarm_api::client::Client;
use swarm_api::node::{format_node_id, Role};
use swarm_manager::state_dir::load_certs_from;

use crate::cli::{ClientOpts, Format, NodeVerb, RoleArg, ServiceVerb};

/// A client of the local socket, or of `--host` over mutual TLS with `--cert-dir`.
pub(crate) fn client(o: &ClientOpts) -> Result<Client> {
    match &o.host {
        None => Ok(swarm_ctl::unix_client(o.state_dir.join("swarmd.sock"))),
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
            swarm_ctl::tls_client(
                host,
                None,
                &certs.ca_pem,
                &certs.node.cert_pem,
                &certs.node.key_pem,
            )
        }
    }
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A client verb whose work is one `swarm_ctl` runner: connect as [`ClientOpts`] say, run
/// `verb`, print to stdout.
macro_rules! ctl_verb {
    ($(#[$doc:meta])* $name:ident($verb:ty) => $run:path) => {
        $(#[$doc])*
        pub async fn $name(o: ClientOpts, verb: $verb) -> Result<()> {
            let c = client(&o)?;
            $run(&c, verb, o.format, &mut std::io::stdout().lock()).await
        }
    };
}

ctl_verb!(
    /// `swarmd node ...` (the verbs live in `swarm_ctl`).
    node(NodeVerb) => swarm_ctl::run_node
);
ctl_verb!(
    /// `swarmd service ...` (the verbs live in `swarm_ctl`).
    service(ServiceVerb) => swarm_ctl::run_service
);
ctl_verb!(
    /// `swarmd network ...` (the verbs live in `swarm_ctl`).
    network(swarm_ctl::NetworkVerb) => swarm_ctl::run_network
);
ctl_verb!(
    /// `swarmd secret ...` (the verbs live in `swarm_ctl`).
    secret(swarm_ctl::FileObjectVerb) => swarm_ctl::run_secret
);
ctl_verb!(
    /// `swarmd config ...` (the verbs live in `swarm_ctl`).
    config(swarm_ctl::FileObjectVerb) => swarm_ctl::run_config
);
ctl_verb!(
    /// `swarmd swarm ...` and `swarmd unlock` (the verbs live in `swarm_ctl`).
    swarm(swarm_ctl::SwarmVerb) => swarm_ctl::run_swarm
);

/// `swarmd stack ...` (the verbs live in `swarm_ctl`).
pub async fn stack(o: ClientOpts, verb: swarm_ctl::StackVerb) -> Result<()> {
    let c = client(&o)?;
    swarm_ctl::run_stack(
        &c,
        verb,
        o.format,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
    .await
}

ctl_verb!(
    /// `swarmd events` (the verb lives in `swarm_ctl`).
    events(swarm_ctl::EventsArgs) => swarm_ctl::run_events
);

/// `swarmd join-token`.
pub async fn join_token(o: ClientOpts, rotate: bool, quiet: bool, role: RoleArg) -> Result<()> {
    let role = match role {
        RoleArg::Worker => Role::Worker,
        RoleArg::Manager => Role::Manager,
    };
    let t = client(&o)?.join_token(role, rotate).await?;
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
    client(&o)?.leave(force).await?;
    if o.format == Format::Json {
        return print_json(&serde_json::json!({ "left": true }));
    }
    println!("Node left the swarm.");
    Ok(())
}

/// `swarmd info`.
pub async fn info(o: ClientOpts) -> Result<()> {
    let i = client(&o)?.info().await?;
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
    if let Some(sock) = &i.docker_socket {
        println!("Docker:   unix://{sock} (the docker CLI: DOCKER_HOST=unix://{sock})");
    }
    Ok(())
}
