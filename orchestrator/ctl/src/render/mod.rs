//! Rendering of client results as text (pure functions of the API answers and the time).

mod node;
mod ps;
mod service;

pub use node::{node_table, node_text};
pub use ps::{ps_rows, ps_table, PsRow};
pub use service::{mode_text, ports_text, replicas_text, service_pretty, service_table};
