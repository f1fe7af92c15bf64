//! `--metrics-addr` (pure): off by default, like docker's `metrics-addr`; plain HTTP only on a
//! loopback address, or `tls` for `/metrics` on the node's mutual-TLS port.

use swarm_manager::settings::MetricsListen;

/// The flag's value as the daemon's setting; an error names the value and the fix.
pub fn parse(arg: Option<&str>) -> Result<MetricsListen, String> {
    let Some(a) = arg else {
        return Ok(MetricsListen::Off);
    };
    match a {
        "off" | "" => return Ok(MetricsListen::Off),
        "tls" => return Ok(MetricsListen::Tls),
        _ => {}
    }
    let addr: std::net::SocketAddr = a.parse().map_err(|_| {
        format!(
            "invalid --metrics-addr {a:?}: expected a loopback IP:PORT (e.g. 127.0.0.1:9323), \
             `tls` or `off`"
        )
    })?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "invalid --metrics-addr {a:?}: plain-HTTP metrics are served on a loopback address \
             only (e.g. 127.0.0.1:{}); to scrape from another host use `--metrics-addr tls` and \
             https://NODE:PORT/metrics with an admin certificate (`swarmd admin-cert`)",
            addr.port()
        ));
    }
    Ok(MetricsListen::At(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_tls_and_off_are_taken_and_public_addresses_refused() {
        assert_eq!(parse(None), Ok(MetricsListen::Off));
        assert_eq!(parse(Some("tls")), Ok(MetricsListen::Tls));
        assert_eq!(
            parse(Some("127.0.109.1:9323")),
            Ok(MetricsListen::At("127.0.109.1:9323".parse().unwrap()))
        );
        let e = parse(Some("0.0.0.0:9323")).unwrap_err();
        assert!(
            e.contains("\"0.0.0.0:9323\"") && e.contains("--metrics-addr tls"),
            "{e}"
        );
        let e = parse(Some("10.1.2.3:9323")).unwrap_err();
        assert!(e.contains("loopback"), "{e}");
        let e = parse(Some("9323")).unwrap_err();
        assert!(e.contains("expected a loopback IP:PORT"), "{e}");
    }
}
