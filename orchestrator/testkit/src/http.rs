//! A blocking HTTP probe of the test server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// `GET /` on `addr` (`IP:PORT`), retried every 100 ms until it answers 200 (a server may need
/// a moment to listen); the whole answer. Panics naming the address and the last error after
/// `within` (a deadline for a condition, not a timed assertion).
pub fn get_ok(addr: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let sock = addr
                .parse()
                .map_err(|e| std::io::Error::other(format!("{addr}: {e}")))?;
            let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(5))?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            s.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        })();
        match attempt {
            Ok(body) if body.starts_with("HTTP/1.1 200") => return body,
            other if Instant::now() > deadline => panic!("GET {addr} never answered: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
