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
use swarm_api::file_kind::{FileSpec, Object};
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

/// What the verbs need per kind: the spec `create` sends and docker's output.
pub trait FileVerbs: FileSpec {
    /// The extra columns of `ls` between `NAME` and `CREATED`.
    const EXTRA_COLUMNS: &'static [&'static str];
    /// `--driver` as given: kept (secrets) or refused (configs).
    fn driver(driver: Option<String>) -> Result<String>;
    /// The spec of `create`.
    fn spec(name: String, labels: Labels, data: Vec<u8>, driver: String) -> Self;
    /// Docker's `inspect` JSON.
    fn json(o: &Object<Self>) -> Value;
    /// `inspect --pretty`.
    fn pretty(o: &Object<Self>) -> String;
    /// The cells of [`Self::EXTRA_COLUMNS`].
    fn extra_cells(o: &Object<Self>) -> Vec<String>;
}

type Labels = BTreeMap<String, String>;

impl FileVerbs for SecretSpec {
    const EXTRA_COLUMNS: &'static [&'static str] = &["DRIVER"];
    fn driver(driver: Option<String>) -> Result<String> {
        Ok(driver.unwrap_or_default())
    }
    fn spec(name: String, labels: Labels, data: Vec<u8>, driver: String) -> Self {
        SecretSpec {
            name,
            labels,
            data: SecretData(data),
            driver,
        }
    }
    /// Never with data.
    fn json(s: &Secret) -> Value {
        let mut spec = json!({ "Name": s.spec.name, "Labels": s.spec.labels });
        if !s.spec.driver.is_empty() {
            spec["Driver"] = json!({ "Name": s.spec.driver });
        }
        object_json(s, spec)
    }
    fn pretty(s: &Secret) -> String {
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
    fn extra_cells(s: &Secret) -> Vec<String> {
        vec![s.spec.driver.clone()]
    }
}

impl FileVerbs for ConfigSpec {
    const EXTRA_COLUMNS: &'static [&'static str] = &[];
    fn driver(driver: Option<String>) -> Result<String> {
        match driver {
            None => Ok(String::new()),
            Some(d) => Err(SpecError::new(
                "--driver",
                d,
                "configs have no drivers",
                "leave --driver out",
            )
            .into()),
        }
    }
    fn spec(name: String, labels: Labels, data: Vec<u8>, _: String) -> Self {
        ConfigSpec { name, labels, data }
    }
    /// With the data, base64, as docker.
    fn json(c: &Config) -> Value {
        let data = serde_json::to_value(&c.spec).map_or(Value::Null, |v| v["data"].clone());
        object_json(
            c,
            json!({ "Name": c.spec.name, "Labels": c.spec.labels, "Data": data }),
        )
    }
    /// The data as text.
    fn pretty(c: &Config) -> String {
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
    fn extra_cells(_: &Config) -> Vec<String> {
        Vec::new()
    }
}

fn object_json<S>(o: &Object<S>, spec: Value) -> Value {
    json!({
        "ID": o.id,
        "Version": { "Index": o.version },
        "CreatedAt": rfc3339(o.created_at_ms),
        "UpdatedAt": rfc3339(o.updated_at_ms),
        "Spec": spec,
    })
}

fn labels_block(labels: &BTreeMap<String, String>) -> String {
    let mut s = String::from("Labels:\n");
    for (k, v) in labels {
        s.push_str(&format!(" - {k}={v}\n"));
    }
    s
}

/// The `ls` table: docker's `ID NAME DRIVER CREATED UPDATED` (secrets) or `ID NAME CREATED
/// UPDATED` (configs).
pub fn ls_table<S: FileVerbs>(list: &[Object<S>], now: u64) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|o| {
            let mut row = vec![o.id.clone(), o.name().to_string()];
            row.extend(S::extra_cells(o));
            row.extend([ago(o.created_at_ms, now), ago(o.updated_at_ms, now)]);
            row
        })
        .collect();
    let mut columns = vec!["ID", "NAME"];
    columns.extend(S::EXTRA_COLUMNS);
    columns.extend(["CREATED", "UPDATED"]);
    table(&columns, &rows)
}

/// Runs one `secret` verb.
pub async fn run_secret(
    client: &Client,
    verb: FileObjectVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    run::<SecretSpec>(client, verb, format, out).await
}

/// Runs one `config` verb.
pub async fn run_config(
    client: &Client,
    verb: FileObjectVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    run::<ConfigSpec>(client, verb, format, out).await
}

/// Runs one verb on objects of kind `S`.
async fn run<S: FileVerbs>(
    client: &Client,
    verb: FileObjectVerb,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let json_out = format == Format::Json;
    let objects = client.file_objects::<S>();
    match verb {
        FileObjectVerb::Create {
            label,
            driver,
            name,
            file,
        } => {
            let driver = S::driver(driver)?;
            let labels = parse_labels(&label)?;
            let data = read_content(&file, &mut std::io::stdin().lock())?;
            validate_object(S::KIND, &name, data.len())?;
            if objects.ls().await?.iter().any(|o| o.name() == name) {
                return Err(taken(S::KIND, &name));
            }
            let o = objects.create(&S::spec(name, labels, data, driver)).await?;
            if json_out {
                return write_json(out, &S::json(&o));
            }
            writeln!(out, "{}", o.id)?;
        }
        FileObjectVerb::Ls { quiet, filter } => {
            let f = Filters::parse(&filter, FILE_OBJECT_KEYS)?;
            let mut list = objects.ls().await?;
            list.retain(|o| file_object_matches(&f, &o.id, o.name(), o.spec.labels()));
            list.sort_by(|a, b| a.name().cmp(b.name()));
            if json_out {
                let v: Vec<Value> = list.iter().map(S::json).collect();
                return write_json(out, &v);
            }
            if quiet {
                for o in &list {
                    writeln!(out, "{}", o.id)?;
                }
            } else {
                write!(out, "{}", ls_table(&list, now_ms()))?;
            }
        }
        FileObjectVerb::Inspect { pretty, names } => {
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for n in &names {
                match objects.inspect(n).await {
                    Ok(o) => found.push(o),
                    Err(e) => failures.push(format!("{n}: {e}")),
                }
            }
            if pretty && !json_out {
                for o in &found {
                    write!(out, "{}", S::pretty(o))?;
                }
            } else {
                let v: Vec<Value> = found.iter().map(S::json).collect();
                write_json(out, &v)?;
            }
            if !failures.is_empty() {
                bail!("{}", failures.join("; "));
            }
        }
        FileObjectVerb::Rm { names } => {
            let mut failures = Vec::new();
            for n in &names {
                match objects.rm(n).await {
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
        let t = ls_table(std::slice::from_ref(&s), 5000);
        assert!(
            t.starts_with("ID    NAME   DRIVER   CREATED         UPDATED"),
            "{t}"
        );
        let j = SecretSpec::json(&s).to_string();
        assert!(
            j.contains("\"Index\":3") && j.contains("1970-01-01T00:00:01"),
            "{j}"
        );
        assert!(!j.contains("hunter2") && !j.contains("aHVudGVyMg"), "{j}");
        assert!(!SecretSpec::pretty(&s).contains("hunter2"));
        assert!(SecretSpec::pretty(&s).contains(" - env=dev"));
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
        assert!(ls_table(std::slice::from_ref(&c), 0).starts_with("ID   NAME   CREATED"));
        assert_eq!(ConfigSpec::json(&c)["Spec"]["Data"], "YT0x");
        assert!(ConfigSpec::pretty(&c).ends_with("Data:\na=1\n"));
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
