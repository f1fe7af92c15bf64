//! `--probe NAME:PORT` mode of `swarm-test-web`: a client for service-discovery tests.
//!
//! Every second, for each probe: asks the nameserver of `/etc/resolv.conf` for NAME's A
//! records (a hand-made UDP query: the static binary has no resolver library it can rely on),
//! prints `resolve NAME ips=A,B`, then sends `GET /` to the first address and prints
//! `probe NAME:PORT ip=A got=<last line of the answer>` (or `error=...`). A NAME that is an
//! IPv4 address is used as it is.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

fn query(name: &str, id: u16) -> Vec<u8> {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

fn skip_name(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let len = *b.get(i)? as usize;
        if len == 0 {
            return Some(i + 1);
        }
        if len & 0xc0 == 0xc0 {
            return Some(i + 2);
        }
        i += len + 1;
    }
}

fn parse_a(b: &[u8]) -> Option<Vec<Ipv4Addr>> {
    let qd = u16::from_be_bytes([*b.get(4)?, *b.get(5)?]);
    let an = u16::from_be_bytes([*b.get(6)?, *b.get(7)?]);
    let mut i = 12;
    for _ in 0..qd {
        i = skip_name(b, i)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        i = skip_name(b, i)?;
        let ty = u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]);
        let len = u16::from_be_bytes([*b.get(i + 8)?, *b.get(i + 9)?]) as usize;
        i += 10;
        if ty == 1 && len == 4 {
            out.push(Ipv4Addr::new(b[i], b[i + 1], b[i + 2], b[i + 3]));
        }
        i += len;
    }
    Some(out)
}

fn nameserver() -> Option<Ipv4Addr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .find_map(|ip| ip.trim().parse().ok())
}

pub(crate) fn resolve(name: &str, id: u16) -> Result<Vec<Ipv4Addr>, String> {
    let ns = nameserver().ok_or("no nameserver in /etc/resolv.conf")?;
    let sock = UdpSocket::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    sock.send_to(&query(name, id), (ns, 53))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 1500];
    let (n, _) = sock.recv_from(&mut buf).map_err(|e| e.to_string())?;
    parse_a(&buf[..n]).ok_or_else(|| "bad answer".to_string())
}

pub(crate) fn fetch(ip: Ipv4Addr, port: u16) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&SocketAddr::from((ip, port)), Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    let last = body.lines().last().unwrap_or("").to_string();
    Ok(last)
}

/// One request to `name:port` (resolved through the task's nameserver unless it is an
/// address): the last line of its answer, or why there is none.
pub(crate) fn ask(name: &str, port: u16, id: u16) -> Result<(Ipv4Addr, String), String> {
    let ips = match name.parse::<Ipv4Addr>() {
        Ok(ip) => vec![ip],
        Err(_) => resolve(name, id)?,
    };
    let ip = *ips
        .first()
        .ok_or_else(|| format!("{name} has no address"))?;
    Ok((ip, fetch(ip, port)?))
}

/// Runs the probes forever.
pub fn run(probes: &[(String, u16)]) -> ! {
    let mut id: u16 = 1;
    loop {
        for (name, port) in probes {
            id = id.wrapping_add(1);
            let found = match name.parse::<Ipv4Addr>() {
                Ok(ip) => Ok(vec![ip]),
                Err(_) => resolve(name, id),
            };
            match found {
                Ok(ips) => {
                    let list: Vec<String> = ips.iter().map(Ipv4Addr::to_string).collect();
                    println!("resolve {name} ips={}", list.join(","));
                    if let Some(ip) = ips.first() {
                        match fetch(*ip, *port) {
                            Ok(got) => println!("probe {name}:{port} ip={ip} got={got}"),
                            Err(e) => println!("probe {name}:{port} ip={ip} error={e}"),
                        }
                    }
                }
                Err(e) => println!("resolve {name} error={e}"),
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
