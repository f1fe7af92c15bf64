//! `swarm-aws website ...`: the failover website over two clusters.

use serde_json::json;

use super::shared::{
    confirm, connect, ctrl_c, outputs_json, outputs_text, print_json, print_text, progress_sink,
};
use crate::aws::Clients;
use crate::cli::{
    GlobalArgs, OutputFormat, WebsiteArgs, WebsiteCommand, WebsiteDownArgs, WebsiteNameArgs,
    WebsiteTemplateArgs, WebsiteUpArgs,
};
use crate::commands::template::print_template;
use crate::provider::EmulatorUse;
use crate::spec::validate::check_stack_name;
use crate::spec::website::{validate_website, AliasTarget, Target};
use crate::stack::{delete, deploy, DeleteOptions, DeployRequest, StackError};
use crate::template::{render_website, to_json_string};
use crate::website::{cluster_endpoint, endpoint_parameters, website_status, WEBSITE_TAG};
use crate::Error;

/// Runs a website verb.
pub async fn run(global: &GlobalArgs, args: &WebsiteArgs) -> Result<(), Error> {
    match &args.command {
        WebsiteCommand::Template(t) => template(t),
        WebsiteCommand::Up(a) => up(global, a).await,
        WebsiteCommand::Status(a) => status(global, a).await,
        WebsiteCommand::Down(a) => down(global, a).await,
        WebsiteCommand::Drill(a) => super::website_drill::run(global, a).await,
    }
}

/// Clients for `region` (default `--region`): the sandbox's emulator with `sandbox`, else AWS.
pub(crate) async fn clients_for(
    global: &GlobalArgs,
    sandbox: bool,
    cluster: &str,
    region: Option<&str>,
) -> Result<Clients, Error> {
    if sandbox {
        super::shared::target(global, true, EmulatorUse::Existing)
            .connect(cluster, region)
            .await
    } else {
        connect(global, region).await
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
        &args.common.website_input(),
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

/// The website stack's default name: `website-` and the domain with dots as hyphens.
pub fn default_stack_name(domain: &str) -> String {
    format!(
        "website-{}",
        domain
            .trim_end_matches('.')
            .to_ascii_lowercase()
            .replace('.', "-")
    )
}

async fn up(global: &GlobalArgs, args: &WebsiteUpArgs) -> Result<(), Error> {
    let spec = validate_website(
        &args.common.website_input(),
        Target::Cluster(args.primary.clone()),
        Target::Cluster(args.secondary.clone()),
    )
    .map_err(Error::Fields)?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_stack_name(&spec.domain));
    check_stack_name("--name", &name).map_err(|e| Error::Fields(vec![e]))?;

    let site = clients_for(global, args.sandbox, &args.primary, None).await?;
    let primary_clients = clients_for(
        global,
        args.sandbox,
        &args.primary,
        args.primary_region.as_deref(),
    )
    .await?;
    let secondary_clients = clients_for(
        global,
        args.sandbox,
        &args.secondary,
        args.secondary_region.as_deref(),
    )
    .await?;
    if args.sandbox {
        super::website_sandbox::check_lbs(&[&args.primary, &args.secondary])?;
    }
    let primary = cluster_endpoint(&primary_clients, &args.primary).await?;
    let secondary = cluster_endpoint(&secondary_clients, &args.secondary).await?;

    let req = DeployRequest {
        stack: name.clone(),
        template: to_json_string(&render_website(&spec)),
        parameters: endpoint_parameters(&primary, &secondary),
        tags: vec![(WEBSITE_TAG.to_string(), spec.domain.clone())],
        cluster: name.clone(),
    };
    let mut sink = progress_sink(global);
    let report = deploy(&site, &req, sink.as_mut(), ctrl_c()).await?;
    let st = website_status(&site, &name).await?;
    let dns = match args.sandbox {
        true => Some(super::website_sandbox::start_dns(
            args,
            &name,
            &site.region,
        )?),
        false => None,
    };
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": name,
            "result": report,
            "primary": primary,
            "secondary": secondary,
            "zone_id": st.zone_id,
            "records": st.records,
            "outputs": outputs_json(&st.stack),
            "dns": dns,
        })),
        OutputFormat::Text => print_text(&format!(
            "website {} ({}): PRIMARY {} ({}), SECONDARY {} ({})\n\n{}{}",
            spec.record_name,
            st.stack.status,
            primary.cluster,
            primary.dns_name,
            secondary.cluster,
            secondary.dns_name,
            records_text(&st),
            dns.as_ref()
                .map(super::website_sandbox::dns_text)
                .unwrap_or_default()
        )),
    }
}

fn records_text(st: &crate::website::WebsiteStatus) -> String {
    let mut text = format!("hosted zone: {}\n", st.zone_id.as_deref().unwrap_or("-"));
    for r in &st.records {
        text.push_str(&format!(
            "  {:<9} {} {} -> {} (zone {}){}\n",
            r.failover,
            r.name,
            r.record_type,
            r.alias_dns_name,
            r.alias_zone_id,
            r.health_check_id
                .as_deref()
                .map(|h| format!(", health check {h}"))
                .unwrap_or_default()
        ));
    }
    text.push_str(&format!("\nOutputs:\n{}", outputs_text(&st.stack)));
    text
}

async fn status(global: &GlobalArgs, args: &WebsiteNameArgs) -> Result<(), Error> {
    let dns = crate::website_sandbox::WebsiteDns::new(&args.name).status();
    let site = match &dns {
        Some(d) => clients_for(global, true, &d.primary.cluster, None).await?,
        None => connect(global, None).await?,
    };
    let st = website_status(&site, &args.name).await?;
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "stack": st.stack.name,
            "status": st.stack.status,
            "zone_id": st.zone_id,
            "records": st.records,
            "outputs": outputs_json(&st.stack),
            "dns": dns,
        })),
        OutputFormat::Text => print_text(&format!(
            "website stack {}: {}\n{}{}",
            st.stack.name,
            st.stack.status,
            records_text(&st),
            dns.as_ref()
                .map(super::website_sandbox::dns_text)
                .unwrap_or_default()
        )),
    }
}

async fn down(global: &GlobalArgs, args: &WebsiteDownArgs) -> Result<(), Error> {
    let site = clients_for(global, args.sandbox, &args.name, None).await?;
    let info = super::shared::require_stack(&site, &args.name).await?;
    if info.tag(WEBSITE_TAG).is_none() {
        return Err(StackError::NotOurs { stack: info.name }.into());
    }
    confirm(
        &format!(
            "Delete website stack {} (its hosted zone and records)?",
            info.name
        ),
        args.yes,
    )?;
    if args.sandbox && crate::website_sandbox::WebsiteDns::new(&args.name).stop() {
        eprintln!("stopped the sandbox DNS of website {}", args.name);
    }
    let mut sink = progress_sink(global);
    let report = delete(
        &site,
        &args.name,
        &DeleteOptions {
            retain: vec![],
            retries: 1,
        },
        sink.as_mut(),
        ctrl_c(),
    )
    .await?;
    match global.output {
        OutputFormat::Json => print_json(&json!({"stack": args.name, "result": report})),
        OutputFormat::Text => print_text(&format!("deleted website stack {}\n", args.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_is_a_valid_stack_name() {
        let n = default_stack_name("Example.COM.");
        assert_eq!(n, "website-example-com");
        assert!(check_stack_name("--name", &n).is_ok());
    }
}
