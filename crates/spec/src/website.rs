//! The failover-website spec: a domain, a Route 53 zone (new or existing), a health check on the
//! primary, and the two load balancers the PRIMARY and SECONDARY records alias.

use super::FieldError;

/// A validated failover website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsiteSpec {
    /// The domain, without a trailing dot (e.g. `example.com`).
    pub domain: String,
    /// The record the failover pair answers for (e.g. `example.com` or `www.example.com`).
    pub record_name: String,
    /// Create a hosted zone, or use an existing one.
    pub zone: HostedZone,
    /// The health check on the primary.
    pub health_check: HealthCheck,
    /// Where PRIMARY points.
    pub primary: Target,
    /// Where SECONDARY points.
    pub secondary: Target,
}

/// What a failover record points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A load balancer given by DNS name and zone id.
    Balancer(AliasTarget),
    /// A swarm-aws cluster by name: the template takes its load balancer as parameters, which
    /// `website up` fills from the cluster stack's outputs.
    Cluster(String),
}

/// The hosted zone the records go in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostedZone {
    /// The template creates a public hosted zone for the domain.
    Create,
    /// Records go into this existing zone.
    Existing(String),
}

/// A Route 53 health check on the primary load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// `HTTP`, `HTTPS` or `TCP`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// Path for HTTP(S).
    pub path: String,
    /// Seconds between checks (Route 53 allows 10 or 30).
    pub interval: u32,
    /// Consecutive results that change its state (1-10).
    pub failure_threshold: u32,
}

/// A load balancer to alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTarget {
    /// Its DNS name.
    pub dns_name: String,
    /// Its canonical hosted-zone id.
    pub zone_id: String,
}

/// What a failover website needs besides its two targets, as the user gave it (`--domain`,
/// `--record-name`, `--hosted-zone-id`, `--health-check-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsiteInput {
    /// Domain of the website.
    pub domain: String,
    /// Record to create (default: the domain).
    pub record_name: Option<String>,
    /// An existing hosted zone to use.
    pub hosted_zone_id: Option<String>,
    /// `http`, `https` or `tcp`.
    pub health_check_protocol: String,
    /// Port of the health check.
    pub health_check_port: u16,
    /// Path of the health check (http/https).
    pub health_check_path: String,
    /// Seconds between checks: 10 or 30.
    pub health_check_interval: u32,
    /// Consecutive failures (or passes) that change the check's state: 1-10.
    pub health_check_failure_threshold: u32,
}

/// Validates the parts of a website that come from flags; the targets come from flags or from the
/// clusters' stack outputs.
pub fn validate_website(
    common: &WebsiteInput,
    primary: Target,
    secondary: Target,
) -> Result<WebsiteSpec, Vec<FieldError>> {
    let mut errs = Vec::new();
    let domain = common.domain.trim_end_matches('.').to_ascii_lowercase();
    if !is_dns_name(&domain) || !domain.contains('.') {
        errs.push(FieldError::new(
            "--domain",
            &common.domain,
            "is not a domain name (expected labels of letters, digits and hyphens separated by dots, e.g. example.com)",
        ));
    }
    let record_name = common
        .record_name
        .as_deref()
        .map(|r| r.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_else(|| domain.clone());
    if !is_dns_name(&record_name)
        || !(record_name == domain || record_name.ends_with(&format!(".{domain}")))
    {
        errs.push(FieldError::new(
            "--record-name",
            &record_name,
            format!("must be {domain} or a name under it (e.g. www.{domain})"),
        ));
    }
    let zone = match &common.hosted_zone_id {
        None => HostedZone::Create,
        Some(id) => {
            check_zone_id("--hosted-zone-id", id, &mut errs);
            HostedZone::Existing(id.clone())
        }
    };
    let protocol = common.health_check_protocol.to_ascii_uppercase();
    if !["HTTP", "HTTPS", "TCP"].contains(&protocol.as_str()) {
        errs.push(FieldError::new(
            "--health-check-protocol",
            &common.health_check_protocol,
            "must be http, https or tcp",
        ));
    }
    if common.health_check_port == 0 {
        errs.push(FieldError::new("--health-check-port", 0, "must be 1-65535"));
    }
    if !common.health_check_path.starts_with('/') {
        errs.push(FieldError::new(
            "--health-check-path",
            &common.health_check_path,
            "must start with / (e.g. /health)",
        ));
    }
    if ![10, 30].contains(&common.health_check_interval) {
        errs.push(FieldError::new(
            "--health-check-interval",
            common.health_check_interval,
            "must be 10 or 30 (the request intervals Route 53 offers)",
        ));
    }
    if !(1..=10).contains(&common.health_check_failure_threshold) {
        errs.push(FieldError::new(
            "--health-check-failure-threshold",
            common.health_check_failure_threshold,
            "must be 1-10",
        ));
    }
    check_target("primary", &primary, &mut errs);
    check_target("secondary", &secondary, &mut errs);
    let same = match (&primary, &secondary) {
        (Target::Balancer(p), Target::Balancer(s)) => p
            .dns_name
            .eq_ignore_ascii_case(&s.dns_name)
            .then(|| ("--secondary-dns", s.dns_name.clone())),
        (Target::Cluster(p), Target::Cluster(s)) => (p == s).then(|| ("--secondary", s.clone())),
        _ => None,
    };
    if let Some((field, value)) = same {
        errs.push(FieldError::new(
            field,
            value,
            "is the same as the primary; failover needs two different clusters",
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(WebsiteSpec {
        domain,
        record_name,
        zone,
        health_check: HealthCheck {
            protocol,
            port: common.health_check_port,
            path: common.health_check_path.clone(),
            interval: common.health_check_interval,
            failure_threshold: common.health_check_failure_threshold,
        },
        primary,
        secondary,
    })
}

fn check_target(which: &str, target: &Target, errs: &mut Vec<FieldError>) {
    let primary = which == "primary";
    match target {
        Target::Balancer(t) => {
            let field = if primary {
                "--primary-dns"
            } else {
                "--secondary-dns"
            };
            if !is_dns_name(&t.dns_name) {
                errs.push(FieldError::new(
                    field,
                    &t.dns_name,
                    "is not a DNS name (expected a load balancer name like x-123.us-east-1.elb.amazonaws.com)",
                ));
            }
            let field = if primary {
                "--primary-zone-id"
            } else {
                "--secondary-zone-id"
            };
            check_zone_id(field, &t.zone_id, errs);
        }
        Target::Cluster(name) => {
            let field = if primary { "--primary" } else { "--secondary" };
            if let Err(e) = super::validate::check_stack_name(field, name) {
                errs.push(e);
            }
        }
    }
}

fn check_zone_id(field: &'static str, id: &str, errs: &mut Vec<FieldError>) {
    let ok = id.starts_with('Z')
        && (2..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !ok {
        errs.push(FieldError::new(
            field,
            id,
            "is not a Route 53 hosted-zone id (expected Z and uppercase letters/digits, e.g. Z35SXDOTRQ7X7K)",
        ));
    }
}

/// Letters, digits and hyphens in dot-separated labels of 1-63 characters, 253 at most.
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(domain: &str) -> WebsiteInput {
        WebsiteInput {
            domain: domain.into(),
            record_name: None,
            hosted_zone_id: None,
            health_check_protocol: "http".into(),
            health_check_port: 80,
            health_check_path: "/".into(),
            health_check_interval: 30,
            health_check_failure_threshold: 3,
        }
    }

    fn target(dns: &str) -> Target {
        Target::Balancer(AliasTarget {
            dns_name: dns.into(),
            zone_id: "Z35SXDOTRQ7X7K".into(),
        })
    }

    #[test]
    fn accepts_a_plain_website() {
        let w = validate_website(
            &common("Example.com."),
            target("a.elb.amazonaws.com"),
            target("b.elb.amazonaws.com"),
        )
        .unwrap();
        assert_eq!(w.domain, "example.com");
        assert_eq!(w.record_name, "example.com");
        assert_eq!(w.zone, HostedZone::Create);
        assert_eq!(w.health_check.protocol, "HTTP");
    }

    #[test]
    fn refuses_bad_fields_naming_each() {
        let mut c = common("not a domain");
        c.hosted_zone_id = Some("abc".into());
        c.health_check_path = "health".into();
        c.health_check_interval = 20;
        c.health_check_failure_threshold = 0;
        let errs =
            validate_website(&c, target("same.example"), target("same.example")).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"--domain"));
        assert!(fields.contains(&"--hosted-zone-id"));
        assert!(fields.contains(&"--health-check-path"));
        assert!(fields.contains(&"--secondary-dns"));
        assert!(fields.contains(&"--health-check-interval"));
        assert!(fields.contains(&"--health-check-failure-threshold"));
    }

    #[test]
    fn clusters_by_name_must_differ() {
        let errs = validate_website(
            &common("example.com"),
            Target::Cluster("east".into()),
            Target::Cluster("east".into()),
        )
        .unwrap_err();
        assert_eq!(errs[0].field, "--secondary");
    }

    #[test]
    fn record_must_be_under_the_domain() {
        let mut c = common("example.com");
        c.record_name = Some("www.other.org".into());
        let errs = validate_website(&c, target("a.x"), target("b.x")).unwrap_err();
        assert_eq!(errs[0].field, "--record-name");
    }
}
