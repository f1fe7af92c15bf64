//! `swarmd`: the bundled Swarm-mode orchestrator (daemon and client verbs).

fn main() {
    eprintln!("swarmd: not implemented yet");
    std::process::exit(2);
}
