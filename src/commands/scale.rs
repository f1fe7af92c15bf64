//! `swarm-aws scale`.

use crate::cli::{GlobalArgs, ScaleArgs};
use crate::Error;

/// Runs `swarm-aws scale`.
pub async fn run(_global: &GlobalArgs, _args: &ScaleArgs) -> Result<(), Error> {
    Err(Error::NotImplemented("scale"))
}
