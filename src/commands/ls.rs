//! `swarm-aws ls`.

use crate::cli::GlobalArgs;
use crate::Error;

/// Runs `swarm-aws ls`.
pub async fn run(_global: &GlobalArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("ls"))
}
