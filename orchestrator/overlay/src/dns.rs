//! Service discovery: the names each network offers its tasks ([`Records`], pure) and the
//! node's embedded DNS server answering on every network's gateway ([`serve`]).
//!
//! `SERVICE` and its aliases answer with the service's VIP (vip mode) or its running tasks'
//! addresses (dnsrr); `tasks.SERVICE` with the running tasks' addresses. A task only sees the
//! names of the networks it is on (found by the query's source address). Other names are
//! forwarded to the task's `--dns` servers when its service has some, else to the host's
//! resolvers ([`upstreams_for`]); the task's resolv.conf ([`resolv_conf`]) points at the
//! gateway and carries its `--dns-search` domains and `--dns-option`s. Messages are parsed and built with `hickory-proto`
//! (the server side of hickory, `hickory-server`, brings a zone-authority framework this
//! small dynamic table does not need).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record, RecordType};
use swarm_api::network::split_addr;
use swarm_api::network_api::OverlayView;
use tokio::net::UdpSocket;

/// Time to live of the answers: short, since tasks come and go.
pub const TTL: u32 = 5;

/// The names of every network this node's tasks use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// Network id → lower-case name → addresses.
    names: BTreeMap<String, BTreeMap<String, Vec<Ipv4Addr>>>,
    /// A task address → the networks that address is on.
    members: BTreeMap<Ipv4Addr, BTreeSet<String>>,
}

fn ip_of(addr: &str) -> Option<Ipv4Addr> {
    split_addr(addr).map(|(ip, _)| ip)
}

impl Records {
    /// The records of `view`.
    pub fn from_view(view: &OverlayView) -> Self {
        let mut r = Records::default();
        for net in &view.networks {
            let names = r.names.entry(net.id.clone()).or_default();
            for e in &net.endpoints {
                if let Some(ip) = ip_of(&e.addr) {
                    r.members.entry(ip).or_default().insert(net.id.clone());
                }
            }
            for s in &net.services {
                let running: Vec<Ipv4Addr> = net
                    .endpoints
                    .iter()
                    .filter(|e| e.service_id == s.service_id && e.running)
                    .filter_map(|e| ip_of(&e.addr))
                    .collect();
                let service_answer = match s.vip.as_deref().and_then(ip_of) {
                    Some(vip) => vec![vip],
                    None => running.clone(),
                };
                for n in std::iter::once(&s.name).chain(&s.aliases) {
                    names
                        .entry(n.to_ascii_lowercase())
                        .or_default()
                        .extend(&service_answer);
                }
                names
                    .entry(format!("tasks.{}", s.name.to_ascii_lowercase()))
                    .or_default()
                    .extend(&running);
            }
        }
        r
    }

    /// What `name` resolves to for the task at `src`; `None`: not a name of any network the
    /// asker is on (forward it).
    pub fn lookup(&self, src: Ipv4Addr, name: &str) -> Option<Vec<Ipv4Addr>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let nets = self.members.get(&src)?;
        let mut found = false;
        let mut out = Vec::new();
        for n in nets {
            if let Some(ips) = self.names.get(n).and_then(|m| m.get(&name)) {
                found = true;
                for ip in ips {
                    if !out.contains(ip) {
                        out.push(*ip);
                    }
                }
            }
        }
        found.then_some(out)
    }
}

/// The answer to `query` from `src`: `Some(bytes)` when the name is ours (or the query is
/// malformed), `None` when it must be forwarded.
pub fn answer(records: &Records, src: Ipv4Addr, query: &[u8]) -> Option<Vec<u8>> {
    let msg = match Message::from_vec(query) {
        Ok(m) => m,
        Err(_) => return None,
    };
    let q = msg.queries().first()?.clone();
    let ips = records.lookup(src, &q.name().to_ascii())?;
    let mut resp = Message::new();
    resp.set_id(msg.id())
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(msg.recursion_desired())
        .set_recursion_available(true)
        .set_authoritative(true)
        .add_query(q.clone());
    if ips.is_empty() {
        // The service exists but has no running task: no address, not "no such name".
        resp.set_response_code(ResponseCode::NoError);
    } else if q.query_type() == RecordType::A || q.query_type() == RecordType::ANY {
        for ip in ips {
            resp.add_answer(Record::from_rdata(q.name().clone(), TTL, RData::A(A(ip))));
        }
    }
    resp.to_vec().ok()
}

/// The `--dns` servers of each task on this node, by the task's overlay addresses.
pub type TaskUpstreams = BTreeMap<Ipv4Addr, Vec<SocketAddr>>;

/// Where a name the task at `src` asked for, and no network owns, is forwarded: the task's
/// `--dns` servers if it has any, else the host's resolvers.
pub fn upstreams_for<'a>(
    src: Ipv4Addr,
    per_task: &'a TaskUpstreams,
    host: &'a [SocketAddr],
) -> &'a [SocketAddr] {
    per_task
        .get(&src)
        .filter(|s| !s.is_empty())
        .map_or(host, Vec::as_slice)
}

/// `--dns` addresses (as the container's `HostConfig.Dns`) as servers on port 53; a value
/// that is not an IP (none is: the manager checked them) is skipped.
pub fn servers(ips: &[String]) -> Vec<SocketAddr> {
    ips.iter()
        .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// The resolv.conf of a task on overlay networks (as Docker's for its embedded DNS): the
/// node's DNS on `gateway` as the only name server, the task's search domains, and its
/// options after `ndots:0` (left out when the task gives its own `ndots`).
pub fn resolv_conf(gateway: &str, search: &[String], options: &[String]) -> String {
    let mut text = format!(
        "nameserver {gateway}
"
    );
    if !search.is_empty() {
        text.push_str(&format!(
            "search {}
",
            search.join(" ")
        ));
    }
    let mut opts: Vec<&str> = Vec::new();
    if !options.iter().any(|o| o.starts_with("ndots:")) {
        opts.push("ndots:0");
    }
    opts.extend(options.iter().map(String::as_str));
    text.push_str(&format!(
        "options {}
",
        opts.join(" ")
    ));
    text
}

/// The host's resolvers from `resolv.conf` text (port 53).
pub fn upstreams(resolv_conf: &str) -> Vec<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

async fn forward(upstreams: &[SocketAddr], query: &[u8]) -> Option<Vec<u8>> {
    for up in upstreams {
        let bind: SocketAddr = if up.is_ipv4() {
            "0.0.0.0:0".parse().ok()?
        } else {
            "[::]:0".parse().ok()?
        };
        let Ok(sock) = UdpSocket::bind(bind).await else {
            continue;
        };
        if sock.send_to(query, up).await.is_err() {
            continue;
        }
        let mut buf = vec![0u8; 4096];
        if let Ok(Ok((n, _))) =
            tokio::time::timeout(Duration::from_secs(2), sock.recv_from(&mut buf)).await
        {
            buf.truncate(n);
            return Some(buf);
        }
    }
    None
}

/// Serves DNS on `sock` (a network's gateway, port 53) from `records` until the task is
/// aborted; other names go to the asking task's servers in `per_task`, else to `upstreams`
/// (the host's).
pub async fn serve(
    sock: UdpSocket,
    records: Arc<RwLock<Records>>,
    per_task: Arc<RwLock<TaskUpstreams>>,
    upstreams: Arc<Vec<SocketAddr>>,
) {
    let sock = Arc::new(sock);
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let query = buf[..n].to_vec();
        let src = match from.ip() {
            std::net::IpAddr::V4(v4) => v4,
            std::net::IpAddr::V6(_) => continue,
        };
        let ours = {
            let r = records.read().unwrap_or_else(|e| e.into_inner());
            answer(&r, src, &query)
        };
        if swarm_metrics::enabled() {
            let m = &crate::metrics::METRICS;
            if ours.is_some() {
                &m.dns_answered
            } else {
                &m.dns_forwarded
            }
            .inc();
        }
        match ours {
            Some(bytes) => {
                let _ = sock.send_to(&bytes, from).await;
            }
            None => {
                let sock = sock.clone();
                let ups = {
                    let t = per_task.read().unwrap_or_else(|e| e.into_inner());
                    upstreams_for(src, &t, &upstreams).to_vec()
                };
                tokio::spawn(async move {
                    if let Some(bytes) = forward(&ups, &query).await {
                        let _ = sock.send_to(&bytes, from).await;
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;
    use swarm_api::network_api::{Endpoint, NodeNetwork, ServiceRecord};

    fn ep(task: &str, service: &str, addr: &str, running: bool) -> Endpoint {
        Endpoint {
            task_id: task.into(),
            service_id: service.into(),
            addr: addr.into(),
            node_ip: "10.213.1.2".into(),
            running,
        }
    }

    fn view() -> OverlayView {
        let net = |id: &str, endpoints, services| NodeNetwork {
            id: id.into(),
            name: id.into(),
            vni: 4097,
            internal: false,
            ipam: vec![],
            endpoints,
            services,
        };
        OverlayView {
            networks: vec![
                net(
                    "a",
                    vec![
                        ep("c1", "client", "10.0.1.3/24", true),
                        ep("w1", "web", "10.0.1.4/24", true),
                        ep("w2", "web", "10.0.1.5/24", true),
                        ep("w3", "web", "10.0.1.6/24", false),
                        ep("d1", "db", "10.0.1.7/24", true),
                    ],
                    vec![
                        ServiceRecord {
                            service_id: "web".into(),
                            name: "web".into(),
                            aliases: vec!["www".into()],
                            vip: Some("10.0.1.2/24".into()),
                        },
                        ServiceRecord {
                            service_id: "db".into(),
                            name: "db".into(),
                            aliases: vec![],
                            vip: None,
                        },
                    ],
                ),
                net(
                    "b",
                    vec![ep("o1", "other", "10.0.2.3/24", true)],
                    vec![ServiceRecord {
                        service_id: "other".into(),
                        name: "other".into(),
                        aliases: vec![],
                        vip: Some("10.0.2.2/24".into()),
                    }],
                ),
            ],
            attachments: Default::default(),
        }
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn names_vips_tasks_and_isolation() {
        let r = Records::from_view(&view());
        let c = ip("10.0.1.3");
        assert_eq!(r.lookup(c, "web"), Some(vec![ip("10.0.1.2")]));
        assert_eq!(r.lookup(c, "WWW."), Some(vec![ip("10.0.1.2")]), "alias");
        assert_eq!(
            r.lookup(c, "tasks.web"),
            Some(vec![ip("10.0.1.4"), ip("10.0.1.5")]),
            "running tasks only"
        );
        assert_eq!(r.lookup(c, "db"), Some(vec![ip("10.0.1.7")]), "dnsrr");
        assert_eq!(r.lookup(c, "other"), None, "another network's name");
        assert_eq!(r.lookup(ip("10.0.2.3"), "web"), None);
        assert_eq!(r.lookup(ip("192.0.2.1"), "web"), None, "not a task");
    }

    #[test]
    fn answers_a_records_and_leaves_other_names_to_forward() {
        let r = Records::from_view(&view());
        let mut q = Message::new();
        q.set_id(7)
            .set_recursion_desired(true)
            .add_query(Query::query(
                Name::from_ascii("tasks.web.").unwrap(),
                RecordType::A,
            ));
        let bytes = answer(&r, ip("10.0.1.3"), &q.to_vec().unwrap()).unwrap();
        let m = Message::from_vec(&bytes).unwrap();
        assert_eq!(m.id(), 7);
        assert_eq!(m.message_type(), MessageType::Response);
        let got: Vec<String> = m.answers().iter().map(|a| a.data().to_string()).collect();
        assert_eq!(got, vec!["10.0.1.4", "10.0.1.5"]);
        let mut q2 = Message::new();
        q2.add_query(Query::query(
            Name::from_ascii("example.org.").unwrap(),
            RecordType::A,
        ));
        assert!(answer(&r, ip("10.0.1.3"), &q2.to_vec().unwrap()).is_none());
        assert_eq!(
            upstreams("# x\nnameserver 10.213.1.1\nsearch lan\nnameserver ::1\n"),
            vec![
                "10.213.1.1:53".parse::<SocketAddr>().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
    }

    #[test]
    fn a_task_with_dns_servers_forwards_to_them_others_to_the_host() {
        let host = upstreams("nameserver 10.213.1.1\n");
        let mut per_task = TaskUpstreams::new();
        per_task.insert(
            ip("10.0.1.3"),
            servers(&["192.0.2.53".into(), "2001:db8::53".into()]),
        );
        per_task.insert(ip("10.0.1.4"), vec![]);
        assert_eq!(
            upstreams_for(ip("10.0.1.3"), &per_task, &host),
            [
                "192.0.2.53:53".parse::<SocketAddr>().unwrap(),
                "[2001:db8::53]:53".parse().unwrap()
            ]
        );
        assert_eq!(upstreams_for(ip("10.0.1.4"), &per_task, &host), host);
        assert_eq!(upstreams_for(ip("10.0.1.9"), &per_task, &host), host);
    }

    #[test]
    fn resolv_conf_points_at_the_gateway_with_the_tasks_search_and_options() {
        assert_eq!(
            resolv_conf("10.0.1.1", &[], &[]),
            "nameserver 10.0.1.1\noptions ndots:0\n"
        );
        assert_eq!(
            resolv_conf(
                "10.0.1.1",
                &["example.com".into(), "corp.example.com".into()],
                &["timeout:3".into(), "rotate".into()]
            ),
            "nameserver 10.0.1.1\nsearch example.com corp.example.com\noptions ndots:0 timeout:3 rotate\n"
        );
        // The task's own ndots replaces the default.
        assert_eq!(
            resolv_conf("10.0.1.1", &[], &["ndots:2".into()]),
            "nameserver 10.0.1.1\noptions ndots:2\n"
        );
    }
}
