//! The output format of every client verb (`--format table|json`).

use std::io::Write;

use serde::Serialize;

/// Output formats of client verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable table or text.
    #[default]
    Table,
    /// JSON.
    Json,
}

/// Writes `v` as pretty JSON and a newline.
pub fn write_json<T: Serialize>(out: &mut impl Write, v: &T) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(v)?)?;
    Ok(())
}
