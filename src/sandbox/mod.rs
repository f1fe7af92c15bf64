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
//! - Each host runs its own container engine (`engine.rs`): a `dockerd` started with
//!   `nsenter --net` in its namespace, data root under the host's state dir, socket, pid file and
//!   exec root under `/run/swarm-aws/engines/<netns>`, containers in the cgroup `/<netns>`. The
//!   host tells swarmd its socket through `etc/swarmd/host.env` ([`HOST_ENV`]), which swarmd's
//!   start wrapper reads. All hosts' engines start at once; `create`/`add_hosts` return once
//!   every sshd listens and every engine answers `/_ping`.
//! - Each host offers the scheduler its share of this machine (`share.rs`: machine / hosts at
//!   `up`, recorded in the state so hosts added later match), through `SWARMD_CPUS` and
//!   `SWARMD_MEMORY` in the same file, as an instance offers its type's CPUs and memory.
//! - The sandbox runs an image registry (`registry.rs`) on the gateway, named
//!   `127.213.<k>.1:5000` in image references (DNAT in the root namespace and in each host's),
//!   so `docker push` from this machine and the hosts' pulls use one name.
//! - Teardown (`sweep.rs`) kills the engine's containers through its cgroup, lets dockerd shut
//!   down (SIGTERM), kills what is left in the namespace, unmounts everything below the engine's
//!   dirs (fuse-overlayfs rootfs, nsfs, the data root's bind mount), removes its cgroups and run
//!   dir, then the namespace, veth, bridge, comment-tagged iptables rules and state. It works
//!   after SIGKILL too (measured: dockerd leaves its mounts and shims then).
//!
//! - With `up --monitoring` (`monitoring.rs`), every host's swarmd serves `/metrics` on its
//!   TLS port (`SWARMD_METRICS_ADDR=tls` in `host.env`) and a Prometheus on this machine's
//!   loopback scrapes them all with an admin certificate of its own; it follows the hosts and
//!   goes with the sandbox.
//!
//! - `up --sandbox` starts a load balancer standing for the cluster's ELB (`lb/`): a TCP proxy
//!   on `127.213.<k>.2` with the ELB's listeners, spreading connections over the hosts whose
//!   health check answers; it goes with the sandbox.
//!
//! - A host made for an instance the CLI does not bootstrap (a replacement, [`boot`]) runs its
//!   launch template's user data, with what an instance has (the emulator, role credentials, an
//!   IMDS stand-in, its own `/etc`, `/usr/local` and `/var`).
//!
//! Measured here: an engine answers `/_ping` ~0.5 s after start; dockerd's SIGTERM shutdown
//! with its containers already killed takes ~1.2 s. The kernel has no IPVS: Docker's own VIPs
//! and routing mesh do not work in these engines (swarmd's mesh does not use them).
//!
//! Limits: needs root (namespaces, bridges); IPv4 only; at most 200 hosts per cluster and 254
//! sandboxes per machine. When `br_netfilter` is loaded (Docker loads it), bridged traffic passes
//! the iptables FORWARD chain, so an ACCEPT rule for the bridge is inserted and removed with it.

pub mod boot;
mod cmd;
pub mod detached;
mod engine;
mod error;
mod hosts;
pub mod lb;
pub mod monitoring;
pub mod plan;
mod registry;
mod share;
mod sshd;
mod state;
mod sweep;

pub use error::SandboxError;
pub use hosts::{sandbox_state_root, Sandbox, SandboxHost, HOST_ENV};
pub(crate) use state::{load_json, save_json};
