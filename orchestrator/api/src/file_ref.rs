//! Files a service's tasks get from the cluster: the target of a secret or config reference
//! and the parsing of `--secret` / `--config` (pure).
//!
//! Both flags take docker's short form `NAME` or its long form
//! `source=NAME,target=PATH,uid=0,gid=0,mode=0444` (`src` for `source`). A secret's target
//! defaults to its name and a relative target lives under `/run/secrets/`; a config's target
//! defaults to `/NAME` and a relative target lives under `/`. The mode is read as docker reads
//! it: `0444` and `0o444` are octal, `0x124` hex, `292` decimal.

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// Where secrets are mounted in a container when the target is relative.
pub const SECRETS_DIR: &str = "/run/secrets";

/// The largest secret or config value (docker's limit, 500 KiB).
pub const MAX_DATA: usize = 500 * 1024;

/// The default file mode of a delivered secret or config (`0444`).
pub const DEFAULT_MODE: u32 = 0o444;

/// The file a task sees: its path (as given; see [`FileKind::path`]), owner and mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileTarget {
    /// The target as given (`target=`); relative targets are resolved by [`FileKind::path`].
    pub name: String,
    /// Owner user id (`uid=`), `0` by default.
    #[serde(default = "zero")]
    pub uid: String,
    /// Owner group id (`gid=`), `0` by default.
    #[serde(default = "zero")]
    pub gid: String,
    /// Permission bits (`mode=`), `0444` by default.
    #[serde(default = "default_mode")]
    pub mode: u32,
}

fn zero() -> String {
    "0".to_string()
}

fn default_mode() -> u32 {
    DEFAULT_MODE
}

/// Secret or config: decides the flag names and where relative targets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `--secret`: relative targets under `/run/secrets/`.
    Secret,
    /// `--config`: relative targets under `/`.
    Config,
}

impl FileKind {
    /// `secret` or `config`.
    pub fn noun(self) -> &'static str {
        match self {
            FileKind::Secret => "secret",
            FileKind::Config => "config",
        }
    }

    /// The absolute path in the container of a target as given.
    pub fn path(self, target: &str) -> String {
        if target.starts_with('/') {
            return target.to_string();
        }
        match self {
            FileKind::Secret => format!("{SECRETS_DIR}/{target}"),
            FileKind::Config => format!("/{target}"),
        }
    }
}

/// A parsed `--secret` / `--config` value: the object's name and the file it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRefArg {
    /// The secret's or config's name (`source=`).
    pub source: String,
    /// The file in the container.
    pub target: FileTarget,
}

/// Parses `--secret` / `--config` (`flag` is the flag as typed, for the error).
pub fn parse_file_ref(kind: FileKind, flag: &str, value: &str) -> Result<FileRefArg, SpecError> {
    let err = |reason: String, fix: &str| SpecError::new(flag, value, reason, fix);
    let long_fix =
        format!("write {flag} NAME or {flag} source=NAME,target=PATH,uid=0,gid=0,mode=0444");
    if value.trim().is_empty() {
        return Err(err(format!("the {} name is empty", kind.noun()), &long_fix));
    }
    let mut source = None;
    let mut target = None;
    let mut uid = zero();
    let mut gid = zero();
    let mut mode = DEFAULT_MODE;
    if !value.contains('=') {
        if value.contains(',') {
            return Err(err("a short form names one object".into(), &long_fix));
        }
        source = Some(value.trim().to_string());
    } else {
        for field in value.split(',') {
            let Some((key, val)) = field.split_once('=') else {
                return Err(err(format!("field {field:?} is not key=value"), &long_fix));
            };
            let val = val.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "source" | "src" => source = Some(val.to_string()),
                "target" => target = Some(val.to_string()),
                "uid" => uid = id_field(flag, value, "uid", val)?,
                "gid" => gid = id_field(flag, value, "gid", val)?,
                "mode" => mode = parse_mode(flag, value, val)?,
                other => {
                    return Err(err(
                        format!("unknown field {other:?}"),
                        "use the fields source, target, uid, gid and mode",
                    ))
                }
            }
        }
    }
    let source = match source {
        Some(s) if !s.is_empty() => s,
        _ => {
            return Err(err(
                "field source is missing or empty".into(),
                &format!("name the {} with source=NAME", kind.noun()),
            ))
        }
    };
    let name = match target {
        Some(t) if t.is_empty() => {
            return Err(err(
                "field target is empty".into(),
                "give a path with target=PATH or leave target out",
            ))
        }
        Some(t) => t,
        None => match kind {
            FileKind::Secret => source.clone(),
            FileKind::Config => format!("/{source}"),
        },
    };
    Ok(FileRefArg {
        source,
        target: FileTarget {
            name,
            uid,
            gid,
            mode,
        },
    })
}

fn id_field(flag: &str, value: &str, key: &str, val: &str) -> Result<String, SpecError> {
    if val.parse::<u32>().is_err() {
        return Err(SpecError::new(
            flag,
            value,
            format!("field {key} is {val:?}, not a numeric id"),
            format!("write {key}=0 or another number"),
        ));
    }
    Ok(val.to_string())
}

/// Reads a mode as docker does (`strconv.ParseUint(v, 0, 32)`): `0…`/`0o…` octal, `0x…` hex,
/// otherwise decimal; at most `0o7777`.
pub fn parse_mode(flag: &str, value: &str, mode: &str) -> Result<u32, SpecError> {
    let m = mode.to_ascii_lowercase();
    let parsed = if let Some(hex) = m.strip_prefix("0x") {
        u32::from_str_radix(hex, 16)
    } else if let Some(oct) = m.strip_prefix("0o") {
        u32::from_str_radix(oct, 8)
    } else if m.len() > 1 && m.starts_with('0') {
        u32::from_str_radix(&m[1..], 8)
    } else {
        m.parse::<u32>()
    };
    match parsed {
        Ok(v) if v <= 0o7777 => Ok(v),
        _ => Err(SpecError::new(
            flag,
            value,
            format!("field mode is {mode:?}, not a file mode"),
            "write an octal mode such as mode=0400",
        )),
    }
}

/// Checks a secret's or config's name (docker's rule: letters, digits, `-`, `_`, `.`, not
/// starting or ending with a punctuation mark, at most 64 characters) and its data size
/// (secrets 1 byte to 500 KiB, configs up to 500 KiB).
pub fn validate_object(kind: FileKind, name: &str, data_len: usize) -> Result<(), SpecError> {
    let field = format!("{} name", kind.noun());
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty()
        || name.len() > 64
        || !name.chars().all(ok_char)
        || !edge_ok(name.chars().next())
        || !edge_ok(name.chars().last())
    {
        return Err(SpecError::new(
            field,
            name,
            "names have 1 to 64 letters, digits, '-', '_' or '.', and start and end with a letter or digit",
            "choose a name such as db_password",
        ));
    }
    let max = MAX_DATA;
    if data_len > max || (kind == FileKind::Secret && data_len == 0) {
        return Err(SpecError::new(
            format!("{} data", kind.noun()),
            format!("{data_len} bytes"),
            format!("the data must have 1 to {max} bytes"),
            "give a smaller, non-empty file",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_takes_the_defaults() {
        let s = parse_file_ref(FileKind::Secret, "--secret", "db_pw").unwrap();
        assert_eq!(s.source, "db_pw");
        assert_eq!(s.target.name, "db_pw");
        assert_eq!(FileKind::Secret.path(&s.target.name), "/run/secrets/db_pw");
        assert_eq!((s.target.uid.as_str(), s.target.gid.as_str()), ("0", "0"));
        assert_eq!(s.target.mode, 0o444);
        let c = parse_file_ref(FileKind::Config, "--config", "site").unwrap();
        assert_eq!(FileKind::Config.path(&c.target.name), "/site");
    }

    #[test]
    fn long_form_reads_every_field() {
        let s = parse_file_ref(
            FileKind::Secret,
            "--secret",
            "source=pw,target=app/pw,uid=1000,gid=50,mode=0400",
        )
        .unwrap();
        assert_eq!(s.source, "pw");
        assert_eq!(FileKind::Secret.path(&s.target.name), "/run/secrets/app/pw");
        assert_eq!(s.target.uid, "1000");
        assert_eq!(s.target.gid, "50");
        assert_eq!(s.target.mode, 0o400);
        let c = parse_file_ref(
            FileKind::Config,
            "--config",
            "src=nginx,target=/etc/n.conf,mode=292",
        )
        .unwrap();
        assert_eq!(FileKind::Config.path(&c.target.name), "/etc/n.conf");
        assert_eq!(c.target.mode, 0o444);
    }

    #[test]
    fn object_names_and_sizes() {
        assert!(validate_object(FileKind::Secret, "db_pw.v2", 3).is_ok());
        assert!(validate_object(FileKind::Config, "empty", 0).is_ok());
        assert!(validate_object(FileKind::Secret, "empty", 0).is_err());
        assert!(validate_object(FileKind::Secret, "-x", 1).is_err());
        assert!(validate_object(FileKind::Secret, "a/b", 1).is_err());
        assert!(validate_object(FileKind::Secret, &"a".repeat(65), 1).is_err());
        let e = validate_object(FileKind::Config, "big", 600 * 1024).unwrap_err();
        assert!(e.to_string().starts_with("invalid config data"), "{e}");
    }

    #[test]
    fn bad_input_names_the_field() {
        let e = |v: &str| {
            parse_file_ref(FileKind::Secret, "--secret", v)
                .unwrap_err()
                .to_string()
        };
        assert!(
            e("target=/x").contains("field source is missing"),
            "{}",
            e("target=/x")
        );
        assert!(e("source=a,mode=999999").contains("field mode"));
        assert!(e("source=a,mode=rw").contains("field mode"));
        assert!(e("source=a,uid=bob").contains("field uid"));
        assert!(e("source=a,colour=red").contains("unknown field \"colour\""));
        assert!(e("source=a,oops").contains("field \"oops\" is not key=value"));
        assert!(e("").contains("name is empty"));
        assert!(e("source=a,target=").contains("field target is empty"));
        assert!(e("source=a,uid=bob").starts_with("invalid --secret \"source=a,uid=bob\""));
    }
}
