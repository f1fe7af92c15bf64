//! `swarm-aws website drill --sandbox`: the failover drill. It stops the primary cluster's
//! service (scaled to 0 replicas: the outage a Docker for AWS user rehearses is "the app on the
//! primary is down", which the website's health check sees through the ELB; the nodes, the LB
//! and its listeners stay as they are), shows the website's name answering from the secondary
//! (a DNS query to the sandbox DNS and an HTTP GET through the answer), restores the replicas and
//! shows the name back on the primary, with both switch times. Whatever happens after the
//! scale-down, the replicas are restored.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use swarm_api::client::Client;
use swarm_api::service::ServiceMode;
use swarm_api::service_api::UpdateServiceRequest;

use super::shared::{print_json, print_text};
use crate::cli::{ApiTargetArgs, GlobalArgs, OutputFormat, WebsiteDrillArgs};
use crate::cluster_api::{ClusterApi, ClusterApiError};
use crate::engine::Engine;
use crate::sandbox::Sandbox;
use crate::spec::FieldError;
use crate::website_sandbox::dns::resolve;
use crate::website_sandbox::{DnsStatus, WebsiteDns};
use crate::Error;

/// How often the drill asks the DNS.
const POLL: Duration = Duration::from_millis(200);

/// What the name answered at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Look {
    /// The DNS answer.
    pub answer: Option<Ipv4Addr>,
    /// The cluster whose sandbox LB that is.
    pub cluster: Option<String>,
    /// `GET` of the health check's path through the answer: its status code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// the body's first line,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One switch of the drill.
#[derive(Debug, Clone, Serialize)]
pub struct SwitchTime {
    /// Seconds from the service change to the name answering from the other side.
    pub secs: f64,
    /// What the name answered then.
    pub look: Look,
}

fn progress(global: &GlobalArgs, line: &str) {
    if global.output == OutputFormat::Text {
        eprintln!("drill: {line}");
    }
}

fn api_err(host: &str, step: &str, e: swarm_api::error::ClientError) -> Error {
    ClusterApiError::Api {
        host: host.to_string(),
        step: step.to_string(),
        source: Box::new(e),
    }
    .into()
}

/// `GET path` at `addr` with `host` as the Host header: the status code and the body's first
/// line.
pub fn http_get(addr: SocketAddr, host: &str, path: &str) -> Result<(u16, String), String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: swarm-aws-drill\r\n\r\n"
    )
    .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no HTTP answer from {addr} ({} bytes)", buf.len()))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.lines().next().unwrap_or("").to_string())
        .unwrap_or_default();
    Ok((code, body))
}

fn look(d: &DnsStatus) -> Look {
    let answer = resolve(d.listen, &d.record, Duration::from_secs(2))
        .ok()
        .and_then(|a| a.first().copied());
    let cluster = answer.and_then(|a| {
        [&d.primary, &d.secondary]
            .into_iter()
            .find(|s| s.addr == a)
            .map(|s| s.cluster.clone())
    });
    let http = match answer {
        Some(a) => http_get(
            SocketAddr::from((a, d.health_check.port)),
            &d.record,
            &d.health_check.path,
        ),
        None => Err("no answer".into()),
    };
    let (status, body, error) = match http {
        Ok((code, body)) => (Some(code), Some(body), None),
        Err(e) => (None, None, Some(e)),
    };
    Look {
        answer,
        cluster,
        status,
        body,
        error,
    }
}

fn look_text(l: &Look) -> String {
    let http = match (&l.status, &l.error) {
        (Some(code), _) => format!("HTTP {code} {}", l.body.as_deref().unwrap_or("")),
        (None, e) => format!("HTTP failed: {}", e.as_deref().unwrap_or("-")),
    };
    format!(
        "{} ({}): {http}",
        l.cluster.as_deref().unwrap_or("?"),
        l.answer
            .map(|a| a.to_string())
            .unwrap_or_else(|| "-".into())
    )
}

/// Waits until the name answers `want`; the seconds since `since`.
async fn wait_for(
    d: &DnsStatus,
    want: Ipv4Addr,
    since: Instant,
    timeout: Duration,
) -> Result<f64, String> {
    loop {
        let got = resolve(d.listen, &d.record, Duration::from_secs(2))
            .ok()
            .and_then(|a| a.first().copied());
        if got == Some(want) {
            return Ok(since.elapsed().as_secs_f64());
        }
        if since.elapsed() > timeout {
            return Err(format!(
                "{} still answers {} after {} s (want {want})",
                d.record,
                got.map(|a| a.to_string())
                    .unwrap_or_else(|| "nothing".into()),
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The primary's services to stop: those named, else the replicated ones publishing the port
/// the health check's LB listener forwards to. With their replicas.
async fn services(
    client: &Client,
    host: &str,
    d: &DnsStatus,
    named: &[String],
) -> Result<Vec<(String, u64)>, Error> {
    let ls = client
        .services()
        .ls()
        .await
        .map_err(|e| api_err(host, "service ls", e))?;
    let port = Sandbox::new(&d.primary.cluster)?
        .lb()
        .status()
        .and_then(|s| {
            s.listeners
                .into_iter()
                .find(|l| l.port == d.health_check.port)
        })
        .map(|l| l.instance_port)
        .unwrap_or(d.health_check.port);
    let mut out = Vec::new();
    for e in ls {
        let s = &e.service.spec;
        let chosen = if named.is_empty() {
            s.endpoint.ports.iter().any(|p| p.published == Some(port))
        } else {
            named.contains(&s.name)
        };
        if !chosen {
            continue;
        }
        match s.mode {
            ServiceMode::Replicated { replicas } => out.push((s.name.clone(), replicas)),
            ServiceMode::Global => {
                return Err(Error::Fields(vec![FieldError::new(
                    "--service",
                    &s.name,
                    "is a global service: the drill scales replicated services to 0",
                )]))
            }
        }
    }
    if let Some(missing) = named.iter().find(|n| !out.iter().any(|(s, _)| s == *n)) {
        return Err(Error::Fields(vec![FieldError::new(
            "--service",
            missing,
            format!(
                "no such service on the primary cluster {}",
                d.primary.cluster
            ),
        )]));
    }
    if out.is_empty() {
        return Err(Error::Fields(vec![FieldError::new(
            "--service",
            "",
            format!(
                "no service of {} publishes port {port} (the health check's listener): name the \
                 service to stop with --service",
                d.primary.cluster
            ),
        )]));
    }
    Ok(out)
}

async fn scale(client: &Client, host: &str, name: &str, replicas: u64) -> Result<(), Error> {
    let cur = client
        .services()
        .inspect(name)
        .await
        .map_err(|e| api_err(host, "service inspect", e))?;
    let mut spec = cur.spec.clone();
    spec.mode = ServiceMode::Replicated { replicas };
    let req = UpdateServiceRequest {
        version: cur.version,
        spec,
    };
    client
        .services()
        .update(&cur.id, &req)
        .await
        .map_err(|e| api_err(host, "service update", e))?;
    Ok(())
}

/// Runs `website drill`.
pub async fn run(global: &GlobalArgs, args: &WebsiteDrillArgs) -> Result<(), Error> {
    if !args.sandbox {
        return Err(Error::Fields(vec![FieldError::new(
            "--sandbox",
            "false",
            "the drill runs against a sandbox website (`website up --sandbox`) so far: pass \
             --sandbox (on AWS, Route 53 evaluates the health check; not yet)",
        )]));
    }
    let d = WebsiteDns::new(&args.name).status().ok_or_else(|| {
        Error::Input(format!(
            "website {} has no sandbox DNS running: run `swarm-aws website up --sandbox ...` first",
            args.name
        ))
    })?;
    let hc = d.health_check.clone();
    let bound = u64::from(hc.interval) * u64::from(hc.failure_threshold);
    let timeout = Duration::from_secs(args.timeout.unwrap_or(3 * bound + 60));
    let before = look(&d);
    progress(
        global,
        &format!("{} answers from {}", d.record, look_text(&before)),
    );
    if before.answer != Some(d.primary.addr) {
        return Err(Error::Input(format!(
            "{} does not answer from the primary {} now ({}): the drill starts from a healthy primary",
            d.record,
            d.primary.cluster,
            look_text(&before)
        )));
    }
    let (engine, cluster) = super::api::api_cluster(
        global,
        &ApiTargetArgs {
            cluster: Some(d.primary.cluster.clone()),
            ssh_user: crate::bootstrap::AWS_SSH_USER.into(),
        },
    )
    .await?;
    if !matches!(engine, Engine::Swarmd(_)) {
        return Err(Error::Input(format!(
            "cluster {} runs docker's engine: the drill scales swarmd services (not yet for --engine docker)",
            d.primary.cluster
        )));
    }
    let api = ClusterApi::connect(&cluster.managers, &cluster.api).await?;
    let host = api.manager().id.clone();
    let result = drill(global, &api, &host, &d, &args.service, timeout).await;
    api.close().await;
    let (services, failover, failback) = result?;
    let svc: Vec<_> = services
        .iter()
        .map(|(n, r)| json!({"name": n, "replicas": r}))
        .collect();
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "website": args.name,
            "record": d.record,
            "dns": d.listen,
            "health_check": hc,
            "bound_secs": bound,
            "primary": d.primary,
            "secondary": d.secondary,
            "services": svc,
            "before": before,
            "failover": failover,
            "failback": failback,
        })),
        OutputFormat::Text => print_text(&format!(
            "failover drill of {record} (health check every {i} s, threshold {t}: bound {bound} s)\n  \
             before:   {b}\n  \
             failover: {fs:.1} s after {names} went to 0 replicas -> {f}\n  \
             failback: {bs:.1} s after they came back -> {k}\n",
            record = d.record,
            i = hc.interval,
            t = hc.failure_threshold,
            b = look_text(&before),
            fs = failover.secs,
            names = services.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
            f = look_text(&failover.look),
            bs = failback.secs,
            k = look_text(&failback.look),
        )),
    }
}

type DrillResult = (Vec<(String, u64)>, SwitchTime, SwitchTime);

async fn drill(
    global: &GlobalArgs,
    api: &ClusterApi,
    host: &str,
    d: &DnsStatus,
    named: &[String],
    timeout: Duration,
) -> Result<DrillResult, Error> {
    let client = api.client();
    let services = services(client, host, d, named).await?;
    let names = services
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    progress(
        global,
        &format!("scaling {names} on {} to 0 replicas", d.primary.cluster),
    );
    let stopped = Instant::now();
    let mut down = Ok(());
    for (n, _) in &services {
        if let Err(e) = scale(client, host, n, 0).await {
            down = Err(e);
            break;
        }
    }
    let failover = match down {
        Ok(()) => wait_for(d, d.secondary.addr, stopped, timeout)
            .await
            .map_err(Error::Input),
        Err(e) => Err(e),
    };
    if let Ok(secs) = &failover {
        progress(
            global,
            &format!(
                "{} answers from the secondary {} after {secs:.1} s",
                d.record, d.secondary.cluster
            ),
        );
    }
    let failover_look = look(d);
    // Restore whatever happened.
    progress(
        global,
        &format!("restoring {names} on {}", d.primary.cluster),
    );
    let restored = Instant::now();
    for (n, r) in &services {
        scale(client, host, n, *r).await?;
    }
    let failover = SwitchTime {
        secs: failover?,
        look: failover_look,
    };
    let back = wait_for(d, d.primary.addr, restored, timeout)
        .await
        .map_err(Error::Input)?;
    progress(
        global,
        &format!(
            "{} answers from the primary {} again after {back:.1} s",
            d.record, d.primary.cluster
        ),
    );
    let failback = SwitchTime {
        secs: back,
        look: look(d),
    };
    Ok((services, failover, failback))
}
