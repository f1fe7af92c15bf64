//! The DNS flags of `service create` (`--dns`, `--dns-search`, `--dns-option`) and of
//! `service update` (their `-add`/`-rm` forms), Docker's names and help texts, flattened into
//! those verbs and mapped onto the api crate's [`DnsFlags`] and [`DnsUpdateFlags`].

use clap::Args;
use swarm_api::dns_config::{DnsFlags, DnsUpdateFlags};

/// `service create` DNS flags.
#[derive(Debug, Clone, Default, Args)]
pub struct CreateDnsArgs {
    /// Set custom DNS servers; repeatable.
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// Set custom DNS search domains; repeatable.
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Set DNS options; repeatable.
    #[arg(long, value_name = "OPTION")]
    pub dns_option: Vec<String>,
}

impl CreateDnsArgs {
    /// The raw flags.
    pub fn flags(self) -> DnsFlags {
        DnsFlags {
            dns: self.dns,
            dns_search: self.dns_search,
            dns_option: self.dns_option,
        }
    }
}

/// `service update` DNS flags.
#[derive(Debug, Clone, Default, Args)]
pub struct UpdateDnsArgs {
    /// Add or update a custom DNS server.
    #[arg(long, value_name = "IP")]
    pub dns_add: Vec<String>,
    /// Remove a custom DNS server.
    #[arg(long, value_name = "IP")]
    pub dns_rm: Vec<String>,
    /// Add or update a custom DNS search domain.
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search_add: Vec<String>,
    /// Remove a DNS search domain.
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search_rm: Vec<String>,
    /// Add or update a DNS option.
    #[arg(long, value_name = "OPTION")]
    pub dns_option_add: Vec<String>,
    /// Remove a DNS option.
    #[arg(long, value_name = "OPTION")]
    pub dns_option_rm: Vec<String>,
}

impl UpdateDnsArgs {
    /// The raw flags.
    pub fn flags(self) -> DnsUpdateFlags {
        DnsUpdateFlags {
            dns_add: self.dns_add,
            dns_rm: self.dns_rm,
            dns_search_add: self.dns_search_add,
            dns_search_rm: self.dns_search_rm,
            dns_option_add: self.dns_option_add,
            dns_option_rm: self.dns_option_rm,
        }
    }
}
