//! Client verbs of the swarmd orchestrator, shared by `swarmd` and `swarm-aws`.
//!
//! Each verb family is a clap [`Subcommand`](clap::Subcommand) enum ([`NodeVerb`],
//! [`ServiceVerb`]) and one async entry point ([`run_node`], [`run_service`]) that talks to a
//! manager through a [`swarm_api::client::Client`] (unix socket or mutual TLS; the caller builds
//! it) and writes the result to any [`std::io::Write`]. Rendering is pure ([`render`]), as is
//! the convergence check of `--detach=false` ([`progress`]).
//!
//! ```ignore
//! #[derive(clap::Subcommand)]
//! enum Cmd {
//!     #[command(subcommand)]
//!     Service(swarm_ctl::ServiceVerb),
//! }
//! // ...
//! swarm_ctl::run_service(&client, verb, swarm_ctl::Format::Table, &mut std::io::stdout()).await?;
//! ```

pub mod format;
pub mod node;
pub mod progress;
pub mod render;
pub mod routes;
pub mod service;
pub mod service_args;
pub mod table;
pub mod time;

pub use format::Format;
pub use node::{run_node, NodeVerb};
pub use service::{run_service, ServiceVerb};
