//! `swarm-aws`: parse the command line, run the verb, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use swarm_aws::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(swarm_aws::commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            if e.exit_code() == 2 && !matches!(e, swarm_aws::Error::Stack(_)) {
                eprintln!("nothing was created or changed; fix the values above and run again");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
