//! Published ports: `--publish published=8080,target=80[,protocol=udp][,mode=host]` or `8080:80[/udp]`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kv::split_pairs;
use crate::spec_error::SpecError;

const FIELD: &str = "--publish";
const FIX: &str = "write published=<port>,target=<port>[,protocol=tcp|udp][,mode=ingress|host] or <published>:<target>[/udp]";

/// Transport protocol of a published port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// TCP
    #[default]
    Tcp,
    /// UDP
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// How a port is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    /// The routing mesh: every node listens and forwards to the service's tasks.
    #[default]
    Ingress,
    /// Bound directly on the node running the task (one such task per node and port).
    Host,
}

/// One published port of a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortConfig {
    /// The port on the nodes; None lets the manager pick one (ingress) or the engine (host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<u16>,
    /// The port inside the container.
    pub target: u16,
    /// tcp or udp.
    #[serde(default)]
    pub protocol: Protocol,
    /// ingress (routing mesh) or host.
    #[serde(default)]
    pub mode: PublishMode,
}

impl PortConfig {
    /// Parses one `--publish` value in the long or the short syntax.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        if value.contains('=') {
            Self::parse_long(value)
        } else {
            Self::parse_short(value)
        }
    }

    fn port(value: &str, what: &str, s: &str) -> Result<u16, SpecError> {
        match s.trim().parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(SpecError::new(
                FIELD,
                value,
                format!("{what} port {s:?} is not a number from 1 to 65535"),
                FIX,
            )),
        }
    }

    fn protocol(value: &str, s: &str) -> Result<Protocol, SpecError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            other => Err(SpecError::new(
                FIELD,
                value,
                format!("unknown protocol {other:?}"),
                "use protocol=tcp or protocol=udp",
            )),
        }
    }

    fn parse_short(value: &str) -> Result<Self, SpecError> {
        let (ports, protocol) = match value.split_once('/') {
            Some((p, proto)) => (p, Self::protocol(value, proto)?),
            None => (value, Protocol::Tcp),
        };
        let (published, target) = match ports.split_once(':') {
            Some((p, t)) => (
                Some(Self::port(value, "published", p)?),
                Self::port(value, "target", t)?,
            ),
            None => (None, Self::port(value, "target", ports)?),
        };
        Ok(PortConfig {
            published,
            target,
            protocol,
            mode: PublishMode::Ingress,
        })
    }

    fn parse_long(value: &str) -> Result<Self, SpecError> {
        let mut published = None;
        let mut target = None;
        let mut protocol = Protocol::Tcp;
        let mut mode = PublishMode::Ingress;
        for (k, v) in split_pairs(FIELD, value, FIX)? {
            let Some(v) = v.filter(|v| !v.is_empty()) else {
                return Err(SpecError::new(
                    FIELD,
                    value,
                    format!("{k} needs a value"),
                    FIX,
                ));
            };
            match k.to_ascii_lowercase().as_str() {
                "published" => published = Some(Self::port(value, "published", v)?),
                "target" => target = Some(Self::port(value, "target", v)?),
                "protocol" => protocol = Self::protocol(value, v)?,
                "mode" => {
                    mode = match v.to_ascii_lowercase().as_str() {
                        "ingress" => PublishMode::Ingress,
                        "host" => PublishMode::Host,
                        other => {
                            return Err(SpecError::new(
                                FIELD,
                                value,
                                format!("unknown mode {other:?}"),
                                "use mode=ingress or mode=host",
                            ))
                        }
                    }
                }
                other => {
                    return Err(SpecError::new(
                        FIELD,
                        value,
                        format!("unknown option {other:?}"),
                        "use published, target, protocol or mode",
                    ))
                }
            }
        }
        let Some(target) = target else {
            return Err(SpecError::new(FIELD, value, "no target port given", FIX));
        };
        Ok(PortConfig {
            published,
            target,
            protocol,
            mode,
        })
    }
}

impl fmt::Display for PortConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.published {
            Some(p) => write!(f, "*:{p}->{}/{}", self.target, self.protocol),
            None => write!(f, "*:?->{}/{}", self.target, self.protocol),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_syntax() {
        let p = PortConfig::parse("published=8080,target=80,mode=host").unwrap();
        assert_eq!(
            p,
            PortConfig {
                published: Some(8080),
                target: 80,
                protocol: Protocol::Tcp,
                mode: PublishMode::Host
            }
        );
        let p = PortConfig::parse("target=53,published=53,protocol=udp").unwrap();
        assert_eq!((p.protocol, p.mode), (Protocol::Udp, PublishMode::Ingress));
        assert_eq!(PortConfig::parse("target=80").unwrap().published, None);
    }

    #[test]
    fn short_syntax() {
        let p = PortConfig::parse("8080:80").unwrap();
        assert_eq!(
            (p.published, p.target, p.protocol),
            (Some(8080), 80, Protocol::Tcp)
        );
        let p = PortConfig::parse("53:53/udp").unwrap();
        assert_eq!(p.protocol, Protocol::Udp);
        assert_eq!(PortConfig::parse("80").unwrap().published, None);
    }

    #[test]
    fn refuses_bad_ports() {
        for (bad, needle) in [
            ("published=8080", "no target"),
            ("published=http,target=80", "published port"),
            ("8080:0", "target port"),
            ("70000:80", "published port"),
            ("8080:80/sctp", "unknown protocol"),
            ("published=1,target=2,mode=mesh", "unknown mode"),
            ("published=1,target=2,colour=red", "unknown option"),
        ] {
            let e = PortConfig::parse(bad).unwrap_err();
            assert_eq!((e.field.as_str(), e.value.as_str()), ("--publish", bad));
            assert!(e.reason.contains(needle), "{bad}: {e}");
        }
    }
}
