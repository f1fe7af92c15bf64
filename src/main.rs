//! `swarm-aws`: provision and run Docker-Swarm-mode clusters on AWS.

fn main() {
    println!("swarm-aws");
}
