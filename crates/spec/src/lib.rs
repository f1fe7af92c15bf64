//! swarm-aws-spec: the cluster spec and the failover website's spec.
//!
//! Background: a cluster is described by flags, an optional TOML file and `SWARM_AWS_*`
//! environment variables. The CLI maps what the user typed to a plain [`raw::SpecInput`] (this
//! crate knows no clap types); it is merged with the file ([`raw`]) and validated ([`validate`])
//! into one [`ClusterSpec`]; a website's flags come as a [`website::WebsiteInput`].
//!
//! Design: validation is pure and reports every bad field at once ([`FieldError`]: the field, the
//! value and the fix); reading the config file and the SSH public key is done by [`load`].
//!
//! Limits: nothing here talks to AWS; whether a region, zone or AMI exists is checked later.

pub mod cidr;
pub mod error;
pub mod load;
pub mod raw;
pub mod validate;
pub mod website;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use cidr::Cidr;
pub use error::{FieldError, SpecError};

/// Manager counts a Raft quorum is sensible for.
pub const MANAGER_COUNTS: [u32; 4] = [1, 3, 5, 7];
/// Largest worker count.
pub const MAX_WORKERS: u32 = 1000;
/// Largest number of availability zones a cluster spans (no region has more).
pub const MAX_AZS: u32 = 6;
/// Ports the cluster itself uses on every node; they cannot be published on the load balancer.
pub const RESERVED_PORTS: [(u16, &str); 5] = [
    (22, "SSH"),
    (2377, "swarmd cluster API and Raft"),
    (4789, "overlay network (VXLAN)"),
    (7946, "node gossip"),
    (44554, "node health endpoint for the load balancer"),
];

/// A validated cluster: what `template` renders and `up` creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Cluster name, also the stack name.
    pub name: String,
    /// Region, when one was given (or implied by explicit zones); the AWS profile supplies it otherwise.
    pub region: Option<String>,
    /// Availability zones to spread over.
    pub zones: Zones,
    /// Number of managers (1, 3, 5 or 7).
    pub managers: u32,
    /// Number of workers (0 to 1000).
    pub workers: u32,
    /// Manager instances.
    pub manager: NodeGroup,
    /// Worker instances.
    pub worker: NodeGroup,
    /// How instances get their SSH key.
    pub ssh_key: SshKey,
    /// CIDR allowed to reach port 22.
    pub ssh_cidr: Cidr,
    /// CIDR of the VPC.
    pub vpc_cidr: Cidr,
    /// One public subnet per zone, carved from the VPC CIDR.
    pub subnets: Vec<Cidr>,
    /// Machine image of every node.
    pub ami: Ami,
    /// Whether container logs go to a CloudWatch log group.
    pub cloudwatch_logs: bool,
    /// Load-balancer ports (TCP listeners forwarding to the same port on every node).
    pub publish: Vec<u16>,
    /// User tags for every resource.
    pub tags: BTreeMap<String, String>,
}

impl ClusterSpec {
    /// Number of availability zones.
    pub fn zone_count(&self) -> u32 {
        match &self.zones {
            Zones::Count(n) => *n,
            Zones::Named(z) => z.len() as u32,
        }
    }

    /// The EC2 key pair name the instances use.
    pub fn key_pair_name(&self) -> String {
        match &self.ssh_key {
            SshKey::Existing(name) => name.clone(),
            SshKey::Import { .. } | SshKey::Generate => format!("swarm-aws-{}", self.name),
        }
    }
}

/// Availability zones: a count picked from the region's zones, or explicit names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zones {
    /// The region's first N zones (`Fn::GetAZs`).
    Count(u32),
    /// These zones, in this order.
    Named(Vec<String>),
}

/// Instance settings of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    /// EC2 instance type, e.g. `t3.medium`.
    pub instance_type: String,
    /// Root volume size in GiB.
    pub disk_size: u32,
    /// Root volume type.
    pub disk_type: DiskType,
}

impl NodeGroup {
    /// CPU architecture of the instance type.
    pub fn arch(&self) -> Arch {
        Arch::of_instance_type(&self.instance_type)
    }
}

/// EBS volume types usable as a root volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskType {
    /// General purpose SSD, current generation.
    Gp3,
    /// General purpose SSD, previous generation.
    Gp2,
    /// Provisioned IOPS SSD.
    Io1,
    /// Provisioned IOPS SSD, current generation.
    Io2,
    /// Magnetic.
    Standard,
}

impl DiskType {
    /// Every accepted type, as written.
    pub const ALL: [(&'static str, DiskType); 5] = [
        ("gp3", DiskType::Gp3),
        ("gp2", DiskType::Gp2),
        ("io1", DiskType::Io1),
        ("io2", DiskType::Io2),
        ("standard", DiskType::Standard),
    ];

    /// The name CloudFormation uses.
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, t)| *t == self).unwrap().0
    }

    /// Whether the type needs an IOPS figure.
    pub fn needs_iops(self) -> bool {
        matches!(self, DiskType::Io1 | DiskType::Io2)
    }
}

/// CPU architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// Intel/AMD.
    X86_64,
    /// Graviton.
    Arm64,
}

impl Arch {
    /// Graviton families carry a `g` after the generation digit (t4g, m7g, c7gn, r8gd) or are `a1`.
    pub fn of_instance_type(instance_type: &str) -> Arch {
        let family = instance_type.split('.').next().unwrap_or_default();
        if family == "a1" {
            return Arch::Arm64;
        }
        let after_digit = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
        let attrs = after_digit.trim_start_matches(|c: char| c.is_ascii_digit());
        if attrs.contains('g') {
            Arch::Arm64
        } else {
            Arch::X86_64
        }
    }

    /// Name used by AMI parameters and binaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// Machine image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ami {
    /// The latest Amazon Linux 2023 of each role's architecture, from AWS's public SSM parameter.
    LatestAmazonLinux,
    /// This AMI for every node.
    Id(String),
}

impl Ami {
    /// The public SSM parameter naming the latest Amazon Linux 2023 AMI for `arch`.
    pub fn ssm_parameter(arch: Arch) -> String {
        format!(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{}",
            arch.as_str()
        )
    }
}

/// How nodes get their SSH key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshKey {
    /// An EC2 key pair that already exists.
    Existing(String),
    /// Import this local public key as the cluster's key pair.
    Import {
        /// Where it was read from.
        path: PathBuf,
        /// The OpenSSH public key line.
        public_key: String,
    },
    /// swarm-aws creates a key pair and keeps the private key in the user's config dir.
    Generate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_are_arm64() {
        for t in [
            "t4g.small",
            "m7g.large",
            "c7gn.xlarge",
            "r8gd.2xlarge",
            "a1.medium",
            "m6gd.metal",
        ] {
            assert_eq!(Arch::of_instance_type(t), Arch::Arm64, "{t}");
        }
        for t in [
            "t3.medium",
            "m6i.large",
            "c5n.xlarge",
            "m7i-flex.large",
            "g5.xlarge",
            "u-6tb1.metal",
        ] {
            assert_eq!(Arch::of_instance_type(t), Arch::X86_64, "{t}");
        }
    }

    #[test]
    fn disk_types_round_trip() {
        for (name, t) in DiskType::ALL {
            assert_eq!(t.as_str(), name);
        }
        assert!(DiskType::Io2.needs_iops() && !DiskType::Gp3.needs_iops());
    }
}
