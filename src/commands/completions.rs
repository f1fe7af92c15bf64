//! `swarm-aws completions SHELL`: prints a completion script.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::Error;

/// Writes the completion script for the shell to stdout.
pub fn run(args: &CompletionsArgs) -> Result<(), Error> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "swarm-aws", &mut std::io::stdout());
    Ok(())
}
