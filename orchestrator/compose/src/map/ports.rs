//! `ports:` in the short syntax (`"8080:80"`, `80`, `"8080:80/udp"`, ranges
//! `"8000-8001:80-81"`) and the long one (`{target, published, protocol, mode}`).

use swarm_api::publish::{PortConfig, Protocol, PublishMode};

use crate::error::ComposeError;
use crate::model::Port;

fn bad(path: &str, value: &str, why: &str) -> ComposeError {
    ComposeError::key(
        path,
        format!("{value:?}: {why}"),
        "write \"PUBLISHED:TARGET[/udp]\", \"TARGET\" or {target: 80, published: 8080, protocol: tcp, mode: ingress}",
    )
}

fn number(path: &str, value: &str, s: &str) -> Result<u16, ComposeError> {
    match s.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(bad(
            path,
            value,
            &format!("{s:?} is not a port from 1 to 65535"),
        )),
    }
}

fn range(path: &str, value: &str, s: &str) -> Result<Vec<u16>, ComposeError> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(path, value, a)?, number(path, value, b)?);
            if a > b {
                return Err(bad(path, value, "the range ends before it starts"));
            }
            Ok((a..=b).collect())
        }
        None => Ok(vec![number(path, value, s)?]),
    }
}

fn protocol(path: &str, value: &str, s: &str) -> Result<Protocol, ComposeError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        _ => Err(bad(
            path,
            value,
            &format!("unknown protocol {s:?} (tcp or udp)"),
        )),
    }
}

/// The port configs of one `ports` entry at `path`.
pub fn map_port(path: &str, p: &Port) -> Result<Vec<PortConfig>, ComposeError> {
    match p {
        Port::Short(t) => {
            let value = t.0.as_str();
            let (ports, proto) = match value.split_once('/') {
                Some((ports, proto)) => (ports, protocol(path, value, proto)?),
                None => (value, Protocol::Tcp),
            };
            let parts: Vec<&str> = ports.split(':').collect();
            let (published, target) = match parts.as_slice() {
                [t] => (None, *t),
                [p, t] => (Some(*p), *t),
                [_, _, _] => {
                    return Err(ComposeError::key(
                        path,
                        format!("{value:?}: a host address is not supported by swarm (every node publishes the port)"),
                        "drop the address: \"PUBLISHED:TARGET\"",
                    ))
                }
                _ => return Err(bad(path, value, "too many ':'")),
            };
            let targets = range(path, value, target)?;
            let published = match published {
                Some(p) => {
                    let ps = range(path, value, p)?;
                    if ps.len() != targets.len() {
                        return Err(bad(
                            path,
                            value,
                            "the published and target ranges differ in length",
                        ));
                    }
                    ps.into_iter().map(Some).collect()
                }
                None => vec![None; targets.len()],
            };
            Ok(published
                .into_iter()
                .zip(targets)
                .map(|(published, target)| PortConfig {
                    published,
                    target,
                    protocol: proto,
                    mode: PublishMode::Ingress,
                })
                .collect())
        }
        Port::Long(l) => {
            let value = format!("target={}", l.target);
            if l.host_ip.is_some() {
                return Err(ComposeError::key(
                    format!("{path}.host_ip"),
                    "a host address is not supported by swarm (every node publishes the port)",
                    "remove host_ip",
                ));
            }
            if l.target == 0 {
                return Err(bad(
                    &format!("{path}.target"),
                    "0",
                    "not a port from 1 to 65535",
                ));
            }
            let published = match &l.published {
                Some(p) => Some(number(&format!("{path}.published"), &p.0, &p.0)?),
                None => None,
            };
            let protocol = match &l.protocol {
                Some(p) => protocol(&format!("{path}.protocol"), &p.0, &p.0)?,
                None => Protocol::Tcp,
            };
            let mode = match l.mode.as_ref().map(|m| m.0.as_str()) {
                None | Some("ingress") => PublishMode::Ingress,
                Some("host") => PublishMode::Host,
                Some(other) => {
                    return Err(ComposeError::key(
                        format!("{path}.mode"),
                        format!("{other:?}: unknown publish mode ({value})"),
                        "use mode: ingress or mode: host",
                    ))
                }
            };
            Ok(vec![PortConfig {
                published,
                target: l.target,
                protocol,
                mode,
            }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortLong, Text};

    fn short(s: &str) -> Result<Vec<PortConfig>, ComposeError> {
        map_port("services.web.ports[0]", &Port::Short(Text(s.into())))
    }

    #[test]
    fn short_and_long_forms() {
        let p = short("8080:80").unwrap();
        assert_eq!((p[0].published, p[0].target), (Some(8080), 80));
        let p = short("53/udp").unwrap();
        assert_eq!((p[0].published, p[0].protocol), (None, Protocol::Udp));
        let p = short("9000-9001:80-81").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!((p[1].published, p[1].target), (Some(9001), 81));
        let e = short("127.0.0.1:80:80").unwrap_err().to_string();
        assert!(e.contains("host address"), "{e}");
        let e = short("80:x").unwrap_err().to_string();
        assert!(e.starts_with("services.web.ports[0]: \"80:x\""), "{e}");
        let l = PortLong {
            target: 80,
            published: Some(Text("8080".into())),
            protocol: None,
            mode: Some(Text("host".into())),
            host_ip: None,
            name: None,
            app_protocol: None,
        };
        let p = map_port("p", &Port::Long(l)).unwrap();
        assert_eq!((p[0].published, p[0].mode), (Some(8080), PublishMode::Host));
    }
}
