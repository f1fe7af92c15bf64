//! `swarm-guide`: the lifecycle consumer of a swarm-aws cluster, as Docker for AWS's `guide-aws`.
//!
//! It runs beside swarmd on every manager (a systemd unit installed by the user data and by the
//! SSH bootstrap alike) and acts only while its manager is the Raft leader:
//!
//! - **Terminations drain first.** It long-polls the stack's lifecycle queue (SQS), where the
//!   groups' terminate hooks send `autoscaling:EC2_INSTANCE_TERMINATING`; for each it finds the
//!   node by its `swarm-aws.instance-id` label (written at join), drains it, waits until its tasks
//!   run elsewhere, demotes a manager (never below quorum: it says so, heartbeats the lifecycle
//!   action and waits for a replacement), removes the node, then completes the action
//!   (`CONTINUE`) and deletes the message ([`plan`], [`run`]).
//! - **Down nodes whose instance is gone go.** A node Down for longer than the grace period whose
//!   instance EC2 reports terminated (or does not know) is removed; a manager only while the
//!   remaining managers keep a reachable majority ([`reap`]).
//! - **The join parameters stay current.** The managers' addresses (leader first) and the join
//!   tokens after a rotation are written back to the stack's SSM parameters ([`params`]).
//!
//! Design: the decisions are pure functions of the membership as the leader sees it
//! ([`plan::View`]) and are recomputed before every step, so the consumer keeps no state that
//! matters: a restart, a failed call or a leader change resumes where the cluster is. swarmd is
//! reached through its node-local socket with `swarm-api`'s client ([`swarm`]); AWS through
//! aws-sdk-rust with the instance role ([`cloud`]). swarmd itself has no AWS dependency.
//!
//! Limits: on the emulator (moto) no hook exists and nothing is ever sent to the queue; the
//! sandbox posts the same body for the instances it terminates ([`message::termination_body`]),
//! and moto's missing `CompleteLifecycleAction` / `RecordLifecycleActionHeartbeat` (an HTML 500)
//! are said in the log and skipped. A node without the instance label is never touched.

pub mod cloud;
pub mod message;
pub mod params;
pub mod plan;
pub mod reap;
pub mod run;
pub mod swarm;
