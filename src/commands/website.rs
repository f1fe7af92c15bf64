//! `swarm-aws website ...`: the failover website over two clusters.

use crate::cli::{GlobalArgs, WebsiteArgs, WebsiteCommand, WebsiteTemplateArgs};
use crate::commands::template::print_template;
use crate::spec::website::{validate_website, AliasTarget, Target};
use crate::template::render_website;
use crate::Error;

/// Runs a website verb.
pub async fn run(_global: &GlobalArgs, args: &WebsiteArgs) -> Result<(), Error> {
    match &args.command {
        WebsiteCommand::Template(t) => template(t),
        WebsiteCommand::Up(_) => Err(Error::NotImplemented("website up")),
        WebsiteCommand::Status(_) => Err(Error::NotImplemented("website status")),
        WebsiteCommand::Down(_) => Err(Error::NotImplemented("website down")),
    }
}

fn template(args: &WebsiteTemplateArgs) -> Result<(), Error> {
    let target =
        |cluster: &Option<String>, dns: &Option<String>, zone: &Option<String>| match cluster {
            Some(name) => Target::Cluster(name.clone()),
            None => Target::Balancer(AliasTarget {
                dns_name: dns.clone().unwrap_or_default(),
                zone_id: zone.clone().unwrap_or_default(),
            }),
        };
    let spec = validate_website(
        &args.common,
        target(&args.primary, &args.primary_dns, &args.primary_zone_id),
        target(
            &args.secondary,
            &args.secondary_dns,
            &args.secondary_zone_id,
        ),
    )
    .map_err(Error::Fields)?;
    print_template(&render_website(&spec), args.format)
}
