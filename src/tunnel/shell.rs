//! What `swarm-aws docker-env` prints, per shell, the way `docker-machine env` does (pure).

use clap::ValueEnum;
use serde::Serialize;

/// The shells `docker-env` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Shell {
    /// bash, zsh, sh: `export NAME="value"`
    #[default]
    Bash,
    /// fish: `set -gx NAME "value";`
    Fish,
    /// PowerShell: `$Env:NAME = "value"`
    Powershell,
}

/// The docker CLI's environment for one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct DockerEnv {
    /// `tcp://127.0.0.1:PORT`: the local tunnel.
    pub docker_host: String,
    /// Always `1`: the CLI verifies the manager and presents the admin certificate.
    pub docker_tls_verify: String,
    /// The dir of `ca.pem`, `cert.pem`, `key.pem`.
    pub docker_cert_path: String,
}

/// The variables `docker-env` sets, in order.
pub const VARS: [&str; 3] = ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"];

impl DockerEnv {
    /// The environment for a tunnel on 127.0.0.1:`port` and the TLS files in `cert_path`.
    pub fn new(port: u16, cert_path: &str) -> Self {
        DockerEnv {
            docker_host: format!("tcp://127.0.0.1:{port}"),
            docker_tls_verify: "1".into(),
            docker_cert_path: cert_path.to_string(),
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (VARS[0], &self.docker_host),
            (VARS[1], &self.docker_tls_verify),
            (VARS[2], &self.docker_cert_path),
        ]
    }
}

/// `value` in double quotes for `shell`, with its special characters escaped.
pub fn quote(shell: Shell, value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match (shell, c) {
            (Shell::Bash, '"' | '\\' | '$' | '`') | (Shell::Fish, '"' | '\\' | '$') => {
                out.push('\\');
                out.push(c);
            }
            (Shell::Powershell, '"' | '`' | '$') => {
                out.push('`');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The command line that re-runs `docker-env` (for the trailer), e.g.
/// `swarm-aws docker-env --cluster prod --shell fish`.
fn rerun(cluster: &str, shell: Shell, unset: bool) -> String {
    let mut cmd = format!("swarm-aws docker-env --cluster {cluster}");
    if unset {
        cmd.push_str(" --unset");
    }
    match shell {
        Shell::Bash => cmd,
        Shell::Fish => cmd + " --shell fish",
        Shell::Powershell => cmd + " --shell powershell",
    }
}

/// docker-machine's trailer: how to apply the output.
fn trailer(cluster: &str, shell: Shell, unset: bool) -> String {
    let cmd = rerun(cluster, shell, unset);
    let apply = match shell {
        Shell::Bash => format!("eval $({cmd})"),
        Shell::Fish => format!("eval ({cmd})"),
        Shell::Powershell => format!("& {cmd} | Invoke-Expression"),
    };
    format!("# Run this command to configure your shell:\n# {apply}\n")
}

/// The lines that set `env` in `shell`, then the trailer.
pub fn set_lines(shell: Shell, env: &DockerEnv, cluster: &str) -> String {
    let mut out: String = env
        .pairs()
        .iter()
        .map(|(k, v)| match shell {
            Shell::Bash => format!("export {k}={}\n", quote(shell, v)),
            Shell::Fish => format!("set -gx {k} {};\n", quote(shell, v)),
            Shell::Powershell => format!("$Env:{k} = {}\n", quote(shell, v)),
        })
        .collect();
    out.push_str(&trailer(cluster, shell, false));
    out
}

/// The lines that unset the variables in `shell`, then the trailer.
pub fn unset_lines(shell: Shell, cluster: &str) -> String {
    let mut out: String = VARS
        .iter()
        .map(|k| match shell {
            Shell::Bash => format!("unset {k}\n"),
            Shell::Fish => format!("set -e {k};\n"),
            Shell::Powershell => format!("Remove-Item Env:\\{k}\n"),
        })
        .collect();
    out.push_str(&trailer(cluster, shell, true));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> DockerEnv {
        DockerEnv::new(40123, "/home/a/.config/swarm-aws/clusters/prod/docker")
    }

    #[test]
    fn bash_exports_like_docker_machine() {
        assert_eq!(
            set_lines(Shell::Bash, &env(), "prod"),
            "export DOCKER_HOST=\"tcp://127.0.0.1:40123\"\n\
             export DOCKER_TLS_VERIFY=\"1\"\n\
             export DOCKER_CERT_PATH=\"/home/a/.config/swarm-aws/clusters/prod/docker\"\n\
             # Run this command to configure your shell:\n\
             # eval $(swarm-aws docker-env --cluster prod)\n"
        );
        assert_eq!(
            unset_lines(Shell::Bash, "prod"),
            "unset DOCKER_HOST\nunset DOCKER_TLS_VERIFY\nunset DOCKER_CERT_PATH\n\
             # Run this command to configure your shell:\n\
             # eval $(swarm-aws docker-env --cluster prod --unset)\n"
        );
    }

    #[test]
    fn fish_and_powershell_have_their_own_syntax() {
        let fish = set_lines(Shell::Fish, &env(), "prod");
        assert!(
            fish.starts_with("set -gx DOCKER_HOST \"tcp://127.0.0.1:40123\";\n"),
            "{fish}"
        );
        assert!(fish.ends_with("# eval (swarm-aws docker-env --cluster prod --shell fish)\n"));
        assert!(unset_lines(Shell::Fish, "prod").starts_with("set -e DOCKER_HOST;\n"));
        let ps = set_lines(Shell::Powershell, &env(), "prod");
        assert!(
            ps.starts_with("$Env:DOCKER_HOST = \"tcp://127.0.0.1:40123\"\n"),
            "{ps}"
        );
        assert!(ps.contains("$Env:DOCKER_TLS_VERIFY = \"1\"\n"));
        assert!(ps.ends_with(
            "# & swarm-aws docker-env --cluster prod --shell powershell | Invoke-Expression\n"
        ));
        assert!(
            unset_lines(Shell::Powershell, "prod").starts_with("Remove-Item Env:\\DOCKER_HOST\n")
        );
    }

    #[test]
    fn special_characters_are_escaped_per_shell() {
        let v = r#"/a "b" $c `d` \e"#;
        assert_eq!(quote(Shell::Bash, v), r#""/a \"b\" \$c \`d\` \\e""#);
        assert_eq!(quote(Shell::Fish, v), r#""/a \"b\" \$c `d` \\e""#);
        assert_eq!(quote(Shell::Powershell, v), r#""/a `"b`" `$c ``d`` \e""#);
    }

    #[test]
    fn json_names_the_variables() {
        let j = serde_json::to_value(env()).unwrap();
        assert_eq!(j["DOCKER_HOST"], "tcp://127.0.0.1:40123");
        assert_eq!(j["DOCKER_TLS_VERIFY"], "1");
        assert_eq!(j.as_object().unwrap().len(), 3);
    }
}
