//! `swarmd`: the bundled Swarm-mode orchestrator (daemon and client verbs).
//!
//! `swarmd init|join|run` run the node in the foreground (for systemd); every other verb is a
//! client of a node: the local unix socket in `--state-dir`, or `--host ADDR` over mutual TLS with
//! a certificate of the cluster CA. Every client verb accepts `--format json`.

mod addr;
mod admin_cmd;
mod argv;
#[cfg(test)]
mod book_tests;
mod cli;
mod client_cmd;
mod daemon_cmd;
mod metrics_addr;
mod netinfo;

use clap::Parser;
use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse_from(argv::hoist_client_options(std::env::args_os().collect()));
    let daemon = matches!(
        cli.command,
        Command::Init { .. } | Command::Join { .. } | Command::Run { .. }
    );
    if daemon {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=warn"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(dispatch(cli.command)) {
        eprintln!("Error: {e:#}");
        // Bad flag values exit 2, as usage errors do.
        let input = e.downcast_ref::<addr::BadInput>().is_some() || swarm_ctl::is_input_error(&e);
        std::process::exit(if input { 2 } else { 1 });
    }
}

async fn dispatch(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Init {
            daemon,
            addrs,
            force_new_cluster,
            autolock,
        } => daemon_cmd::init(daemon, addrs, force_new_cluster, autolock).await,
        Command::Join {
            daemon,
            addrs,
            token,
            manager_addr,
        } => daemon_cmd::join(daemon, addrs, token, manager_addr).await,
        Command::Run { daemon } => daemon_cmd::run(daemon).await,
        Command::Leave { client, force } => client_cmd::leave(client, force).await,
        Command::Node { client, verb } => client_cmd::node(client, verb).await,
        Command::Service { client, verb } => client_cmd::service(client.into(), verb).await,
        Command::Network { client, verb } => client_cmd::network(client, verb).await,
        Command::Secret { client, verb } => client_cmd::secret(client, verb).await,
        Command::Config { client, verb } => client_cmd::config(client, verb).await,
        Command::Swarm { client, verb } => client_cmd::swarm(client, verb).await,
        Command::Unlock { client } => client_cmd::swarm(client, swarm_ctl::SwarmVerb::Unlock).await,
        Command::Stack { client, verb } => client_cmd::stack(client, verb).await,
        Command::JoinToken {
            client,
            rotate,
            quiet,
            role,
        } => client_cmd::join_token(client, rotate, quiet, role).await,
        Command::Info { client } => client_cmd::info(client).await,
        Command::Events { client, args } => client_cmd::events(client, args).await,
        Command::AdminCert {
            client,
            action: None,
            csr_file,
            name,
            days,
        } => admin_cmd::admin_cert(client, csr_file, name, days).await,
        Command::AdminCert {
            client,
            action: Some(action),
            csr_file,
            ..
        } => admin_cmd::admin_certs(client, action, csr_file).await,
    }
}
