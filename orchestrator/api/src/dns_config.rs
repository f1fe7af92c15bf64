//! A task's DNS configuration (Docker's `--dns`, `--dns-search`, `--dns-option` on
//! `service create`, and their `-add`/`-rm` forms on `service update`): the stored
//! [`DnsConfig`] and the checks of one value each (the flags themselves are `swarm-ctl`'s).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(
            parse_nameserver("--dns", " 2001:db8::1 ").unwrap(),
            "2001:db8::1"
        );
        let e = parse_nameserver("--dns", "dns.example.com").unwrap_err();
        assert_eq!(e.field, "--dns");
        assert!(e.to_string().contains("dns.example.com"), "{e}");
        assert_eq!(
            parse_search_domain("--dns-search", "example.com.").unwrap(),
            "example.com"
        );
        assert!(parse_search_domain("--dns-search", "bad domain").is_err());
        assert!(parse_search_domain("--dns-search", "-x.com").is_err());
        assert_eq!(parse_search_domain("--dns-search", ".").unwrap(), ".");
        assert!(parse_dns_option("--dns-option", "").is_err());
    }
}
