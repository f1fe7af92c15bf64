//! The remote command lines of the docker engine (pure): the docker CLI run on a host over SSH,
//! against the host's own engine.
//!
//! Which engine: a sandbox host names its own `dockerd` socket in its host env file
//! (`SWARMD_DOCKER_SOCKET`, see [`RemoteLayout::host_env_file`]); an instance uses the default
//! socket. A non-root SSH user (EC2's `ec2-user`) runs docker through `sudo -n`.

use crate::bootstrap::RemoteLayout;
use crate::ssh::shell_quote;

/// The default Docker socket of an instance.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The shell prefix that points `docker` at the host's own engine (pure).
fn prelude(l: &RemoteLayout) -> String {
    let env = shell_quote(&l.host_env_file());
    format!(
        "if [ -f {env} ]; then . {env}; fi; \
         export DOCKER_HOST=\"unix://${{SWARMD_DOCKER_SOCKET:-{DEFAULT_SOCKET}}}\"; \
         if [ \"$(id -u)\" = 0 ]; then S=; else S='sudo -n --preserve-env=DOCKER_HOST'; fi; "
    )
}

/// `docker ARGS` against the host's engine, every argument quoted (pure).
pub fn docker_command(l: &RemoteLayout, args: &[&str]) -> String {
    let mut cmd = prelude(l);
    cmd.push_str("$S docker");
    for a in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(a));
    }
    cmd
}

/// `docker swarm join` with the token read from stdin, so that it is in no command line we send
/// and in no log (pure). The other arguments are quoted.
pub fn join_command(l: &RemoteLayout, advertise_ip: &str, manager_addr: &str) -> String {
    let mut cmd = prelude(l);
    cmd.push_str(&format!(
        "IFS= read -r T; $S docker swarm join --token \"$T\" --advertise-addr {ip} \
         --listen-addr {listen} {mgr}",
        ip = shell_quote(advertise_ip),
        listen = shell_quote(&format!("{advertise_ip}:{}", super::SWARM_PORT)),
        mgr = shell_quote(manager_addr),
    ));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_runs_against_the_hosts_own_socket_with_quoted_arguments() {
        let l = RemoteLayout::under("/sb/c/host-1");
        let cmd = docker_command(
            &l,
            &["node", "update", "--label-add", "a=b c;rm -rf /", "x"],
        );
        assert!(
            cmd.contains("if [ -f '/sb/c/host-1/etc/swarmd/host.env' ]; then . '/sb/c/host-1/etc/swarmd/host.env'; fi"),
            "{cmd}"
        );
        assert!(
            cmd.contains("${SWARMD_DOCKER_SOCKET:-/var/run/docker.sock}"),
            "{cmd}"
        );
        assert!(
            cmd.ends_with("$S docker 'node' 'update' '--label-add' 'a=b c;rm -rf /' 'x'"),
            "{cmd}"
        );
    }

    #[test]
    fn join_reads_the_token_from_stdin() {
        let cmd = join_command(&RemoteLayout::system(), "10.0.1.5", "10.0.1.4:2377");
        assert!(cmd.contains("read -r T"), "{cmd}");
        assert!(cmd.contains("--token \"$T\""), "{cmd}");
        assert!(
            cmd.ends_with(
                "--advertise-addr '10.0.1.5' --listen-addr '10.0.1.5:2377' '10.0.1.4:2377'"
            ),
            "{cmd}"
        );
        assert!(!cmd.contains("SWMTKN"), "{cmd}");
    }
}
