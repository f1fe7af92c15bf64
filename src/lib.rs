//! `swarm-aws`: provision and run Docker-Swarm-mode clusters on AWS.

pub mod aws;
pub mod inventory;
pub mod stack;
pub mod website;
