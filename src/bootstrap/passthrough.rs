//! Running `swarmd` client verbs (`node ls`, `node update ...`) on a manager over SSH: what
//! `swarm-aws node ...` passes through until the forwarded mutual-TLS API is wired in.

use super::nodes::{NodeRole, NodeTable};
use super::remote::RemoteHost;
use super::run::{BootstrapHost, BootstrapOptions};
use super::BootstrapError;
use crate::ssh::{shell_quote, ExecOutput, SshClient};

/// The remote command for `swarmd ARGS` against the local node (pure).
pub fn swarmd_command(h: &BootstrapHost, args: &[String]) -> String {
    let mut cmd = shell_quote(&h.layout.binary());
    for a in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(a));
    }
    cmd.push_str(" --state-dir ");
    cmd.push_str(&shell_quote(&h.layout.state_dir()));
    cmd
}

/// Connects to `h` over SSH, as a [`RemoteHost`] whose verbs run `swarmd` there.
pub(super) async fn connect(
    h: &BootstrapHost,
    opts: &BootstrapOptions,
) -> Result<RemoteHost, BootstrapError> {
    let ssh = SshClient::connect(h.ssh_addr, &opts.key, &opts.known_hosts, &opts.connect)
        .await
        .map_err(|source| BootstrapError::Ssh {
            host: h.id.clone(),
            step: format!("connect to {}", h.ssh_addr),
            source,
        })?;
    Ok(RemoteHost {
        id: h.id.clone(),
        ssh,
        layout: h.layout.clone(),
        systemd: false,
    })
}

/// The first of `managers` that is reachable and whose swarmd answers `node ls`, with the
/// table it gave. Fails for `step`, naming every manager tried, when none answers.
pub(super) async fn answering_manager<'a>(
    managers: impl IntoIterator<Item = &'a BootstrapHost>,
    opts: &BootstrapOptions,
    step: &str,
) -> Result<(&'a BootstrapHost, RemoteHost, NodeTable), BootstrapError> {
    let mut tried = Vec::new();
    for h in managers {
        match connect(h, opts).await {
            Ok(remote) => match remote.node_ls().await {
                Ok(table) => return Ok((h, remote, table)),
                Err(e) => tried.push(e.to_string()),
            },
            Err(e) => tried.push(e.to_string()),
        }
    }
    Err(BootstrapError::Remote {
        host: "managers".into(),
        step: step.to_string(),
        detail: if tried.is_empty() {
            "no manager in the inventory".into()
        } else {
            format!("no manager answers: {}", tried.join("; "))
        },
    })
}

/// Runs `swarmd ARGS` on the first manager among `hosts` that is reachable and whose swarmd
/// answers, and returns its output (exit status included: the verb's own failures are the
/// caller's to show). Fails, naming every manager tried, when none answers.
pub async fn swarmd_on_manager(
    hosts: &[BootstrapHost],
    opts: &BootstrapOptions,
    args: &[String],
) -> Result<ExecOutput, BootstrapError> {
    let step = format!("swarmd {}", args.join(" "));
    let managers = hosts.iter().filter(|h| h.role == NodeRole::Manager);
    let (h, remote, _) = answering_manager(managers, opts, &step).await?;
    remote
        .ssh
        .exec(&swarmd_command(h, args))
        .await
        .map_err(|source| BootstrapError::Ssh {
            host: h.id.clone(),
            step,
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::RemoteLayout;

    #[test]
    fn arguments_are_quoted_and_the_state_dir_appended() {
        let h = BootstrapHost {
            id: "m".into(),
            instance: "m".into(),
            role: NodeRole::Manager,
            ssh_addr: "10.0.0.1:22".parse().unwrap(),
            advertise_ip: "10.0.0.1".parse().unwrap(),
            hostname: None,
            publish_ip: None,
            layout: RemoteLayout::system(),
        };
        let args: Vec<String> = ["node", "update", "--label-add", "a=b c;rm -rf /", "w1"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            swarmd_command(&h, &args),
            "'/usr/local/bin/swarmd' 'node' 'update' '--label-add' 'a=b c;rm -rf /' 'w1' \
             --state-dir '/var/lib/swarmd'"
        );
    }
}
