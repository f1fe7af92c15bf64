//! Bootstrapping `swarmd` onto hosts over SSH (like k3sup, but with host keys checked).
//!
//! Background: after the stack is up, `swarm-aws` installs the static `swarmd` on every instance,
//! initialises the first manager, joins the other managers one by one (each must be a Raft voter
//! before the next joins, so quorum never depends on a half-joined manager), joins the workers in
//! parallel (bounded) and waits until `node ls` shows every node Ready.
//!
//! Design:
//! - [`plan()`] (pure) decides the steps from the hosts and the membership read from the cluster:
//!   hosts already in it are skipped, so re-runs are no-ops and interrupted runs resume.
//! - [`remote`] knows where swarmd lives on a host ([`RemoteLayout`]), renders the start wrapper,
//!   env file (mode 0600, holds the join token) and systemd unit, and runs the remote commands.
//! - [`bootstrap`] runs it all; progress goes to stderr; errors name the host and the step.
//! - [`sandbox_up_with`] / [`sandbox_down`] do the same on local sandbox hosts; which host
//!   stands for which instance is the [`roster`]'s (see `crate::provider`).
//! - [`swarmd_on_manager`] runs a `swarmd` client verb on a manager over SSH (`swarm-aws node ...`
//!   goes through [`crate::cluster_api`] instead: the forwarded mutual-TLS API).
//!
//! Limits: a host in the cluster with the wrong role is reported, not promoted or demoted; the
//! join token stays in the env file after the join.

mod arch;
mod aws;
mod error;
pub mod guide;
mod members;
pub mod nodes;
mod passthrough;
pub mod plan;
pub mod remote;
pub mod roster;
pub(crate) mod run;
mod sandbox;
pub mod scale_plan;
mod shrink;

pub use arch::{elf_arch, normalize_arch, sha256_hex, Binaries, Binary};
pub use aws::{aws_host, aws_hosts, aws_options, AWS_SSH_USER};
pub use error::BootstrapError;
pub use members::{members_of, staying_managers, take_out};
pub use nodes::{ManagerStatus, NodeRole, NodeRow, NodeStatus, NodeTable};
pub use passthrough::{swarmd_command, swarmd_on_manager};
pub use plan::{plan, HostFacts, Plan, PlanError};
pub use remote::{RemoteLayout, ServiceMode};
pub use run::{
    all_ready, bootstrap, bootstrap_report, BootstrapHost, BootstrapOptions, BootstrapReport,
    JoinMaterial, PhaseTimings, SWARMD_PORT,
};
pub use sandbox::{sandbox_down, sandbox_inventory, sandbox_options, sandbox_up_with};
pub use scale_plan::{scale_plan, Departure, Member, ScaleError, ScalePlan};
pub use shrink::{remove_nodes, LeaveReport};
