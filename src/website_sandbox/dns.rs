//! The sandbox website's DNS messages (hickory-proto, the DNS library the overlay's embedded DNS
//! uses): answering a query for the failover record (pure), and asking a server for a name's
//! address over UDP (the drill's and the tests' client).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// TTL of the answers: short, so a resolver follows a failover at once (Route 53's alias
/// records carry the ELB's 60 s).
pub const TTL: u32 = 1;

/// `name` in lowercase without its trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The answer to `query` (wire format) of a server authoritative for `zone` where `record` is
/// `addr`: A for the record, an empty answer for its other types, NXDOMAIN for other names in
/// the zone, REFUSED outside it; `None` when `query` is not a DNS query.
pub fn answer(query: &[u8], zone: &str, record: &str, addr: Ipv4Addr) -> Option<Vec<u8>> {
    let msg = Message::from_vec(query).ok()?;
    if msg.message_type() != MessageType::Query {
        return None;
    }
    let mut resp = Message::new();
    resp.set_id(msg.id())
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(msg.recursion_desired())
        .set_recursion_available(false);
    let (zone, record) = (normalize(zone), normalize(record));
    let mut code = ResponseCode::NoError;
    for q in msg.queries() {
        resp.add_query(q.clone());
        let name = normalize(&q.name().to_ascii());
        if name == record {
            if matches!(q.query_type(), RecordType::A | RecordType::ANY) {
                resp.add_answer(Record::from_rdata(q.name().clone(), TTL, RData::A(A(addr))));
            }
        } else if name == zone || name.ends_with(&format!(".{zone}")) {
            code = ResponseCode::NXDomain;
        } else {
            code = ResponseCode::Refused;
        }
    }
    resp.set_authoritative(code != ResponseCode::Refused);
    resp.set_response_code(code);
    resp.to_vec().ok()
}

/// Asks the DNS server at `server` for the A records of `name` (UDP, one try of `timeout`).
pub fn resolve(server: SocketAddr, name: &str, timeout: Duration) -> Result<Vec<Ipv4Addr>, String> {
    let fqdn =
        Name::from_ascii(format!("{}.", normalize(name))).map_err(|e| format!("{name}: {e}"))?;
    let id: u16 = std::process::id() as u16 ^ 0x5a5a;
    let mut q = Message::new();
    q.set_id(id)
        .set_recursion_desired(true)
        .add_query(Query::query(fqdn, RecordType::A));
    let bytes = q.to_vec().map_err(|e| e.to_string())?;
    let sock = std::net::UdpSocket::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    sock.send_to(&bytes, server)
        .map_err(|e| format!("send to {server}: {e}"))?;
    let mut buf = [0u8; 1500];
    let n = sock
        .recv(&mut buf)
        .map_err(|e| format!("no answer from {server}: {e}"))?;
    let m = Message::from_vec(&buf[..n]).map_err(|e| format!("bad answer from {server}: {e}"))?;
    if m.id() != id {
        return Err(format!("answer from {server} for another query"));
    }
    if m.response_code() != ResponseCode::NoError {
        return Err(format!(
            "{server} answered {} for {name}",
            m.response_code()
        ));
    }
    Ok(m.answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, t: RecordType) -> Vec<u8> {
        let mut q = Message::new();
        q.set_id(9)
            .add_query(Query::query(Name::from_ascii(name).unwrap(), t));
        q.to_vec().unwrap()
    }

    #[test]
    fn answers_the_record_only_and_is_authoritative_for_the_zone() {
        let ip = Ipv4Addr::new(127, 213, 5, 2);
        let m = Message::from_vec(
            &answer(
                &query("WWW.example.com.", RecordType::A),
                "example.com.",
                "www.example.com",
                ip,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!((m.id(), m.response_code()), (9, ResponseCode::NoError));
        assert!(m.authoritative());
        let a: Vec<_> = m
            .answers()
            .iter()
            .map(|r| (r.data().clone(), r.ttl()))
            .collect();
        assert_eq!(a, vec![(RData::A(A(ip)), TTL)]);
        // Another type of the record: no data; another name of the zone: NXDOMAIN; elsewhere:
        // refused (this is not a resolver).
        let m = Message::from_vec(
            &answer(
                &query("www.example.com.", RecordType::AAAA),
                "example.com",
                "www.example.com",
                ip,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (m.response_code(), m.answers().len()),
            (ResponseCode::NoError, 0)
        );
        let m = Message::from_vec(
            &answer(
                &query("db.example.com.", RecordType::A),
                "example.com",
                "www.example.com",
                ip,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(m.response_code(), ResponseCode::NXDomain);
        let m = Message::from_vec(
            &answer(
                &query("example.org.", RecordType::A),
                "example.com",
                "www.example.com",
                ip,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(m.response_code(), ResponseCode::Refused);
        assert!(answer(b"junk", "example.com", "www.example.com", ip).is_none());
    }

    #[test]
    fn resolve_reads_the_answer_of_a_server() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let ip = Ipv4Addr::new(127, 213, 9, 2);
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            let a = answer(&buf[..n], "example.com", "example.com", ip).unwrap();
            server.send_to(&a, from).unwrap();
        });
        assert_eq!(
            resolve(addr, "Example.com", Duration::from_secs(2)).unwrap(),
            vec![ip]
        );
        t.join().unwrap();
    }
}
