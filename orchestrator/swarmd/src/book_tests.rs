//! The book's commands as printed (`tests/fixtures/book_commands.txt`) against swarmd's clap
//! parser: every one is accepted except the listed exceptions, each with its reason. An
//! exception that starts to parse must leave the list (the test says so), so the list stays
//! the honest set of what the book types and swarmd refuses. Parsing only: values that clap
//! accepts but the daemon checks later (e.g. `swarm init --advertise-addr IP` without a port)
//! are the run-time tests' business.

use clap::Parser;

use crate::cli::Cli;

const BOOK: &str = include_str!("../tests/fixtures/book_commands.txt");

/// Commands swarmd refuses on purpose or for now (matched by a piece of their text, or the
/// whole text for a piece ending in `$`), and why.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "docker network ls --filter ",
        "`network ls` has no --filter yet (docker's driver=, name=, label=... filters)",
    ),
    (
        "docker stack$",
        "`stack` alone prints its usage and fails, as docker's does (it needs a verb)",
    ),
    (
        "docker stack ps --help",
        "--help prints the usage (clap reports it as an early exit, not a parse)",
    ),
    (
        " --limits-memory ",
        "the book's typo for --limit-memory: Docker refuses it too (unknown flag)",
    ),
];

/// `docker swarm X` → `swarmd X`; `docker node|service X` → `swarmd node|service X`.
fn as_swarmd(cmd: &str) -> Vec<String> {
    let words = shlex::split(cmd).unwrap_or_else(|| panic!("cannot split {cmd:?}"));
    assert_eq!(words[0], "docker", "{cmd}");
    let mut out = vec!["swarmd".to_string()];
    let rest = if words[1] == "swarm" {
        &words[2..]
    } else {
        &words[1..]
    };
    out.extend(rest.iter().cloned());
    out
}

fn exception(cmd: &str) -> Option<&'static str> {
    EXCEPTIONS
        .iter()
        .find(|(piece, _)| match piece.strip_suffix('$') {
            Some(whole) => cmd == whole,
            None => cmd.contains(piece),
        })
        .map(|(_, why)| *why)
}

#[test]
fn the_books_commands_parse_as_printed() {
    let commands: Vec<&str> = BOOK
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        commands.len(),
        149,
        "the fixture holds the book's 149 distinct commands"
    );
    let mut refused = Vec::new();
    let mut now_accepted = Vec::new();
    let mut excepted = 0;
    for cmd in &commands {
        let parsed = Cli::try_parse_from(as_swarmd(cmd));
        match (exception(cmd), parsed) {
            (None, Ok(_)) => {}
            (None, Err(e)) => refused.push(format!("{cmd}\n    {}", e.to_string().trim())),
            (Some(_), Err(_)) => excepted += 1,
            (Some(why), Ok(_)) => now_accepted.push(format!("{cmd} (listed: {why})")),
        }
    }
    assert!(
        refused.is_empty(),
        "{} of {} book commands refused:\n{}",
        refused.len(),
        commands.len(),
        refused.join("\n")
    );
    assert!(
        now_accepted.is_empty(),
        "these exceptions parse now; take them off EXCEPTIONS:\n{}",
        now_accepted.join("\n")
    );
    eprintln!(
        "{} book commands: {} accepted, {excepted} listed exceptions",
        commands.len(),
        commands.len() - excepted
    );
}
