//! Wire types of the swarmd orchestrator: nodes, services, tasks and their specs and states.

// Services and tasks (issue 6).
pub mod constraint;
mod kv;
pub mod mount;
pub mod publish;
pub mod resources;
pub mod restart;
pub mod service;
pub mod service_flags;
pub mod spec_error;
pub mod task;
