//! Client verbs of the swarmd orchestrator, shared by `swarmd` and `swarm-aws`.
//!
//! Each verb family is a clap [`Subcommand`](clap::Subcommand) enum ([`NodeVerb`],
//! [`ServiceVerb`]) and one async entry point ([`run_node`], [`run_service`]) that talks to a
//! manager through a [`swarm_api::client::Client`] (unix socket or mutual TLS; the caller builds
//! it) and writes the result to any [`std::io::Write`]. Rendering is pure ([`render`]), as is
//! the convergence check of `--detach=false` ([`progress`]).
//!
//! ```ignore
//! // A manager behind an SSH tunnel: connect to the local end, verify the manager's name.
//! let client = swarm_ctl::tls_client("127.0.0.1:40123", Some("10.0.1.5"), &ca, &cert, &key)?;
//! #[derive(clap::Subcommand)]
//! enum Cmd {
//!     #[command(subcommand)]
//!     Service(swarm_ctl::ServiceVerb),
//! }
//! // ...
//! swarm_ctl::run_service(&client, verb, swarm_ctl::Format::Table, &mut std::io::stdout()).await?;
//! ```

pub mod checked;
pub mod connect;
pub mod container_args;
pub mod dns_args;
pub mod events;
pub mod file_args;
pub mod filter;
pub mod format;
pub mod network;
pub mod network_args;
pub mod network_create;
pub mod node;
pub mod node_ps;
pub mod policy_args;
pub mod progress;
pub mod render;
pub mod secret;
pub mod service;
pub mod service_args;
pub mod service_create;
pub mod service_edit;
pub mod stack;
pub mod swarm;
pub mod table;
pub mod time;
pub mod update_values;

pub use connect::{tls_client, unix_client};
pub use events::{run_events, EventsArgs};
pub use format::Format;
pub use network::{run_network, NetworkVerb};
pub use node::{run_node, NodeVerb};
pub use secret::{run_config, run_secret, FileObjectVerb};
pub use service::{run_service, ServiceVerb};
pub use stack::{run_stack, StackVerb};
pub use swarm::{run_swarm, SwarmVerb};

/// Whether `e` is bad input (a flag value or a compose file): the CLIs exit 2 for it.
pub fn is_input_error(e: &anyhow::Error) -> bool {
    e.downcast_ref::<swarm_api::spec_error::SpecError>()
        .is_some()
        || e.downcast_ref::<swarm_compose::ComposeError>().is_some()
}
