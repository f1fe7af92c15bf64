//! The DNS flags of `service create` (`--dns`, `--dns-search`, `--dns-option`) and of
//! `service update` (their `-add`/`-rm` forms), Docker's names and help texts, flattened into
//! those verbs; each value is checked when clap parses it, and the flags set or edit a task's
//! [`DnsConfig`] (each value once, in order; on update removals first, as Docker's).

use clap::Args;
use swarm_api::dns_config::{parse_dns_option, parse_nameserver, parse_search_domain, DnsConfig};

use crate::checked::{values, Checked, Given};

/// `service create` DNS flags.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct CreateDnsArgs {
    /// Set custom DNS servers; repeatable.
    #[arg(long, value_name = "IP", value_parser = Checked(parse_nameserver))]
    pub dns: Vec<Given<String>>,
    /// Set custom DNS search domains; repeatable.
    #[arg(long, value_name = "DOMAIN", value_parser = Checked(parse_search_domain))]
    pub dns_search: Vec<Given<String>>,
    /// Set DNS options; repeatable.
    #[arg(long, value_name = "OPTION", value_parser = Checked(parse_dns_option))]
    pub dns_option: Vec<Given<String>>,
}

fn push_new(list: &mut Vec<String>, given: &[Given<String>]) {
    for v in values(given) {
        if !list.contains(&v) {
            list.push(v);
        }
    }
}

impl CreateDnsArgs {
    /// The configuration these flags give (in order, each value once).
    pub fn to_config(&self) -> DnsConfig {
        let mut c = DnsConfig::default();
        push_new(&mut c.nameservers, &self.dns);
        push_new(&mut c.search, &self.dns_search);
        push_new(&mut c.options, &self.dns_option);
        c
    }
}

/// `service update` DNS flags.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct UpdateDnsArgs {
    /// Add or update a custom DNS server.
    #[arg(long, value_name = "IP", value_parser = Checked(parse_nameserver))]
    pub dns_add: Vec<Given<String>>,
    /// Remove a custom DNS server.
    #[arg(long, value_name = "IP", value_parser = Checked(parse_nameserver))]
    pub dns_rm: Vec<Given<String>>,
    /// Add or update a custom DNS search domain.
    #[arg(long, value_name = "DOMAIN", value_parser = Checked(parse_search_domain))]
    pub dns_search_add: Vec<Given<String>>,
    /// Remove a DNS search domain.
    #[arg(long, value_name = "DOMAIN", value_parser = Checked(parse_search_domain))]
    pub dns_search_rm: Vec<Given<String>>,
    /// Add or update a DNS option.
    #[arg(long, value_name = "OPTION", value_parser = Checked(parse_dns_option))]
    pub dns_option_add: Vec<Given<String>>,
    /// Remove a DNS option.
    #[arg(long, value_name = "OPTION", value_parser = Checked(parse_dns_option))]
    pub dns_option_rm: Vec<Given<String>>,
}

impl UpdateDnsArgs {
    /// Applies the removals, then the additions, to `c`.
    pub fn apply(&self, c: &mut DnsConfig) {
        let (servers, domains, options) = (
            values(&self.dns_rm),
            values(&self.dns_search_rm),
            values(&self.dns_option_rm),
        );
        c.nameservers.retain(|x| !servers.contains(x));
        c.search.retain(|x| !domains.contains(x));
        c.options.retain(|x| !options.contains(x));
        push_new(&mut c.nameservers, &self.dns_add);
        push_new(&mut c.search, &self.dns_search_add);
        push_new(&mut c.options, &self.dns_option_add);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        create: CreateDnsArgs,
        #[command(flatten)]
        update: UpdateDnsArgs,
    }

    fn parse(a: &[&str]) -> Result<Cli, String> {
        let mut all = vec!["x"];
        all.extend_from_slice(a);
        Cli::try_parse_from(all).map_err(|e| e.to_string())
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn create_flags_give_servers_domains_and_options_once_each() {
        let c = parse(&[
            "--dns",
            "10.0.0.2",
            "--dns",
            " 2001:db8::1 ",
            "--dns",
            "10.0.0.2",
            "--dns-search",
            "example.com.",
            "--dns-search",
            "corp.example.com",
            "--dns-option",
            "ndots:2",
            "--dns-option",
            "timeout:3",
        ])
        .unwrap()
        .create
        .to_config();
        assert_eq!(c.nameservers, ["10.0.0.2", "2001:db8::1"]);
        assert_eq!(c.search, ["example.com", "corp.example.com"]);
        assert_eq!(c.options, ["ndots:2", "timeout:3"]);
        assert!(CreateDnsArgs::default().to_config().is_empty());
    }

    #[test]
    fn bad_values_name_the_flag_and_the_value() {
        for (a, flag) in [
            (["--dns", "dns.example.com"], "--dns"),
            (["--dns-search", "bad domain"], "--dns-search"),
            (["--dns-option", ""], "--dns-option"),
            (["--dns-add", "300.1.1.1"], "--dns-add"),
        ] {
            let e = parse(&a).unwrap_err();
            assert!(e.contains(&format!("invalid {flag} {:?}", a[1])), "{e}");
        }
    }

    #[test]
    fn update_removes_then_adds() {
        let mut c = DnsConfig {
            nameservers: strs(&["10.0.0.2", "10.0.0.3"]),
            search: strs(&["a.example"]),
            options: strs(&["ndots:1"]),
        };
        parse(&[
            "--dns-add",
            "10.0.0.4",
            "--dns-add",
            "10.0.0.3",
            "--dns-rm",
            "10.0.0.2",
            "--dns-search-add",
            "b.example",
            "--dns-search-rm",
            "a.example",
            "--dns-option-add",
            "ndots:1",
            "--dns-option-rm",
            "ndots:1",
        ])
        .unwrap()
        .update
        .apply(&mut c);
        assert_eq!(c.nameservers, ["10.0.0.3", "10.0.0.4"]);
        assert_eq!(c.search, ["b.example"]);
        // Removed, then added back: Docker's order.
        assert_eq!(c.options, ["ndots:1"]);
    }
}
