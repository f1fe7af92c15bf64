//! `swarm-aws status`.

use crate::cli::{GlobalArgs, NameArgs};
use crate::Error;

/// Runs `swarm-aws status`.
pub async fn run(_global: &GlobalArgs, _args: &NameArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("status"))
}
