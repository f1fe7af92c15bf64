//! `swarm-aws down`.

use crate::cli::{DownArgs, GlobalArgs};
use crate::Error;

/// Runs `swarm-aws down`.
pub async fn run(_global: &GlobalArgs, _args: &DownArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("down"))
}
