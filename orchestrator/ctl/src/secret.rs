//! `secret create|ls|inspect|rm` and `config create|ls|inspect|rm`: the verbs and their calls
//! to the manager, with docker's flags, columns and JSON. A secret's value is read from the
//! file (or stdin) and sent once; nothing ever prints it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use swarm_api::client::Client;
use swarm_api::config::{Config, ConfigSpec};
use swarm_api::file_ref::{validate_object, FileKind};
use swarm_api::secret::{Secret, SecretData, SecretSpec};
use swarm_api::spec_error::SpecError;

use crate::filter::{file_object_matches, Filters, FILE_OBJECT_KEYS};
use crate::format::{write_json, Format};
use crate::table::table;
use crate::time::{ago, now_ms, rfc3339};

/// `secret ...` and `config ...` (the same verbs).
#[derive(Debug, Clone, Subcommand)]
pub enum FileObjectVerb {
    /// Create from a file or STDIN as content.
    Create {
        /// Labels (key=value); repeatable.
        #[arg(short, long)]
        label: Vec<String>,
        /// Secret driver (only the built-in store exists).
        #[arg(short, long)]
        driver: Option<String>,
        /// The name.
        name: String,
        /// The file with the content, or `-` for STDIN.
        file: String,
    },
    /// List them.
    #[command(visible_alias = "list")]
    Ls {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Filter output (id=, label=, name=); repeatable.
        #[arg(short, long)]
        filter: Vec<String>,
    },
    /// Display detailed information on one or more.
    Inspect {
        /// Print the information in a human friendly format.
        #[arg(long)]
        pretty: bool,
        /// Names or ids.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove one or more.
    #[command(visible_alias = "remove")]
    Rm {
        /// Names or ids.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// Reads `FILE` or stdin (`-`); an unreadable file is an input error naming it.
pub fn read_content(file: &str, stdin: &mut impl Read) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    if file == "-" {
        stdin.read_to_end(&mut data)?;
        return Ok(data);
    }
    match std::fs::read(Path::new(file)) {
        Ok(d) => Ok(d),
        Err(e) => Err(SpecError::new(
            "FILE",
            file,
            format!("cannot read it: {e}"),
            "give a readable file, or - to read the content from STDIN",
        )
        .into()),
    }
}

/// A name already taken: an input error (the value of a secret or config never changes, so
/// a new value needs a new name).
fn taken(kind: FileKind, name: &str) -> anyhow::Error {
    SpecError::new(
        format!("{} name", kind.noun()),
        name,
        format!("a {} with this name already exists", kind.noun()),
        format!(
            "choose another name ({}s are immutable: a new value needs a new name, then `service update --{}-rm {name} --{}-add NEW`)",
            kind.noun(),
            kind.noun(),
            kind.noun()
        ),
    )
    .into()
}

fn parse_labels(labels: &[String]) -> Result<BTreeMap<String, String>> {
    labels
        .iter()
        .map(|l| swarm_api::label::parse_label("--label", l).map_err(Into::into))
        .collect()
}

/// Docker's `secret inspect` JSON (never with data).
pub fn secret_json(s: &Secret) -> Value {
    let mut spec = json!({ "Name": s.spec.name, "Labels": s.spec.labels });
    if !s.spec.driver.is_empty() {
        spec["Driver"] = json!({ "Name": s.spec.driver });
    }
    json!({
        "ID": s.id,
        "Version": { "Index": s.version },
        "CreatedAt": rfc3339(s.created_at_ms),
        "UpdatedAt": rfc3339(s.updated_at_ms),
        "Spec": spec,
    })
}

/// Docker's `config inspect` JSON (with the data, base64, as docker).
pub fn config_json(c: &Config) -> Value {
    let data = serde_json::to_value(&c.spec).map_or(Value::Null, |v| v["data"].clone());
    json!({
        "ID": c.id,
        "Version": { "Index": c.version },
        "CreatedAt": rfc3339(c.created_at_ms),
        "UpdatedAt": rfc3339(c.updated_at_ms),
        "Spec": { "Name": c.spec.name, "Labels": c.spec.labels, "Data": data },
    })
}

fn labels_block(labels: &BTreeMap<String, String>) -> String {
    let mut s = String::from("Labels:\n");
    for (k, v) in labels {
        s.push_str(&format!(" - {k}={v}\n"));
    }
    s
}

/// `secret inspect --pretty`.
pub fn secret_pretty(s: &Secret) -> String {
    format!(
        "ID:              {}\nName:            {}\n{}Driver:          {}\nCreated at:      {}\nUpdated at:      {}\n",
        s.id,
        s.spec.name,
        labels_block(&s.spec.labels),
        s.spec.driver,
        rfc3339(s.created_at_ms),
        rfc3339(s.updated_at_ms)
    )
}

/// `config inspect --pretty` (the data as text).
pub fn config_pretty(c: &Config) -> String {
    format!(
        "ID:              {}\nName:            {}\n{}Created at:      {}\nUpdated at:      {}\nData:\n{}\n",
        c.id,
        c.spec.name,
        labels_block(&c.spec.labels),
        rfc3339(c.created_at_ms),
        rfc3339(c.updated_at_ms),
        String::from_utf8_lossy(&c.spec.data)
    )
}

/// The `secret ls` table: docker's `ID NAME DRIVER CREATED UPDATED`.
pub fn secret_table(list: &[Secret], now: u64) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.spec.name.clone(),
                s.spec.driver.clone(),
                ago(s.created_at_ms, now),
                ago(s.updated_at_ms, now),
            ]
        })
        .collect();
    table(&["ID", "NAME", "DRIVER", "CREATED", "UPDATED"], &rows)
}

/// The `config ls` table: docker's `ID NAME CREATED UPDATED`.
pub fn config_table(list: &[Config], now: u64) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.spec.name.clone(),
                ago(c.created_at_ms, now),
                ago(c.updated_at_ms, now),
            ]
        })
        .collect();
    table(&["ID", "NAME", "CREATED", "UPDATED"], &rows)
}

/// Runs one `secret` verb.
pub async fn run_secret(
    client: &Client,
    verb: FileObjectVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json_out = format == Format::Json;
    match verb {
        FileObjectVerb::Create {
            label,
            driver,
            name,
            file,
        } => {
            let labels = parse_labels(&label)?;
            let data = read_content(&file, &mut std::io::stdin().lock())?;
            validate_object(FileKind::Secret, &name, data.len())?;
            if client
                .secrets()
                .ls()
                .await?
                .iter()
                .any(|s| s.spec.name == name)
            {
                return Err(taken(FileKind::Secret, &name));
            }
            let spec = SecretSpec {
                name,
                labels,
                data: SecretData(data),
                driver: driver.unwrap_or_default(),
            };
            let s = client.secrets().create(&spec).await?;
            if json_out {
                return write_json(out, &secret_json(&s));
            }
            writeln!(out, "{}", s.id)?;
        }
        FileObjectVerb::Ls { quiet, filter } => {
            let f = Filters::parse(&filter, FILE_OBJECT_KEYS)?;
            let mut list = client.secrets().ls().await?;
            list.retain(|s| file_object_matches(&f, &s.id, &s.spec.name, &s.spec.labels));
            list.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
            if json_out {
                let v: Vec<Value> = list.iter().map(secret_json).collect();
                return write_json(out, &v);
            }
            if quiet {
                for s in &list {
                    writeln!(out, "{}", s.id)?;
                }
            } else {
                write!(out, "{}", secret_table(&list, now_ms()))?;
            }
        }
        FileObjectVerb::Inspect { pretty, names } => {
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for n in &names {
                match client.secrets().inspect(n).await {
                    Ok(s) => found.push(s),
                    Err(e) => failures.push(format!("{n}: {e}")),
                }
            }
            if pretty && !json_out {
                for s in &found {
                    write!(out, "{}", secret_pretty(s))?;
                }
            } else {
                let v: Vec<Value> = found.iter().map(secret_json).collect();
                write_json(out, &v)?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("; "));
            }
        }
        FileObjectVerb::Rm { names } => {
            let mut failures = Vec::new();
            for n in &names {
                match client.secrets().rm(n).await {
                    Ok(()) => writeln!(out, "{n}")?,
                    Err(e) => failures.push(format!("{n}: {e}")),
                }
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("; "));
            }
        }
    }
    Ok(())
}

/// Runs one `config` verb.
pub async fn run_config(
    client: &Client,
    verb: FileObjectVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json_out = format == Format::Json;
    match verb {
        FileObjectVerb::Create {
            label,
            driver,
            name,
            file,
        } => {
            if let Some(d) = driver {
                return Err(SpecError::new(
                    "--driver",
                    d,
                    "configs have no drivers",
                    "leave --driver out",
                )
                .into());
            }
            let labels = parse_labels(&label)?;
            let data = read_content(&file, &mut std::io::stdin().lock())?;
            validate_object(FileKind::Config, &name, data.len())?;
            if client
                .configs()
                .ls()
                .await?
                .iter()
                .any(|c| c.spec.name == name)
            {
                return Err(taken(FileKind::Config, &name));
            }
            let c = client
                .configs()
                .create(&ConfigSpec { name, labels, data })
                .await?;
            if json_out {
                return write_json(out, &config_json(&c));
            }
            writeln!(out, "{}", c.id)?;
        }
        FileObjectVerb::Ls { quiet, filter } => {
            let f = Filters::parse(&filter, FILE_OBJECT_KEYS)?;
            let mut list = client.configs().ls().await?;
            list.retain(|c| file_object_matches(&f, &c.id, &c.spec.name, &c.spec.labels));
            list.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
            if json_out {
                let v: Vec<Value> = list.iter().map(config_json).collect();
                return write_json(out, &v);
            }
            if quiet {
                for c in &list {
                    writeln!(out, "{}", c.id)?;
                }
            } else {
                write!(out, "{}", config_table(&list, now_ms()))?;
            }
        }
        FileObjectVerb::Inspect { pretty, names } => {
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for n in &names {
                match client.configs().inspect(n).await {
                    Ok(c) => found.push(c),
                    Err(e) => failures.push(format!("{n}: {e}")),
                }
            }
            if pretty && !json_out {
                for c in &found {
                    write!(out, "{}", config_pretty(c))?;
                }
            } else {
                let v: Vec<Value> = found.iter().map(config_json).collect();
                write_json(out, &v)?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("; "));
            }
        }
        FileObjectVerb::Rm { names } => {
            let mut failures = Vec::new();
            for n in &names {
                match client.configs().rm(n).await {
                    Ok(()) => writeln!(out, "{n}")?,
                    Err(e) => failures.push(format!("{n}: {e}")),
                }
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("; "));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret {
            id: "abc".into(),
            version: 3,
            created_at_ms: 0,
            updated_at_ms: 1000,
            spec: SecretSpec {
                name: "pw".into(),
                labels: [("env".to_string(), "dev".to_string())].into(),
                data: SecretData(b"hunter2".to_vec()),
                driver: String::new(),
            },
        }
    }

    #[test]
    fn columns_and_json_are_dockers_and_never_show_the_value() {
        let s = secret();
        let t = secret_table(std::slice::from_ref(&s), 5000);
        assert!(
            t.starts_with("ID    NAME   DRIVER   CREATED         UPDATED"),
            "{t}"
        );
        let j = secret_json(&s).to_string();
        assert!(
            j.contains("\"Index\":3") && j.contains("1970-01-01T00:00:01"),
            "{j}"
        );
        assert!(!j.contains("hunter2") && !j.contains("aHVudGVyMg"), "{j}");
        assert!(!secret_pretty(&s).contains("hunter2"));
        assert!(secret_pretty(&s).contains(" - env=dev"));
        let c = Config {
            id: "c1".into(),
            version: 1,
            created_at_ms: 0,
            updated_at_ms: 0,
            spec: ConfigSpec {
                name: "site".into(),
                labels: BTreeMap::new(),
                data: b"a=1".to_vec(),
            },
        };
        assert!(config_table(std::slice::from_ref(&c), 0).starts_with("ID   NAME   CREATED"));
        assert_eq!(config_json(&c)["Spec"]["Data"], "YT0x");
        assert!(config_pretty(&c).ends_with("Data:\na=1\n"));
    }

    #[test]
    fn content_from_stdin_or_a_file() {
        let mut stdin: &[u8] = b"from stdin";
        assert_eq!(read_content("-", &mut stdin).unwrap(), b"from stdin");
        let e = read_content("/nonexistent/x", &mut &b""[..]).unwrap_err();
        assert!(e.downcast_ref::<SpecError>().is_some());
        assert!(
            e.to_string().contains("invalid FILE \"/nonexistent/x\""),
            "{e}"
        );
    }
}
