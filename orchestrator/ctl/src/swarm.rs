//! `swarm update --autolock`, `swarm unlock-key [--rotate] [-q]` and `swarm unlock` (also
//! `swarmd unlock`), with docker's wording. The unlock key is printed only by the verbs that
//! exist to show it.

use std::io::{BufRead, Write};

use anyhow::{bail, Result};
use clap::Subcommand;
use swarm_api::client::Client;
use swarm_api::swarm_lock::SwarmUpdateRequest;

use crate::format::{write_json, Format};

/// `swarm ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SwarmVerb {
    /// Update the swarm (autolock).
    Update {
        /// Change manager autolocking setting (true|false).
        #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
        autolock: Option<bool>,
    },
    /// Manage the unlock key.
    UnlockKey {
        /// Rotate unlock key.
        #[arg(long)]
        rotate: bool,
        /// Only display the key.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Unlock a locked manager (the key is read from STDIN).
    Unlock,
}

/// Docker's text around an unlock key, adapted to swarmd.
pub fn unlock_key_text(key: &str) -> String {
    format!(
        "To unlock a swarm manager after it restarts, run the `swarmd unlock`\ncommand and provide the following key:\n\n    {key}\n\nPlease remember to store this key in a password manager, since without it you\nwill not be able to restart the manager.\n"
    )
}

/// Reads the unlock key: one line from `input` (the terminal or a pipe).
pub fn read_unlock_key(input: &mut impl BufRead, prompt: &mut impl Write) -> Result<String> {
    write!(prompt, "Please enter unlock key: ")?;
    prompt.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    let key = line.trim().to_string();
    if key.is_empty() {
        bail!("no unlock key given (fix: type the SWMKEY-1-... key, or pipe it to STDIN)");
    }
    Ok(key)
}

/// Runs one swarm verb.
pub async fn run_swarm(
    client: &Client,
    verb: SwarmVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json = format == Format::Json;
    match verb {
        SwarmVerb::Update { autolock } => {
            let r = client
                .swarm_update(&SwarmUpdateRequest { autolock })
                .await?;
            if json {
                return write_json(out, &r);
            }
            writeln!(out, "Swarm updated.")?;
            if let (Some(true), Some(k)) = (autolock, &r.key) {
                write!(out, "{}", unlock_key_text(k))?;
            }
        }
        SwarmVerb::UnlockKey { rotate, quiet } => {
            let r = client.unlock_key(rotate).await?;
            let Some(k) = r.key.clone() else {
                bail!("no unlock key is set: autolock is off");
            };
            if json {
                return write_json(out, &r);
            }
            if quiet {
                writeln!(out, "{k}")?;
            } else {
                if rotate {
                    writeln!(out, "Successfully rotated manager unlock key.\n")?;
                }
                write!(out, "{}", unlock_key_text(&k))?;
            }
        }
        SwarmVerb::Unlock => {
            let key = read_unlock_key(&mut std::io::stdin().lock(), &mut std::io::stderr())?;
            client.unlock(&key).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_line_and_words_as_docker() {
        let mut prompt = Vec::new();
        let k = read_unlock_key(&mut &b"SWMKEY-1-abc\n"[..], &mut prompt).unwrap();
        assert_eq!(k, "SWMKEY-1-abc");
        assert!(read_unlock_key(&mut &b"\n"[..], &mut prompt).is_err());
        assert!(unlock_key_text("K").contains("run the `swarmd unlock`\ncommand"));
    }
}
