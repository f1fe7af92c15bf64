//! Local sandbox hosts: stand-ins for EC2 instances on this machine.
//!
//! Background: `swarm-aws up --sandbox` runs a whole cluster without AWS. Each "instance" becomes a
//! Linux network namespace with its own address on a private bridge and a real OpenSSH `sshd`, so the
//! SSH bootstrap runs exactly as it does against EC2.
//!
//! Design:
//! - [`plan`] (pure) derives every name and address from the cluster name: namespaces
//!   `swaws-<id>-<n>`, a bridge `swb<id>`, veths `swv<id>h<n>`, addresses in `10.213.<k>.0/24`
//!   (`.1` is the bridge in the root namespace, hosts start at `.10`). `<id>` is a stable hash of the
//!   cluster name, so a later process can clean up even without the state file.
//! - [`Sandbox`] creates, lists and destroys hosts and records them in a state dir
//!   (`$XDG_STATE_HOME/swarm-aws/sandbox/<cluster>/`). Hosts reach each other over the bridge and are
//!   reached from the root namespace, where `swarm-aws` runs; nothing is routed off this machine.
//! - Each host's `sshd` uses its own config, host key, pid file and log under the state dir, accepts
//!   only the cluster's public key for root (`UsePAM no`, no passwords).
//!
//! Limits: needs root (namespaces, bridges); IPv4 only; at most 200 hosts per cluster and 254
//! sandboxes per machine. When `br_netfilter` is loaded (Docker loads it), bridged traffic passes
//! the iptables FORWARD chain, so an ACCEPT rule for the bridge is inserted and removed with it.

mod cmd;
mod engine;
mod error;
mod hosts;
pub mod plan;
mod registry;
mod sshd;
mod state;
mod sweep;

pub use error::SandboxError;
pub use hosts::{sandbox_state_root, Sandbox, SandboxHost, HOST_ENV};
pub(crate) use state::{load_json, save_json};
