//! The hidden verbs the sandbox runs detached: `__sandbox-lb` (a cluster's load balancer,
//! [`crate::sandbox::lb`]) and `__website-dns` (a website's DNS, [`crate::website_sandbox`]).
//! Each connects to the emulator as the sandbox verbs do and runs until it is killed.

use super::shared::target;
use crate::cli::{GlobalArgs, SandboxLbArgs, WebsiteDnsArgs};
use crate::elb_view::{elb_name, read_elb};
use crate::provider::EmulatorUse;
use crate::sandbox::Sandbox;
use crate::website_sandbox::read::{read_setup, Cluster};
use crate::Error;

/// Runs `__sandbox-lb`: the LB of `args.cluster` until killed.
pub async fn lb(global: &GlobalArgs, args: &SandboxLbArgs) -> Result<(), Error> {
    let mut t = target(global, true, EmulatorUse::Existing);
    let clients = t.connect(&args.cluster, None).await?;
    let elb = elb_name(&clients, &args.cluster).await?;
    let sandbox = Sandbox::new(&args.cluster)?;
    let addr = sandbox.plan()?.lb_addr();
    eprintln!("sandbox LB of {} (ELB {elb}) on {addr}", args.cluster);
    let name = elb.clone();
    let read = move || {
        let (clients, elb) = (clients.clone(), elb.clone());
        async move { read_elb(&clients, &elb).await.map_err(|e| e.to_string()) }
    };
    crate::sandbox::lb::run(sandbox, addr, args.dir.clone(), name, read).await;
    Ok(())
}

/// Runs `__website-dns`: the website's DNS until killed.
pub async fn website_dns(global: &GlobalArgs, args: &WebsiteDnsArgs) -> Result<(), Error> {
    let mut t = target(global, true, EmulatorUse::Existing);
    let site = t.connect(&args.primary, None).await?;
    let pc = t
        .connect(&args.primary, args.primary_region.as_deref())
        .await?;
    let sc = t
        .connect(&args.secondary, args.secondary_region.as_deref())
        .await?;
    let (stack, primary, secondary) = (
        args.name.clone(),
        args.primary.clone(),
        args.secondary.clone(),
    );
    let read = move || {
        let (site, pc, sc) = (site.clone(), pc.clone(), sc.clone());
        let (stack, primary, secondary) = (stack.clone(), primary.clone(), secondary.clone());
        async move {
            read_setup(
                &site,
                &stack,
                &Cluster {
                    name: &primary,
                    clients: &pc,
                },
                &Cluster {
                    name: &secondary,
                    clients: &sc,
                },
            )
            .await
            .map_err(|e| e.to_string())
        }
    };
    crate::website_sandbox::run(args.listen, args.dir.clone(), args.name.clone(), read)
        .await
        .map_err(Error::Input)
}
