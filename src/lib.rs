//! swarm-aws: provision and run Docker-Swarm-mode clusters on AWS.
//!
//! The crate renders CloudFormation from a validated cluster spec ([`spec`] → [`template`]), and
//! the [`commands`] act on it. Rendering is pure; everything that touches AWS, SSH or the local
//! machine lives behind the command layer: [`aws`] (SDK configuration), [`stack`] (the
//! CloudFormation lifecycle and its live progress), [`inventory`] (instances of a cluster) and
//! [`website`] (the failover website's load balancers and records; [`website_sandbox`] its local DNS and
//! health check in the sandbox, over the sandbox LBs that stand for [`elb_view`]), with [`keypair`],
//! [`scale_in`] and [`cloud_error`]; [`preflight`] asks IAM first whether the caller may do it all. The verbs reach the hosts through one [`provider`] per command
//! (AWS instances, or local [`sandbox`] hosts standing for the emulator's instances), bootstrap
//! them over [`ssh`] ([`bootstrap`]) and manage the cluster through its API ([`cluster_api`]); [`tunnel`] keeps a local port forwarded
//! to the leader for the docker CLI.
//! See `DESIGN.md` in the steering repo for the map.

pub mod aws;
pub mod bootstrap;
pub mod cli;
pub mod cloud_error;
pub mod cluster_api;
pub mod commands;
pub mod elb_view;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod keypair;
pub mod lifecycle;
pub mod preflight;
pub mod provider;
pub mod sandbox;
pub mod scale_in;
pub mod self_join;
pub use swarm_aws_spec as spec;
pub mod ssh;
pub mod stack;
pub mod template;
pub mod tunnel;
pub mod website;
pub mod website_sandbox;

pub use error::Error;
