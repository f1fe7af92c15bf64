//! `website up --sandbox`'s own part: the clusters' sandbox LBs must run, then the website's
//! local DNS starts ([`crate::website_sandbox`]); how its state prints.

use crate::cli::WebsiteUpArgs;
use crate::sandbox::Sandbox;
use crate::spec::FieldError;
use crate::website_sandbox::{DnsStatus, WebsiteDns};
use crate::Error;

/// Checks that every cluster of `clusters` has a sandbox here whose load balancer runs.
pub fn check_lbs(clusters: &[&str]) -> Result<(), Error> {
    let mut errs = Vec::new();
    for (field, c) in ["--primary", "--secondary"].iter().zip(clusters) {
        let sb = Sandbox::new(c)?;
        let why = if !sb.exists() {
            "has no sandbox on this machine"
        } else if sb.lb().status().is_none() {
            "has no sandbox load balancer running"
        } else {
            continue;
        };
        errs.push(FieldError::new(
            field,
            *c,
            format!("cluster {c} {why}: run `swarm-aws up --sandbox --name {c}` first"),
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::Fields(errs))
    }
}

/// (Re)starts the DNS of website stack `name` in `region`; its first status.
pub fn start_dns(args: &WebsiteUpArgs, name: &str, region: &str) -> Result<DnsStatus, Error> {
    let dns = WebsiteDns::new(name);
    dns.stop();
    let listen = args
        .dns_addr
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let mut flags = vec![
        "--name".to_string(),
        name.to_string(),
        "--listen".into(),
        listen.to_string(),
        "--primary".into(),
        args.primary.clone(),
        "--secondary".into(),
        args.secondary.clone(),
        "--region".into(),
        region.to_string(),
    ];
    for (flag, r) in [
        ("--primary-region", &args.primary_region),
        ("--secondary-region", &args.secondary_region),
    ] {
        if let Some(r) = r {
            flags.extend([flag.to_string(), r.clone()]);
        }
    }
    let exe = std::env::current_exe()?;
    Ok(dns.start(&exe, &flags)?)
}

/// The DNS's state as text (after the records).
pub fn dns_text(d: &DnsStatus) -> String {
    let hc = &d.health_check;
    let target = match hc.protocol.as_str() {
        "TCP" => format!("TCP:{}", hc.port),
        p => format!("{p}:{}{}", hc.port, hc.path),
    };
    format!(
        "\nsandbox DNS on {listen} (UDP): {record} answers {side:?} {cluster} ({addr})\n  \
         PRIMARY {p} -> {pa}, SECONDARY {s} -> {sa} (their sandbox LBs)\n  \
         health check {target} on the primary's LB every {i} s, threshold {t}: {health}\n  \
         try: dig @{ip} -p {port} {record}\n",
        listen = d.listen,
        record = d.record,
        side = d.answering,
        cluster = match d.answering {
            crate::website_sandbox::health::Side::Primary => &d.primary.cluster,
            crate::website_sandbox::health::Side::Secondary => &d.secondary.cluster,
        },
        addr = d.answer,
        p = d.primary.cluster,
        pa = d.primary.addr,
        s = d.secondary.cluster,
        sa = d.secondary.addr,
        i = hc.interval,
        t = hc.failure_threshold,
        health = if d.checker.healthy {
            "healthy"
        } else {
            "unhealthy"
        },
        ip = d.listen.ip(),
        port = d.listen.port(),
    )
}
