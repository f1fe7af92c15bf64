//! swarm-aws: provision and run Docker-Swarm-mode clusters on AWS.
//!
//! The crate renders CloudFormation from a validated cluster spec ([`spec`] → [`template`]), and
//! the [`commands`] act on it. Rendering is pure; everything that touches AWS, SSH or the local
//! machine lives behind the command layer. See `DESIGN.md` in the steering repo for the map.

pub mod bootstrap;
pub mod cli;
pub mod commands;
pub mod error;
pub mod sandbox;
pub mod spec;
pub mod ssh;
pub mod template;

pub use error::Error;
