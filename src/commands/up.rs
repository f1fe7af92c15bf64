//! `swarm-aws up`.

use crate::cli::{GlobalArgs, UpArgs};
use crate::Error;

/// Runs `swarm-aws up`.
pub async fn run(_global: &GlobalArgs, _args: &UpArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("up"))
}
