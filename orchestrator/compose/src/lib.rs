//! Compose files for swarmd stacks (`stack deploy -c FILE [-c FILE ...] STACK`), pure.
//!
//! The path: [`load::load`] parses each file as YAML (errors carry the file, line and column),
//! removes `x-*` extensions, interpolates variables ([`interpolate`]: `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `$$`; the process environment over the
//! `.env` beside the first file, [`env`]), merges the files in order with the compose
//! specification's rules ([`merge`]), takes out the keys swarm ignores with docker's warnings,
//! and reads the result into a typed model ([`model`]) that refuses unknown keys and wrong
//! types by key path (`services.web.deploy.replicas: expected a number, got string "x"`).
//! [`map::plan`] then maps the model onto swarm-api's `NetworkSpec`s and `ServiceSpec`s with
//! docker's names and labels.
//!
//! Why our own model over `serde_yaml` and not `docker-compose-types`: interpolation and
//! merging must happen on the YAML tree before typing (a `replicas: ${N}` is a string until
//! interpolated), so the typed read is of a merged `serde_yaml::Value` and positions are gone
//! by then; what is left to name a problem is the key path, which `serde_path_to_error` gives
//! for our `deny_unknown_fields` structs. `docker-compose-types` accepts unknown keys into
//! extension maps and models many keys swarm cannot run, so a typo would pass silently, and
//! its loose enums would have to be re-validated here anyway. `serde_yaml` is the YAML
//! parser the workspace already uses (its maintained fork `serde_norway` keeps the same API,
//! a one-line switch).
//!
//! No I/O here: the caller reads the files and passes their texts, the `.env` text and a file
//! reader for `env_file` and secret/config files ([`map::Context`]).

pub mod env;
pub mod error;
pub mod interpolate;
pub mod load;
pub mod map;
pub mod merge;
pub mod model;
mod shell;

pub use error::ComposeError;
pub use load::{load, Loaded, Source};
pub use map::{plan, Context, StackPlan, IMAGE_LABEL, NAMESPACE_LABEL};
