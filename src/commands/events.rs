//! `swarm-aws events`.

use crate::cli::{EventsArgs, GlobalArgs};
use crate::Error;

/// Runs `swarm-aws events`.
pub async fn run(_global: &GlobalArgs, _args: &EventsArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("events"))
}
