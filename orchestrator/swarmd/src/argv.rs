//! Client options before the verb, as `docker --host H node ls` takes them (pure).
//!
//! clap takes `--state-dir`, `--host`, `--cert-dir` and `--format` after the verb (each verb
//! flattens them); [`hoist_client_options`] moves the ones typed before it to just after it, so
//! `swarmd --state-dir X node ls` means `swarmd node --state-dir X ls`.

use std::ffi::OsString;

/// The options that may come before the verb; each takes a value.
const CLIENT_OPTIONS: [&str; 4] = ["--state-dir", "--host", "--cert-dir", "--format"];

fn is_client_option(arg: &str) -> bool {
    CLIENT_OPTIONS
        .iter()
        .any(|o| arg == *o || arg.strip_prefix(o).is_some_and(|r| r.starts_with('=')))
}

/// `[prog, OPTS..., VERB, REST...]` → `[prog, VERB, OPTS..., REST...]` when every argument
/// before the verb is a client option (with its value); anything else is left as it is (clap
/// then says what is wrong).
pub fn hoist_client_options(args: Vec<OsString>) -> Vec<OsString> {
    let mut i = 1;
    while let Some(a) = args.get(i).and_then(|a| a.to_str()) {
        if !is_client_option(a) {
            break;
        }
        i += if a.contains('=') { 1 } else { 2 };
    }
    if i == 1 || i >= args.len() || args[i].to_str().is_some_and(|a| a.starts_with('-')) {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    out.push(args[0].clone());
    out.push(args[i].clone());
    out.extend_from_slice(&args[1..i]);
    out.extend_from_slice(&args[i + 1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> String {
        let args = line.split(' ').map(OsString::from).collect();
        hoist_client_options(args)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn leading_client_options_follow_the_verb() {
        assert_eq!(
            run("swarmd --state-dir /x node ls"),
            "swarmd node --state-dir /x ls"
        );
        assert_eq!(
            run("swarmd --host h:2377 --format=json service ls"),
            "swarmd service --host h:2377 --format=json ls"
        );
        assert_eq!(
            run("swarmd --state-dir /x service create --name a img --host y"),
            "swarmd service --state-dir /x create --name a img --host y"
        );
        // Nothing to move, or something clap must judge: unchanged.
        for same in [
            "swarmd node ls --state-dir /x",
            "swarmd --help",
            "swarmd --state-dir",
            "swarmd --state-dir /x",
            "swarmd --verbose node ls",
            "swarmd --state-dir /x --help",
        ] {
            assert_eq!(run(same), same);
        }
    }
}
