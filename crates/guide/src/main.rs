//! `swarm-guide`: see the library's documentation.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The lifecycle consumer of a swarm-aws cluster's managers (runs beside swarmd; acts only on
/// the leader).
#[derive(Debug, Parser)]
#[command(name = "swarm-guide", version, about)]
struct Cli {
    /// The cluster's stack (its SSM parameters are /swarm-aws/STACK/...).
    #[arg(long, env = "SWARM_GUIDE_STACK")]
    stack: String,
    /// The stack's lifecycle queue URL.
    #[arg(long, env = "SWARM_GUIDE_QUEUE_URL")]
    queue_url: String,
    /// swarmd's state directory (its socket is used).
    #[arg(long, env = "SWARMD_STATE_DIR", default_value = "/var/lib/swarmd")]
    state_dir: PathBuf,
    /// The region (default: the standard chain's, IMDS on an instance).
    #[arg(long, env = "SWARM_GUIDE_REGION")]
    region: Option<String>,
    /// Seconds a node stays Down before it is removed once EC2 reports its instance gone.
    #[arg(long, env = "SWARM_GUIDE_DOWN_GRACE", default_value_t = 300)]
    down_grace: u64,
    /// Seconds of one long poll of the queue (at most 20).
    #[arg(long, env = "SWARM_GUIDE_POLL", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=20))]
    poll: u64,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWARM_GUIDE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(false)
        .init();
    let cli = Cli::parse();
    if cli.stack.trim().is_empty() || cli.queue_url.trim().is_empty() {
        eprintln!(
            "swarm-guide: --stack and --queue-url must not be empty (fix: give the stack name and \
             the LifecycleQueue URL, as the user data's unit does)"
        );
        std::process::exit(2);
    }
    let cloud = swarm_guide::cloud::Cloud::connect(cli.region).await;
    let cfg = swarm_guide::run::Config {
        stack: cli.stack,
        queue_url: cli.queue_url,
        state_dir: cli.state_dir,
        grace: Duration::from_secs(cli.down_grace),
        poll: Duration::from_secs(cli.poll),
    };
    tracing::info!(
        "swarm-guide for stack {}: queue {}, Down grace {} s",
        cfg.stack,
        cfg.queue_url,
        cfg.grace.as_secs()
    );
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    swarm_guide::run::run(cfg, cloud, stop).await;
}
