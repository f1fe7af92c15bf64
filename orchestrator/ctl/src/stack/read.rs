//! The file I/O of `stack deploy`: the compose files (`-` is stdin), the `.env` beside the
//! first one, and the reader the mapping uses for `env_file` and secret/config files.

use std::io::Read;
use std::path::{Path, PathBuf};

use swarm_compose::{ComposeError, Source};

/// The compose files, their working directory (the first file's) and the `.env` variables.
pub struct Inputs {
    /// The files' texts.
    pub sources: Vec<Source>,
    /// Where relative paths start.
    pub working_dir: PathBuf,
    /// The `.env` beside the first file (empty when there is none).
    pub dotenv: std::collections::BTreeMap<String, String>,
}

/// Reads the files given with `-c`.
pub fn read_inputs(files: &[String]) -> Result<Inputs, ComposeError> {
    let mut sources = Vec::new();
    for f in files {
        let text = if f == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| unreadable("-", &e))?;
            s
        } else {
            std::fs::read_to_string(f).map_err(|e| unreadable(f, &e))?
        };
        sources.push(Source {
            name: f.clone(),
            text,
        });
    }
    let first = files.first().map(String::as_str).unwrap_or("-");
    let working_dir = if first == "-" {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
    } else {
        let p = Path::new(first).parent().unwrap_or(Path::new(""));
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
    };
    let env_path = working_dir.join(".env");
    let dotenv = match std::fs::read_to_string(&env_path) {
        Ok(text) => swarm_compose::env::parse_dotenv(&env_path.display().to_string(), &text)?,
        Err(_) => Default::default(),
    };
    Ok(Inputs {
        sources,
        working_dir,
        dotenv,
    })
}

fn unreadable(f: &str, e: &std::io::Error) -> ComposeError {
    ComposeError::File {
        path: f.to_string(),
        message: e.to_string(),
        fix: "give -c the path of a readable compose file".into(),
    }
}

/// Reads a file for the mapping (`env_file`, secret and config files).
pub fn read_file(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| e.to_string())
}
