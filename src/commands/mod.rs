//! The verbs: each module takes its parsed arguments and does the work. A verb that acts on a
//! cluster's hosts picks its [`crate::provider::Target`] once ([`shared::target`]: AWS, or the
//! sandbox with `--sandbox`) and then runs the same code for both.

pub mod api;
pub mod bootstrap;
pub mod completions;
pub mod context;
pub mod docker_env;
pub mod down;
pub mod events;
pub mod ls;
pub mod node;
pub mod sandbox_daemons;
pub mod scale;
pub mod scale_print;
pub mod shared;
pub mod status;
pub mod template;
pub mod tunnel;
pub mod up;
pub mod website;
pub mod website_drill;
pub mod website_sandbox;

use crate::cli::{Cli, Command};
use crate::Error;

/// Runs the verb the user asked for.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let global = &cli.global;
    match &cli.command {
        Command::Up(args) => up::run(global, args).await,
        Command::Scale(args) => scale::run(global, args).await,
        Command::Bootstrap(args) => bootstrap::run(global, args).await,
        Command::Down(args) => down::run(global, args).await,
        Command::Status(args) => status::run(global, args).await,
        Command::Ls => ls::run(global).await,
        Command::Events(args) => events::run(global, args).await,
        Command::Template(args) => template::run(global, args),
        Command::Website(args) => website::run(global, args).await,
        Command::Node(args) => node::run(global, args).await,
        Command::Service(args) => node::run_service(global, args).await,
        Command::Network(args) => node::run_network(global, args).await,
        Command::Stack(args) => node::run_stack(global, args).await,
        Command::DockerEnv(args) => docker_env::run(global, args).await,
        Command::Context(args) => context::run(global, args).await,
        Command::Tunnel(args) => tunnel::run(global, args).await,
        Command::Completions(args) => completions::run(args),
        Command::SandboxLb(args) => sandbox_daemons::lb(global, args).await,
        Command::WebsiteDns(args) => sandbox_daemons::website_dns(global, args).await,
    }
}
