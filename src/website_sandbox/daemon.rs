//! The website DNS process: read the website from the emulator, answer its record over UDP, run
//! the primary's health check every interval and switch the answer by [`Checker`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpStream, UdpSocket};

use super::dns::answer;
use super::health::{Checker, Side};
use super::{DnsStatus, HealthCheckStatus, SiteStatus, Switch, STATUS_FILE};

/// Route 53's health checkers wait 4 s for a connection (and 2 s more for the first byte).
const PROBE_TIMEOUT: Duration = Duration::from_secs(6);

/// The website as read from the emulator: its zone, record, health check and the two sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The zone (domain).
    pub zone: String,
    /// The failover record's name.
    pub record: String,
    /// The primary's health check.
    pub health_check: HealthCheckStatus,
    /// PRIMARY.
    pub primary: SiteStatus,
    /// SECONDARY.
    pub secondary: SiteStatus,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// One health check of the primary's sandbox LB.
async fn probe(addr: Ipv4Addr, hc: &HealthCheckStatus) -> bool {
    let attempt = async {
        match hc.protocol.as_str() {
            "HTTP" => {
                crate::sandbox::lb::http_ok(SocketAddr::from((addr, hc.port)), &hc.path).await
            }
            _ => TcpStream::connect((addr, hc.port)).await.is_ok(),
        }
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .unwrap_or(false)
}

/// Serves the website's DNS on `listen` until killed; `read` gives the website each round (the
/// first read must succeed).
pub async fn run<F, Fut>(
    listen: SocketAddr,
    dir: PathBuf,
    stack: String,
    mut read: F,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Setup, String>>,
{
    let mut setup = read().await?;
    let sock = UdpSocket::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen} (UDP): {e}"))?;
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    eprintln!("website {stack}: DNS on {local} (UDP) for {}", setup.record);
    let answering = Arc::new(Mutex::new((
        setup.zone.clone(),
        setup.record.clone(),
        setup.primary.addr,
    )));
    let shared = answering.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            let (zone, record, addr) = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(resp) = answer(&buf[..n], &zone, &record, addr) {
                let _ = sock.send_to(&resp, from).await;
            }
        }
    });
    let mut checker = Checker::new(setup.health_check.failure_threshold);
    let mut switches: Vec<Switch> = Vec::new();
    let mut error = None;
    let mut first = true;
    loop {
        if !first {
            match read().await {
                Ok(s) => {
                    setup = s;
                    error = None;
                }
                Err(e) => error = Some(e),
            }
        }
        first = false;
        checker.threshold = setup.health_check.failure_threshold.max(1);
        let passed = probe(setup.primary.addr, &setup.health_check).await;
        if checker.record(passed) {
            let to = checker.side();
            eprintln!(
                "website {stack}: primary health check {} -> {to:?} answers",
                if checker.healthy {
                    "healthy"
                } else {
                    "unhealthy"
                }
            );
            switches.push(Switch {
                to,
                at_ms: now_ms(),
            });
        }
        let side = checker.side();
        let addr = match side {
            Side::Primary => setup.primary.addr,
            Side::Secondary => setup.secondary.addr,
        };
        *answering.lock().unwrap_or_else(|e| e.into_inner()) =
            (setup.zone.clone(), setup.record.clone(), addr);
        let status = DnsStatus {
            stack: stack.clone(),
            listen: local,
            zone: setup.zone.clone(),
            record: setup.record.clone(),
            health_check: setup.health_check.clone(),
            primary: setup.primary.clone(),
            secondary: setup.secondary.clone(),
            checker,
            answering: side,
            answer: addr,
            last_check: Some(passed),
            switches: switches.clone(),
            error: error.clone(),
        };
        if let Err(e) = crate::sandbox::save_json(&dir, STATUS_FILE, &status) {
            eprintln!("cannot write the status: {e}");
        }
        tokio::time::sleep(Duration::from_secs(u64::from(
            setup.health_check.interval.max(1),
        )))
        .await;
    }
}
