//! A task's DNS configuration (Docker's `--dns`, `--dns-search`, `--dns-option` on
//! `service create`, and their `-add`/`-rm` forms on `service update`): the stored
//! [`DnsConfig`] and the raw flags that change it ([`DnsFlags`], [`DnsUpdateFlags`]).
//!
//! Every bad value is a [`SpecError`] naming the flag, the value and the fix.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// The resolver configuration of a task's container (Docker's `DNSConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DnsConfig {
    /// Name servers (`--dns`), IP addresses. On overlay networks the node's embedded DNS
    /// forwards the names it does not own to these instead of the host's resolvers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    /// Search domains (`--dns-search`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    /// Resolver options (`--dns-option`), e.g. `ndots:2`, `timeout:3`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl DnsConfig {
    /// No server, domain or option given.
    pub fn is_empty(&self) -> bool {
        self.nameservers.is_empty() && self.search.is_empty() && self.options.is_empty()
    }
}

/// Checks one `--dns` value: an IPv4 or IPv6 address; returns it normalised.
pub fn parse_nameserver(field: &str, value: &str) -> Result<String, SpecError> {
    value
        .trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            SpecError::new(
                field,
                value,
                "not an IP address",
                format!("give {field} the IP address of a name server, e.g. {field} 10.0.0.2"),
            )
        })
}

/// Checks one `--dns-search` value: a domain name (or `.`, Docker's "no search domain").
pub fn parse_search_domain(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim();
    let fix = || format!("give {field} a domain, e.g. {field} example.com");
    if v == "." {
        return Ok(v.to_string());
    }
    let d = v.strip_suffix('.').unwrap_or(v);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(label_ok) {
        return Err(SpecError::new(field, value, "not a domain name", fix()));
    }
    Ok(d.to_string())
}

/// Checks one `--dns-option` value: one resolver option word (`ndots:2`, `rotate`, ...).
pub fn parse_dns_option(field: &str, value: &str) -> Result<String, SpecError> {
    let v = value.trim();
    if v.is_empty() || v.contains(char::is_whitespace) {
        return Err(SpecError::new(
            field,
            value,
            "not a resolver option",
            format!("give {field} one option such as ndots:2 or timeout:3"),
        ));
    }
    Ok(v.to_string())
}

fn push_new(list: &mut Vec<String>, v: String) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// `service create`'s DNS flags as given (repeatable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsFlags {
    /// `--dns IP`
    #[serde(default)]
    pub dns: Vec<String>,
    /// `--dns-search DOMAIN`
    #[serde(default)]
    pub dns_search: Vec<String>,
    /// `--dns-option OPT`
    #[serde(default)]
    pub dns_option: Vec<String>,
}

impl DnsFlags {
    /// The configuration these flags give (in order, each value once).
    pub fn to_config(&self) -> Result<DnsConfig, SpecError> {
        let mut c = DnsConfig::default();
        for v in &self.dns {
            push_new(&mut c.nameservers, parse_nameserver("--dns", v)?);
        }
        for v in &self.dns_search {
            push_new(&mut c.search, parse_search_domain("--dns-search", v)?);
        }
        for v in &self.dns_option {
            push_new(&mut c.options, parse_dns_option("--dns-option", v)?);
        }
        Ok(c)
    }
}

/// `service update`'s DNS flags as given (repeatable): removals first, then additions, as
/// Docker's `service update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsUpdateFlags {
    /// `--dns-add IP`
    #[serde(default)]
    pub dns_add: Vec<String>,
    /// `--dns-rm IP`
    #[serde(default)]
    pub dns_rm: Vec<String>,
    /// `--dns-search-add DOMAIN`
    #[serde(default)]
    pub dns_search_add: Vec<String>,
    /// `--dns-search-rm DOMAIN`
    #[serde(default)]
    pub dns_search_rm: Vec<String>,
    /// `--dns-option-add OPT`
    #[serde(default)]
    pub dns_option_add: Vec<String>,
    /// `--dns-option-rm OPT`
    #[serde(default)]
    pub dns_option_rm: Vec<String>,
}

impl DnsUpdateFlags {
    /// Applies the removals, then the additions, to `c`.
    pub fn apply(&self, c: &mut DnsConfig) -> Result<(), SpecError> {
        for v in &self.dns_rm {
            let v = parse_nameserver("--dns-rm", v)?;
            c.nameservers.retain(|x| *x != v);
        }
        for v in &self.dns_search_rm {
            let v = parse_search_domain("--dns-search-rm", v)?;
            c.search.retain(|x| *x != v);
        }
        for v in &self.dns_option_rm {
            let v = parse_dns_option("--dns-option-rm", v)?;
            c.options.retain(|x| *x != v);
        }
        for v in &self.dns_add {
            push_new(&mut c.nameservers, parse_nameserver("--dns-add", v)?);
        }
        for v in &self.dns_search_add {
            push_new(&mut c.search, parse_search_domain("--dns-search-add", v)?);
        }
        for v in &self.dns_option_add {
            push_new(&mut c.options, parse_dns_option("--dns-option-add", v)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn create_flags_give_servers_domains_and_options_once_each() {
        let c = DnsFlags {
            dns: strs(&["10.0.0.2", " 2001:db8::1 ", "10.0.0.2"]),
            dns_search: strs(&["example.com.", "corp.example.com"]),
            dns_option: strs(&["ndots:2", "timeout:3"]),
        }
        .to_config()
        .unwrap();
        assert_eq!(c.nameservers, ["10.0.0.2", "2001:db8::1"]);
        assert_eq!(c.search, ["example.com", "corp.example.com"]);
        assert_eq!(c.options, ["ndots:2", "timeout:3"]);
        assert!(DnsFlags::default().to_config().unwrap().is_empty());
    }

    #[test]
    fn bad_values_name_the_flag_and_the_value() {
        let e = DnsFlags {
            dns: strs(&["dns.example.com"]),
            ..Default::default()
        }
        .to_config()
        .unwrap_err();
        assert_eq!(e.field, "--dns");
        assert!(e.to_string().contains("dns.example.com"), "{e}");
        let e = DnsFlags {
            dns_search: strs(&["bad domain"]),
            ..Default::default()
        }
        .to_config()
        .unwrap_err();
        assert_eq!(e.field, "--dns-search");
        let e = DnsFlags {
            dns_option: strs(&[""]),
            ..Default::default()
        }
        .to_config()
        .unwrap_err();
        assert_eq!(e.field, "--dns-option");
        let e = DnsUpdateFlags {
            dns_add: strs(&["300.1.1.1"]),
            ..Default::default()
        }
        .apply(&mut DnsConfig::default())
        .unwrap_err();
        assert_eq!(e.field, "--dns-add");
        assert!(parse_search_domain("--dns-search", "-x.com").is_err());
        assert_eq!(parse_search_domain("--dns-search", ".").unwrap(), ".");
    }

    #[test]
    fn update_removes_then_adds() {
        let mut c = DnsConfig {
            nameservers: strs(&["10.0.0.2", "10.0.0.3"]),
            search: strs(&["a.example"]),
            options: strs(&["ndots:1"]),
        };
        DnsUpdateFlags {
            dns_add: strs(&["10.0.0.4", "10.0.0.3"]),
            dns_rm: strs(&["10.0.0.2"]),
            dns_search_add: strs(&["b.example"]),
            dns_search_rm: strs(&["a.example"]),
            dns_option_add: strs(&["ndots:1"]),
            dns_option_rm: strs(&["ndots:1"]),
        }
        .apply(&mut c)
        .unwrap();
        assert_eq!(c.nameservers, ["10.0.0.3", "10.0.0.4"]);
        assert_eq!(c.search, ["b.example"]);
        // Removed, then added back: Docker's order.
        assert_eq!(c.options, ["ndots:1"]);
    }
}
