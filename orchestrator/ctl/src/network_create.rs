//! `network create`'s flags: the clap struct is the flag set; it maps onto swarm-api's
//! [`NetworkSpec`] through swarm-api's checks ([`IpamConfig::paired`], [`driver_options`],
//! [`NetworkSpec::validate`]), as compose's `networks:` do.

use std::collections::BTreeMap;

use clap::Args;
use swarm_api::label::parse_label;
use swarm_api::network::{driver_options, IpamConfig, NetworkSpec, DEFAULT_DRIVER};
use swarm_api::spec_error::SpecError;

/// `network create` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct NetworkCreateArgs {
    /// Driver to manage the network (overlay).
    #[arg(short, long)]
    pub driver: Option<String>,
    /// Subnet in CIDR format (e.g. 10.0.9.0/24); repeatable.
    #[arg(long)]
    pub subnet: Vec<String>,
    /// Gateway of the subnet of the same position; repeatable.
    #[arg(long)]
    pub gateway: Vec<String>,
    /// Allocate task addresses from a sub-range of the subnet of the same position.
    #[arg(long)]
    pub ip_range: Vec<String>,
    /// Restrict external access to the network.
    #[arg(long)]
    pub internal: bool,
    /// Enable manual container attachment (recorded).
    #[arg(long)]
    pub attachable: bool,
    /// Network labels (key=value); repeatable.
    #[arg(long)]
    pub label: Vec<String>,
    /// Driver options (key=value, e.g. encrypted); repeatable.
    #[arg(short, long)]
    pub opt: Vec<String>,
    /// Network name.
    pub name: String,
}

impl NetworkCreateArgs {
    /// The spec the flags ask for, checked (errors name the flag).
    pub fn into_spec(self) -> Result<NetworkSpec, SpecError> {
        let ipam = IpamConfig::paired(&self.subnet, &self.gateway, &self.ip_range)?;
        let mut labels = BTreeMap::new();
        for l in &self.label {
            let (k, v) = parse_label("--label", l)?;
            labels.insert(k, v);
        }
        let spec = NetworkSpec {
            name: self.name,
            driver: self.driver.unwrap_or_else(|| DEFAULT_DRIVER.into()),
            ipam,
            internal: self.internal,
            attachable: self.attachable,
            labels,
            options: driver_options(&self.opt),
            ingress: false,
        };
        spec.validate()?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(subnets: &[&str]) -> NetworkCreateArgs {
        NetworkCreateArgs {
            name: "backend".into(),
            subnet: subnets.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_gateway() {
        let s = flags(&["10.0.9.0/24"]).into_spec().unwrap();
        assert_eq!(s.driver, "overlay");
        assert_eq!(s.ipam[0].gateway, "10.0.9.1");
        let mut f = flags(&["10.0.9.0/24"]);
        f.gateway = vec!["10.0.9.254".into()];
        f.ip_range = vec!["10.0.9.128/25".into()];
        let s = f.into_spec().unwrap();
        assert_eq!(s.ipam[0].gateway, "10.0.9.254");
        assert_eq!(s.ipam[0].ip_range.as_deref(), Some("10.0.9.128/25"));
    }

    #[test]
    fn bad_input_names_the_flag() {
        let e = flags(&["10.0.9.1/24"]).into_spec().unwrap_err();
        assert_eq!(e.field, "--subnet");
        let mut f = flags(&["10.0.9.0/24"]);
        f.gateway = vec!["10.0.8.1".into()];
        assert_eq!(f.into_spec().unwrap_err().field, "--gateway");
        let mut f = flags(&["10.0.9.0/24"]);
        f.ip_range = vec!["10.0.10.0/25".into()];
        assert_eq!(f.into_spec().unwrap_err().field, "--ip-range");
        let e = flags(&["10.0.0.0/16", "10.0.9.0/24"])
            .into_spec()
            .unwrap_err();
        assert!(e.reason.contains("overlaps"), "{e}");
        let mut f = flags(&[]);
        f.opt = vec!["encrypted".into()];
        let e = f.into_spec().unwrap_err();
        assert_eq!(e.field, "--opt");
        assert!(e.to_string().contains("not supported"), "{e}");
        assert!(
            e.to_string().contains("XFRM") && e.to_string().contains("plain"),
            "{e}"
        );
        let mut f = flags(&[]);
        f.driver = Some("bridge".into());
        assert_eq!(f.into_spec().unwrap_err().field, "--driver");
        let mut f = flags(&[]);
        f.name = "bad name".into();
        assert_eq!(f.into_spec().unwrap_err().field, "NAME");
    }
}
