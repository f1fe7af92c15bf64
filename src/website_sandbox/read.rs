//! Reading the sandbox website back from the emulator: the failover records of its zone, the
//! primary's health check (GetHealthCheck) and which cluster each record's alias names.

use super::dns::normalize;
use super::{HealthCheckStatus, Setup, SiteStatus};
use crate::aws::{call, Clients};
use crate::cloud_error::CloudError;
use crate::sandbox::Sandbox;
use crate::website::{cluster_endpoint, website_status, FailoverRecord, WEBSITE_TAG};
use crate::Error;

/// A cluster of the website and the clients of its region.
pub struct Cluster<'a> {
    /// Its name.
    pub name: &'a str,
    /// Clients in its region.
    pub clients: &'a Clients,
}

/// The primary's health check `id` as the emulator stores it.
pub async fn health_check(clients: &Clients, id: &str) -> Result<HealthCheckStatus, Error> {
    let out = call(
        clients
            .route53
            .get_health_check()
            .health_check_id(id)
            .send(),
    )
    .await
    .map_err(|source| CloudError::GetHealthCheck {
        id: id.to_string(),
        source,
    })?;
    let cfg = out.health_check().and_then(|h| h.health_check_config());
    let protocol = cfg
        .map(|c| c.r#type().as_str().to_ascii_uppercase())
        .unwrap_or_else(|| "HTTP".into());
    Ok(HealthCheckStatus {
        id: id.to_string(),
        port: cfg
            .and_then(|c| c.port())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(if protocol == "HTTPS" { 443 } else { 80 }),
        path: cfg
            .and_then(|c| c.resource_path())
            .unwrap_or("/")
            .to_string(),
        interval: cfg
            .and_then(|c| c.request_interval())
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(30),
        failure_threshold: cfg
            .and_then(|c| c.failure_threshold())
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(3),
        protocol,
    })
}

/// Which of `clusters` (name, ELB DNS name) the alias of `record` names (pure).
pub fn side_of(record: &FailoverRecord, clusters: &[(String, String)]) -> Result<String, String> {
    let alias = normalize(&record.alias_dns_name);
    clusters
        .iter()
        .find(|(_, dns)| normalize(dns) == alias)
        .map(|(c, _)| c.clone())
        .ok_or_else(|| {
            format!(
                "the {} record {} aliases {}, which is the load balancer of none of {}",
                record.failover,
                record.name,
                record.alias_dns_name,
                clusters
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Reads website stack `stack` (through `site`) over `primary` and `secondary`.
pub async fn read_setup(
    site: &Clients,
    stack: &str,
    primary: &Cluster<'_>,
    secondary: &Cluster<'_>,
) -> Result<Setup, Error> {
    let st = website_status(site, stack).await?;
    let zone = st
        .stack
        .tag(WEBSITE_TAG)
        .map(str::to_string)
        .ok_or_else(|| Error::Input(format!("stack {stack} is not a swarm-aws website")))?;
    let mut elbs = Vec::new();
    for c in [primary, secondary] {
        let e = cluster_endpoint(c.clients, c.name).await?;
        elbs.push((c.name.to_string(), e.dns_name));
    }
    let find = |which: &str| {
        st.records
            .iter()
            .find(|r| r.failover == which)
            .cloned()
            .ok_or_else(|| Error::Input(format!("website {stack} has no {which} record")))
    };
    let (p, s) = (find("PRIMARY")?, find("SECONDARY")?);
    let hc_id = p.health_check_id.clone().ok_or_else(|| {
        Error::Input(format!(
            "the PRIMARY record of website {stack} has no health check"
        ))
    })?;
    let health_check = health_check(site, &hc_id).await?;
    let site_of = |r: &FailoverRecord| -> Result<SiteStatus, Error> {
        let cluster = side_of(r, &elbs).map_err(Error::Input)?;
        let addr = Sandbox::new(&cluster)?.plan()?.lb_addr();
        Ok(SiteStatus {
            cluster,
            alias: r.alias_dns_name.clone(),
            addr,
        })
    };
    let (primary, secondary) = (site_of(&p)?, site_of(&s)?);
    Ok(Setup {
        zone,
        record: normalize(&p.name),
        health_check,
        primary,
        secondary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_names_the_cluster_whose_elb_it_aliases() {
        let r = |failover: &str, dns: &str| FailoverRecord {
            name: "www.example.com.".into(),
            record_type: "A".into(),
            failover: failover.into(),
            set_identifier: failover.to_ascii_lowercase(),
            alias_dns_name: dns.into(),
            alias_zone_id: "Z35SXDOTRQ7X7K".into(),
            health_check_id: None,
        };
        let clusters = vec![
            (
                "east".to_string(),
                "east-elb.us-east-1.elb.amazonaws.com".to_string(),
            ),
            (
                "west".to_string(),
                "west-elb.us-east-1.elb.amazonaws.com".to_string(),
            ),
        ];
        assert_eq!(
            side_of(
                &r("PRIMARY", "East-ELB.us-east-1.elb.amazonaws.com."),
                &clusters
            )
            .unwrap(),
            "east"
        );
        assert_eq!(
            side_of(
                &r("SECONDARY", "west-elb.us-east-1.elb.amazonaws.com"),
                &clusters
            )
            .unwrap(),
            "west"
        );
        let e = side_of(&r("SECONDARY", "other.elb.amazonaws.com"), &clusters).unwrap_err();
        assert!(
            e.contains("other.elb.amazonaws.com") && e.contains("east, west"),
            "{e}"
        );
    }
}
