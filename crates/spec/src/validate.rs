//! Pure validation of a merged [`RawSpec`] into a [`ClusterSpec`]. Every problem is collected, so
//! the user sees all of them at once; each names the flag, the value and what is allowed.

use std::collections::BTreeMap;

use super::raw::RawSpec;
use super::{
    Ami, Cidr, ClusterSpec, DiskType, FieldError, NodeGroup, SpecError, SshKey, Zones,
    MANAGER_COUNTS, MAX_AZS, MAX_WORKERS, RESERVED_PORTS,
};

/// Defaults for fields the user left out.
pub mod defaults {
    /// Availability zones.
    pub const AZS: u32 = 3;
    /// Managers.
    pub const MANAGERS: u32 = 3;
    /// Workers.
    pub const WORKERS: u32 = 5;
    /// Instance type of both roles.
    pub const INSTANCE_TYPE: &str = "t3.medium";
    /// Root disk size in GiB.
    pub const DISK_SIZE: u32 = 20;
    /// VPC CIDR (the one Docker for AWS used).
    pub const VPC_CIDR: &str = "172.31.0.0/16";
    /// Published load-balancer ports.
    pub const PUBLISH: [u16; 1] = [80];
}

/// Smallest subnet AWS allows.
const SMALLEST_SUBNET_PREFIX: u8 = 28;
/// Subnets are sixteenths of the VPC when it is large enough.
const PREFERRED_SUBNET_BITS: u8 = 4;
/// User tags allowed (AWS allows 50 per resource; swarm-aws adds its own).
const MAX_USER_TAGS: usize = 40;

/// Validates `raw`. `public_key` is the text of the `--ssh-public-key` file, read by the caller.
pub fn validate(raw: &RawSpec, public_key: Option<&str>) -> Result<ClusterSpec, SpecError> {
    let mut errs = Vec::new();

    let name = check_name(raw.name.as_deref(), &mut errs);
    let region = raw.region.as_deref().map(str::trim).map(str::to_string);
    if let Some(r) = &region {
        if !is_region(r) {
            errs.push(FieldError::new(
                "--region",
                r,
                "is not an AWS region name (expected e.g. us-east-1, eu-west-2, ap-southeast-1)",
            ));
        }
    }
    let (zones, region) = check_zones(raw, region, &mut errs);
    let managers = check_managers(raw.managers.unwrap_or(defaults::MANAGERS), &mut errs);
    let workers = raw.workers.unwrap_or(defaults::WORKERS);
    if workers > MAX_WORKERS {
        errs.push(FieldError::new(
            "--workers",
            workers,
            format!("must be from 0 to {MAX_WORKERS}"),
        ));
    }
    let manager = check_group(
        "manager",
        raw.manager_instance_type.as_deref(),
        raw.manager_disk_size,
        raw.manager_disk_type.as_deref(),
        &mut errs,
    );
    let worker = check_group(
        "worker",
        raw.worker_instance_type.as_deref(),
        raw.worker_disk_size,
        raw.worker_disk_type.as_deref(),
        &mut errs,
    );
    let ssh_key = check_ssh_key(raw, public_key, &mut errs);
    let ssh_cidr = check_ssh_cidr(raw, &mut errs);
    let (vpc_cidr, subnets) = check_vpc(raw, zone_count(&zones), &mut errs);
    let ami = check_ami(raw.ami.as_deref(), &mut errs);
    let publish = check_publish(raw.publish.as_deref(), &mut errs);
    let tags = check_tags(&raw.tags, &raw.malformed_tags, &mut errs);

    if !errs.is_empty() {
        return Err(SpecError::Invalid(errs));
    }
    Ok(ClusterSpec {
        name,
        region,
        zones,
        managers,
        workers,
        manager,
        worker,
        ssh_key,
        ssh_cidr,
        vpc_cidr,
        subnets,
        ami,
        cloudwatch_logs: raw.cloudwatch_logs.unwrap_or(false),
        publish,
        tags,
    })
}

/// Checks a cluster or website name: it becomes a CloudFormation stack name and part of resource
/// names, so letters, digits and hyphens, starting with a letter, at most 64 characters.
pub fn check_stack_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    let problem = if name.is_empty() {
        Some("must not be empty")
    } else if name.len() > 64 {
        Some("is longer than 64 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("must start with a letter")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Some("may contain only letters, digits and hyphens")
    } else if name.ends_with('-') {
        Some("must not end with a hyphen")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(FieldError::new(
            field,
            name,
            format!("{p} (it becomes the CloudFormation stack name: letters, digits and hyphens, starting with a letter, 1-64 characters, e.g. prod-swarm)"),
        )),
    }
}

fn check_name(name: Option<&str>, errs: &mut Vec<FieldError>) -> String {
    match name {
        None => {
            errs.push(FieldError::new(
                "--name",
                "",
                "is required: the cluster name, also the CloudFormation stack name (e.g. --name prod-swarm)",
            ));
            String::new()
        }
        Some(n) => {
            if let Err(e) = check_stack_name("--name", n) {
                errs.push(e);
            }
            n.to_string()
        }
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`.
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn zone_count(zones: &Zones) -> u32 {
    match zones {
        Zones::Count(n) => *n,
        Zones::Named(z) => z.len() as u32,
    }
}

fn check_zones(
    raw: &RawSpec,
    region: Option<String>,
    errs: &mut Vec<FieldError>,
) -> (Zones, Option<String>) {
    let Some(names) = &raw.zones else {
        let n = raw.azs.unwrap_or(defaults::AZS);
        if n == 0 || n > MAX_AZS {
            errs.push(FieldError::new(
                "--azs",
                n,
                format!("must be from 1 to {MAX_AZS} (no AWS region has more zones); 3 is the usual choice"),
            ));
        }
        return (Zones::Count(n.clamp(1, MAX_AZS)), region);
    };
    let names: Vec<String> = names.iter().map(|z| z.trim().to_string()).collect();
    let shown = names.join(",");
    if names.is_empty() || names.len() as u32 > MAX_AZS {
        errs.push(FieldError::new(
            "--zones",
            &shown,
            format!("must list 1 to {MAX_AZS} zones, e.g. us-east-1a,us-east-1b,us-east-1c"),
        ));
    }
    let mut implied: Option<String> = None;
    for z in &names {
        // A zone is its region plus one letter: us-east-1a.
        let ok = z.len() > 1
            && z.ends_with(|c: char| c.is_ascii_lowercase())
            && is_region(&z[..z.len() - 1]);
        if !ok {
            errs.push(FieldError::new(
                "--zones",
                z,
                "is not an availability zone name (expected region + letter, e.g. us-east-1a)",
            ));
            continue;
        }
        let zr = &z[..z.len() - 1];
        match (&region, &implied) {
            (Some(r), _) if r != zr => errs.push(FieldError::new(
                "--zones",
                z,
                format!("is not in region {r}; every zone must be in the cluster's region"),
            )),
            (None, Some(i)) if i != zr => errs.push(FieldError::new(
                "--zones",
                &shown,
                "spans more than one region; a cluster lives in one region (use `swarm-aws website` to fail over across regions)",
            )),
            _ => implied = Some(zr.to_string()),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for z in &names {
        if !seen.insert(z) {
            errs.push(FieldError::new("--zones", z, "is listed twice"));
        }
    }
    (Zones::Named(names), region.or(implied))
}

fn check_managers(n: u32, errs: &mut Vec<FieldError>) -> u32 {
    if !MANAGER_COUNTS.contains(&n) {
        let why = if n == 0 {
            "a cluster needs at least one manager".to_string()
        } else if n > 7 {
            "more than 7 managers slows every write (each is replicated to a majority) and adds little fault tolerance".to_string()
        } else {
            format!(
                "an even number of managers adds no fault tolerance: Raft needs a majority ({} of {n}), so {n} managers survive {} failure(s), the same as {}",
                n / 2 + 1,
                (n - 1) / 2,
                n - 1
            )
        };
        errs.push(FieldError::new(
            "--managers",
            n,
            format!("{why}; use 1, 3, 5 or 7 (3 survives one manager failure, 5 survives two)"),
        ));
    }
    n
}

fn check_group(
    role: &'static str,
    instance_type: Option<&str>,
    disk_size: Option<u32>,
    disk_type: Option<&str>,
    errs: &mut Vec<FieldError>,
) -> NodeGroup {
    let (type_flag, size_flag, disk_flag) = match role {
        "manager" => (
            "--manager-instance-type",
            "--manager-disk-size",
            "--manager-disk-type",
        ),
        _ => (
            "--worker-instance-type",
            "--worker-disk-size",
            "--worker-disk-type",
        ),
    };
    let instance_type = instance_type.unwrap_or(defaults::INSTANCE_TYPE).to_string();
    if !is_instance_type(&instance_type) {
        errs.push(FieldError::new(
            type_flag,
            &instance_type,
            "is not an EC2 instance type (expected FAMILY.SIZE, e.g. t3.medium, m7g.large)",
        ));
    }
    let disk_size = disk_size.unwrap_or(defaults::DISK_SIZE);
    if !(8..=16384).contains(&disk_size) {
        errs.push(FieldError::new(
            size_flag,
            disk_size,
            "must be from 8 to 16384 GiB (the Amazon Linux image needs 8)",
        ));
    }
    let disk_type = match disk_type {
        None => DiskType::Gp3,
        Some(t) => match DiskType::ALL.iter().find(|(n, _)| *n == t) {
            Some((_, d)) => *d,
            None => {
                errs.push(FieldError::new(
                    disk_flag,
                    t,
                    "is not a root-volume type; use gp3, gp2, io1, io2 or standard",
                ));
                DiskType::Gp3
            }
        },
    };
    NodeGroup {
        instance_type,
        disk_size,
        disk_type,
    }
}

/// `t3.medium`, `m7i-flex.large`, `u-6tb1.metal`.
fn is_instance_type(t: &str) -> bool {
    let Some((family, size)) = t.split_once('.') else {
        return false;
    };
    family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !size.is_empty()
        && size
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_ssh_key(raw: &RawSpec, public_key: Option<&str>, errs: &mut Vec<FieldError>) -> SshKey {
    if let Some(name) = &raw.key_name {
        if name.is_empty() || name.len() > 255 || !name.is_ascii() {
            errs.push(FieldError::new(
                "--key-name",
                name,
                "must be the name of an EC2 key pair: 1-255 ASCII characters",
            ));
        }
        return SshKey::Existing(name.clone());
    }
    let Some(path) = &raw.ssh_public_key else {
        return SshKey::Generate;
    };
    let shown = path.display().to_string();
    let text = public_key.unwrap_or_default().trim();
    if text.contains("PRIVATE KEY") {
        // Never echo the content: it is a secret.
        errs.push(FieldError::new(
            "--ssh-public-key",
            &shown,
            "is a private key; pass the public half (usually the same path ending in .pub)",
        ));
    } else if !["ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-nistp"]
        .iter()
        .any(|p| text.starts_with(p))
    {
        errs.push(FieldError::new(
            "--ssh-public-key",
            &shown,
            "is not an OpenSSH public key (expected a line starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp; create one with ssh-keygen -t ed25519)",
        ));
    }
    SshKey::Import {
        path: path.clone(),
        public_key: text.to_string(),
    }
}

fn check_ssh_cidr(raw: &RawSpec, errs: &mut Vec<FieldError>) -> Cidr {
    let Some(text) = &raw.ssh_cidr else {
        errs.push(FieldError::new(
            "--ssh-cidr",
            "",
            "is required: the addresses allowed to SSH into the nodes, e.g. your own address as --ssh-cidr 203.0.113.7/32",
        ));
        return Cidr::ANYWHERE;
    };
    match text.parse::<Cidr>() {
        Err(e) => {
            errs.push(FieldError::new("--ssh-cidr", text, e.to_string()));
            Cidr::ANYWHERE
        }
        Ok(c) if c.prefix == 0 && raw.allow_ssh_from_anywhere != Some(true) => {
            errs.push(FieldError::new(
                "--ssh-cidr",
                text,
                "opens SSH to the whole internet; give a narrower CIDR (e.g. your address/32), or add --allow-ssh-from-anywhere if you really mean it",
            ));
            c
        }
        Ok(c) => c,
    }
}

fn check_vpc(raw: &RawSpec, azs: u32, errs: &mut Vec<FieldError>) -> (Cidr, Vec<Cidr>) {
    let text = raw.vpc_cidr.as_deref().unwrap_or(defaults::VPC_CIDR);
    let vpc = match text.parse::<Cidr>() {
        Ok(c) => c,
        Err(e) => {
            errs.push(FieldError::new("--vpc-cidr", text, e.to_string()));
            return (Cidr::ANYWHERE, Vec::new());
        }
    };
    if !(16..=SMALLEST_SUBNET_PREFIX).contains(&vpc.prefix) {
        errs.push(FieldError::new(
            "--vpc-cidr",
            text,
            "must have a prefix from /16 to /28 (AWS's VPC size limits), e.g. 10.0.0.0/16",
        ));
        return (vpc, Vec::new());
    }
    match vpc.carve(azs, PREFERRED_SUBNET_BITS, SMALLEST_SUBNET_PREFIX) {
        Some(subnets) => (vpc, subnets),
        None => {
            let most = 1u32 << (SMALLEST_SUBNET_PREFIX - vpc.prefix);
            errs.push(FieldError::new(
                "--vpc-cidr",
                text,
                format!("holds at most {most} subnet(s) of /28 (AWS's smallest), but {azs} zones need one each; use fewer zones or a larger block (e.g. a /16)"),
            ));
            (vpc, Vec::new())
        }
    }
}

fn check_ami(ami: Option<&str>, errs: &mut Vec<FieldError>) -> Ami {
    let Some(id) = ami else {
        return Ami::LatestAmazonLinux;
    };
    let hex = id.strip_prefix("ami-").unwrap_or("");
    if !((hex.len() == 8 || hex.len() == 17)
        && hex
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
    {
        errs.push(FieldError::new(
            "--ami",
            id,
            "is not an AMI id (expected ami- and 8 or 17 hex digits, e.g. ami-0abcdef1234567890)",
        ));
    }
    Ami::Id(id.to_string())
}

fn check_publish(ports: Option<&[u32]>, errs: &mut Vec<FieldError>) -> Vec<u16> {
    let Some(ports) = ports else {
        return defaults::PUBLISH.to_vec();
    };
    if ports.is_empty() {
        errs.push(FieldError::new(
            "--publish",
            "",
            "needs at least one port: the load balancer must have a listener (e.g. --publish 80)",
        ));
    }
    let mut out: Vec<u16> = Vec::new();
    for &p in ports {
        let shown = p.to_string();
        let Ok(port) = u16::try_from(p) else {
            errs.push(FieldError::new(
                "--publish",
                shown,
                "is not a port (1-65535)",
            ));
            continue;
        };
        if let Some((_, what)) = RESERVED_PORTS.iter().find(|(r, _)| *r == port) {
            errs.push(FieldError::new(
                "--publish",
                port,
                format!("is used by the cluster itself ({what}); publish another port"),
            ));
        } else if !(port == 25
            || port == 80
            || port == 443
            || port == 465
            || port == 587
            || port >= 1024)
        {
            errs.push(FieldError::new(
                "--publish",
                port,
                "cannot be a classic load balancer port; use 25, 80, 443, 465, 587 or 1024-65535",
            ));
        } else if out.contains(&port) {
            errs.push(FieldError::new("--publish", port, "is listed twice"));
        } else {
            out.push(port);
        }
    }
    if out.len() > 100 {
        errs.push(FieldError::new(
            "--publish",
            out.len(),
            "ports is more than a classic load balancer's 100 listeners",
        ));
    }
    out
}

fn check_tags(
    tags: &BTreeMap<String, String>,
    malformed: &[String],
    errs: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    for t in malformed {
        errs.push(FieldError::new(
            "--tag",
            t,
            "must be KEY=VALUE, e.g. --tag team=web",
        ));
    }
    for (k, v) in tags {
        let lower = k.to_ascii_lowercase();
        if k.is_empty() || k.len() > 128 {
            errs.push(FieldError::new("--tag", k, "key must be 1-128 characters"));
        } else if lower.starts_with("aws:") || lower.starts_with("swarm-aws:") {
            errs.push(FieldError::new(
                "--tag",
                k,
                "key prefixes aws: and swarm-aws: are reserved; choose another key",
            ));
        } else if lower == "name" {
            errs.push(FieldError::new(
                "--tag",
                k,
                "is set by swarm-aws on every resource; choose another key",
            ));
        }
        if v.len() > 256 {
            errs.push(FieldError::new(
                "--tag",
                format!("{k}=..."),
                "value must be at most 256 characters",
            ));
        }
    }
    if tags.len() > MAX_USER_TAGS {
        errs.push(FieldError::new(
            "--tag",
            tags.len(),
            format!("tags is more than {MAX_USER_TAGS} (AWS allows 50 per resource and swarm-aws adds its own)"),
        ));
    }
    tags.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSpec {
        RawSpec {
            name: Some("demo".into()),
            ssh_cidr: Some("203.0.113.0/24".into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_fill_a_minimal_spec() {
        let spec = validate(&raw(), None).unwrap();
        assert_eq!((spec.managers, spec.workers, spec.zone_count()), (3, 5, 3));
        assert_eq!(spec.vpc_cidr.to_string(), "172.31.0.0/16");
        assert_eq!(spec.subnets.len(), 3);
        assert_eq!(spec.publish, vec![80]);
        assert_eq!(spec.ssh_key, SshKey::Generate);
        assert_eq!(spec.key_pair_name(), "swarm-aws-demo");
        assert!(!spec.cloudwatch_logs);
    }

    #[test]
    fn explicit_zones_imply_the_region() {
        let mut r = raw();
        r.zones = Some(vec!["eu-west-1a".into(), "eu-west-1c".into()]);
        let spec = validate(&r, None).unwrap();
        assert_eq!(spec.region.as_deref(), Some("eu-west-1"));
        let mut r = raw();
        r.zones = Some(vec!["eu-west-1a".into(), "us-east-1a".into()]);
        let err = validate(&r, None).unwrap_err();
        assert!(err.to_string().contains("more than one region"), "{err}");
    }

    #[test]
    fn every_manager_count_outside_the_odd_set_is_refused() {
        for n in 0..=9 {
            let mut r = raw();
            r.managers = Some(n);
            assert_eq!(
                validate(&r, None).is_ok(),
                MANAGER_COUNTS.contains(&n),
                "{n}"
            );
        }
    }

    #[test]
    fn imported_public_key_is_kept_and_checked() {
        let mut r = raw();
        r.ssh_public_key = Some("k.pub".into());
        let spec = validate(&r, Some("ssh-ed25519 AAAAC3Nza me@host\n")).unwrap();
        assert!(
            matches!(spec.ssh_key, SshKey::Import { ref public_key, .. } if public_key.starts_with("ssh-ed25519"))
        );
        let err = validate(&r, Some("hello")).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "--ssh-public-key");
    }

    #[test]
    fn region_names_are_checked() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-1a", ""] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
