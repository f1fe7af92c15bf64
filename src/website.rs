//! Failover-website lifecycle helpers: read each cluster's load balancer (DNS name and hosted
//! zone id) from its stack outputs, deploy/describe/delete the website stack, and read back its
//! failover record sets.
//!
//! Alias records need the load balancer's canonical hosted zone id. A cluster stack exports it as
//! an output; where the backend does not resolve it (the moto emulator returns the unresolved
//! `Fn::GetAtt` expression, and its DescribeLoadBalancers omits the field) we fall back to AWS's
//! public per-region table of Classic/Application Load Balancer hosted zone ids, published in the
//! AWS General Reference ("Elastic Load Balancing endpoints and quotas").

use serde::Serialize;

use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::stack::describe::{describe_stack, stack_resources, StackInfo};
use crate::stack::StackError;

/// Cluster stack output holding the load balancer's DNS name.
pub const ELB_DNS_OUTPUT: &str = crate::template::outputs::keys::DNS_TARGET;
/// Cluster stack output holding the load balancer's canonical hosted zone id.
pub const ELB_ZONE_OUTPUT: &str = crate::template::outputs::keys::ELB_ZONE_ID;
/// Tag marking a swarm-aws website stack (its value is the domain); `ls` leaves these out.
pub const WEBSITE_TAG: &str = "swarm-aws:website";
/// Website stack output holding the hosted zone id.
pub const ZONE_OUTPUT: &str = "HostedZoneId";

/// Canonical hosted zone ids of Classic and Application Load Balancers, per region (AWS General
/// Reference, "Elastic Load Balancing endpoints and quotas").
pub const ELB_HOSTED_ZONES: &[(&str, &str)] = &[
    ("af-south-1", "Z268VQBMOI5EKX"),
    ("ap-east-1", "Z3DQVH9N71FHZ0"),
    ("ap-northeast-1", "Z14GRHDCWA56QT"),
    ("ap-northeast-2", "ZWKZPGTI48KDX"),
    ("ap-northeast-3", "Z5LXEXXYW11ES"),
    ("ap-south-1", "ZP97RAFLXTNZK"),
    ("ap-southeast-1", "Z1LMS91P8CMLE5"),
    ("ap-southeast-2", "Z1GM3OXH4ZPM65"),
    ("ap-southeast-3", "Z08888821HLRG5A9ZRTER"),
    ("ca-central-1", "ZQSVJUPU6J1EY"),
    ("cn-north-1", "Z1GDH35T77C1KE"),
    ("cn-northwest-1", "ZM7IZAIOVVDZF"),
    ("eu-central-1", "Z215JYRZR1TBD5"),
    ("eu-north-1", "Z23TAZ6LKFMNIO"),
    ("eu-south-1", "Z3ULH7SSC9OV64"),
    ("eu-west-1", "Z32O12XQLNTSW2"),
    ("eu-west-2", "ZHURV8PSTC4K8"),
    ("eu-west-3", "Z3Q77PNBQS71R4"),
    ("me-south-1", "ZS929ML54UICD"),
    ("sa-east-1", "Z2P70J7HTTTPLU"),
    ("us-east-1", "Z35SXDOTRQ7X7K"),
    ("us-east-2", "Z3AADJGX6KTTL2"),
    ("us-gov-east-1", "Z166TLBEWOO7G0"),
    ("us-gov-west-1", "Z33AYJ8TM3BH4J"),
    ("us-west-1", "Z368ELLRRE2KJ0"),
    ("us-west-2", "Z1H1FL5HABSF5"),
];

/// The load balancer hosted zone id of `region`, from [`ELB_HOSTED_ZONES`].
pub fn elb_zone_for_region(region: &str) -> Option<&'static str> {
    ELB_HOSTED_ZONES
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, z)| *z)
}

/// True when `id` looks like a Route 53 hosted zone id (uppercase letters and digits, starting `Z`).
pub fn is_zone_id(id: &str) -> bool {
    id.len() >= 10
        && id.starts_with('Z')
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A cluster's public entry point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterEndpoint {
    /// Cluster (stack) name.
    pub cluster: String,
    /// Region of the cluster.
    pub region: String,
    /// Load balancer DNS name.
    pub dns_name: String,
    /// Load balancer canonical hosted zone id.
    pub zone_id: String,
    /// True when the zone id came from the regional table, not from the stack.
    pub zone_from_table: bool,
}

/// Reads the endpoint from a cluster stack's outputs (pure).
pub fn endpoint_from_outputs(
    info: &StackInfo,
    region: &str,
) -> Result<ClusterEndpoint, StackError> {
    let missing = |output: &str| StackError::MissingOutput {
        stack: info.name.clone(),
        output: output.to_string(),
    };
    let dns_name = info
        .output(ELB_DNS_OUTPUT)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| missing(ELB_DNS_OUTPUT))?
        .to_string();
    let (zone_id, zone_from_table) = match info.output(ELB_ZONE_OUTPUT) {
        Some(z) if is_zone_id(z) => (z.to_string(), false),
        _ => (
            elb_zone_for_region(region)
                .ok_or_else(|| missing(ELB_ZONE_OUTPUT))?
                .to_string(),
            true,
        ),
    };
    Ok(ClusterEndpoint {
        cluster: info.name.clone(),
        region: region.to_string(),
        dns_name,
        zone_id,
        zone_from_table,
    })
}

/// Reads the endpoint of cluster stack `cluster` through `clients` (in the cluster's region).
pub async fn cluster_endpoint(
    clients: &Clients,
    cluster: &str,
) -> Result<ClusterEndpoint, StackError> {
    let info = describe_stack(&clients.cfn, cluster)
        .await?
        .ok_or_else(|| StackError::NotFound {
            stack: cluster.to_string(),
            region: clients.region.clone(),
        })?;
    if !info.is_swarm_aws() {
        return Err(StackError::NotOurs {
            stack: cluster.to_string(),
        });
    }
    endpoint_from_outputs(&info, &clients.region)
}

/// Parameters for the website template: the two endpoints, primary first (names from
/// [`crate::template::website::target_parameters`]).
pub fn endpoint_parameters(
    primary: &ClusterEndpoint,
    secondary: &ClusterEndpoint,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (prefix, e) in [("Primary", primary), ("Secondary", secondary)] {
        let (dns, zone) = crate::template::website::target_parameters(prefix);
        out.push((dns, e.dns_name.clone()));
        out.push((zone, e.zone_id.clone()));
    }
    out
}

/// One failover record of the website.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailoverRecord {
    /// Record name.
    pub name: String,
    /// Record type (`A`).
    pub record_type: String,
    /// `PRIMARY` or `SECONDARY`.
    pub failover: String,
    /// Set identifier.
    pub set_identifier: String,
    /// Alias target DNS name.
    pub alias_dns_name: String,
    /// Alias target hosted zone id.
    pub alias_zone_id: String,
    /// Health check attached, if any.
    pub health_check_id: Option<String>,
}

/// The website stack's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebsiteStatus {
    /// The website stack.
    pub stack: StackInfo,
    /// Hosted zone id.
    pub zone_id: Option<String>,
    /// Failover records (PRIMARY first).
    pub records: Vec<FailoverRecord>,
}

/// Describes the website stack `stack` and its failover record sets.
pub async fn website_status(clients: &Clients, stack: &str) -> Result<WebsiteStatus, CloudError> {
    let info = describe_stack(&clients.cfn, stack)
        .await?
        .ok_or_else(|| StackError::NotFound {
            stack: stack.to_string(),
            region: clients.region.clone(),
        })?;
    let zone_id = match info.output(ZONE_OUTPUT) {
        Some(z) => Some(z.to_string()),
        None => stack_resources(&clients.cfn, stack)
            .await?
            .into_iter()
            .find(|r| r.resource_type == "AWS::Route53::HostedZone")
            .and_then(|r| r.physical_id),
    };
    let records = match &zone_id {
        Some(z) => failover_records(clients, z).await?,
        None => Vec::new(),
    };
    Ok(WebsiteStatus {
        stack: info,
        zone_id,
        records,
    })
}

/// Lists the failover alias records of hosted zone `zone`.
pub async fn failover_records(
    clients: &Clients,
    zone: &str,
) -> Result<Vec<FailoverRecord>, CloudError> {
    let zone_id = zone.trim_start_matches("/hostedzone/");
    let mut out = Vec::new();
    let mut next: Option<(String, aws_sdk_route53::types::RrType, Option<String>)> = None;
    loop {
        let mut req = clients
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id);
        if let Some((name, ty, ident)) = next.take() {
            req = req
                .start_record_name(name)
                .start_record_type(ty)
                .set_start_record_identifier(ident);
        }
        let page = call(req.send())
            .await
            .map_err(|source| CloudError::ListResourceRecordSets {
                zone: zone_id.to_string(),
                source,
            })?;
        for r in page.resource_record_sets() {
            let (Some(failover), Some(alias)) = (r.failover(), r.alias_target()) else {
                continue;
            };
            out.push(FailoverRecord {
                name: r.name().to_string(),
                record_type: r.r#type().as_str().to_string(),
                failover: failover.as_str().to_string(),
                set_identifier: r.set_identifier().unwrap_or_default().to_string(),
                alias_dns_name: alias.dns_name().to_string(),
                alias_zone_id: alias.hosted_zone_id().to_string(),
                health_check_id: r.health_check_id().map(str::to_string),
            });
        }
        if !page.is_truncated() {
            break;
        }
        match (page.next_record_name(), page.next_record_type()) {
            (Some(n), Some(t)) => {
                next = Some((
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                ))
            }
            _ => break,
        }
    }
    out.sort_by(|a, b| a.failover.cmp(&b.failover));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(zone_output: &str) -> StackInfo {
        StackInfo {
            id: "id".into(),
            name: "c1".into(),
            status: "CREATE_COMPLETE".into(),
            reason: None,
            outputs: vec![
                (
                    ELB_DNS_OUTPUT.into(),
                    "c1-elb.us-west-2.elb.amazonaws.com".into(),
                ),
                (ELB_ZONE_OUTPUT.into(), zone_output.into()),
            ],
            parameters: vec![],
            tags: vec![],
        }
    }

    #[test]
    fn zone_from_stack_when_resolved_else_from_table() {
        let e = endpoint_from_outputs(&info("Z1H1FL5HABSF5"), "us-west-2").unwrap();
        assert_eq!(
            (e.zone_id.as_str(), e.zone_from_table),
            ("Z1H1FL5HABSF5", false)
        );
        let unresolved = "{'Fn::GetAtt': ['ExternalLoadBalancer', 'CanonicalHostedZoneNameID']}";
        let e = endpoint_from_outputs(&info(unresolved), "us-east-1").unwrap();
        assert_eq!(
            (e.zone_id.as_str(), e.zone_from_table),
            ("Z35SXDOTRQ7X7K", true)
        );
        assert!(matches!(
            endpoint_from_outputs(&info(unresolved), "xx-nowhere-1"),
            Err(StackError::MissingOutput { .. })
        ));
    }

    #[test]
    fn table_is_sorted_and_well_formed() {
        assert!(ELB_HOSTED_ZONES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ELB_HOSTED_ZONES
            .iter()
            .all(|(r, z)| crate::aws::region_is_well_formed(r) && is_zone_id(z)));
    }
}
