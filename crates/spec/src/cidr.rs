//! IPv4 CIDR blocks: parsing and carving a VPC block into equal subnets, one per availability zone.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 CIDR block whose address is the network address (host bits zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr {
    /// Network address.
    pub addr: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix: u8,
}

impl Cidr {
    /// `0.0.0.0/0`: every address.
    pub const ANYWHERE: Cidr = Cidr {
        addr: Ipv4Addr::UNSPECIFIED,
        prefix: 0,
    };

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        }
    }

    /// Whether `other` lies entirely inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix
            && (u32::from(other.addr) & Self::mask(self.prefix)) == u32::from(self.addr)
    }

    /// Splits the block into `count` equal subnets of `prefix + bits` where `bits` is the larger of
    /// `preferred_bits` and what `count` needs, without going smaller than `/max_prefix`.
    /// Returns `None` when `count` subnets of at least `/max_prefix` do not fit.
    pub fn carve(&self, count: u32, preferred_bits: u8, max_prefix: u8) -> Option<Vec<Cidr>> {
        if count == 0 {
            return Some(Vec::new());
        }
        let needed_bits = (32 - (count - 1).leading_zeros()) as u8; // ceil(log2(count))
        let room = max_prefix.checked_sub(self.prefix)?;
        if needed_bits > room {
            return None;
        }
        let bits = preferred_bits.max(needed_bits).min(room);
        let prefix = self.prefix + bits;
        let step = 1u64 << (32 - u32::from(prefix));
        let base = u64::from(u32::from(self.addr));
        Some(
            (0..u64::from(count))
                .map(|i| Cidr {
                    addr: Ipv4Addr::from((base + i * step) as u32),
                    prefix,
                })
                .collect(),
        )
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Why a string is not a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// No `/prefix` part.
    #[error("is not a CIDR block (expected ADDRESS/PREFIX, e.g. 10.0.0.0/16)")]
    Syntax,
    /// The address is not a dotted-quad IPv4 address.
    #[error("has an invalid IPv4 address (expected four numbers 0-255, e.g. 10.0.0.0/16)")]
    Address,
    /// The prefix is not a number from 0 to 32.
    #[error("has an invalid prefix length (expected 0 to 32)")]
    Prefix,
    /// Host bits are set.
    #[error("has host bits set; the network address is {0}")]
    HostBits(Cidr),
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s.trim().split_once('/').ok_or(CidrError::Syntax)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| CidrError::Address)?;
        let prefix: u8 = prefix.parse().map_err(|_| CidrError::Prefix)?;
        if prefix > 32 {
            return Err(CidrError::Prefix);
        }
        let network = Ipv4Addr::from(u32::from(addr) & Cidr::mask(prefix));
        let cidr = Cidr {
            addr: network,
            prefix,
        };
        if network != addr {
            return Err(CidrError::HostBits(cidr));
        }
        Ok(cidr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(c("10.0.0.0/16").to_string(), "10.0.0.0/16");
        assert_eq!(c("0.0.0.0/0"), Cidr::ANYWHERE);
        assert_eq!(c("203.0.113.7/32").prefix, 32);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!("10.0.0.0".parse::<Cidr>(), Err(CidrError::Syntax));
        assert_eq!("10.0.0/16".parse::<Cidr>(), Err(CidrError::Address));
        assert_eq!("10.0.0.256/16".parse::<Cidr>(), Err(CidrError::Address));
        assert_eq!("10.0.0.0/33".parse::<Cidr>(), Err(CidrError::Prefix));
        assert_eq!("10.0.0.0/x".parse::<Cidr>(), Err(CidrError::Prefix));
        assert_eq!(
            "10.0.0.1/16".parse::<Cidr>(),
            Err(CidrError::HostBits(c("10.0.0.0/16")))
        );
    }

    #[test]
    fn carves_sixteenths_of_a_slash_16() {
        let subnets = c("172.31.0.0/16").carve(3, 4, 28).unwrap();
        assert_eq!(
            subnets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
        );
        for s in &subnets {
            assert!(c("172.31.0.0/16").contains(s));
        }
    }

    #[test]
    fn carves_smaller_blocks_down_to_the_limit() {
        // A /26 leaves two bits before /28: four subnets at most.
        let four = c("10.0.0.0/26").carve(4, 4, 28).unwrap();
        assert_eq!(four.last().unwrap().to_string(), "10.0.0.48/28");
        assert!(c("10.0.0.0/26").carve(5, 4, 28).is_none());
        assert!(c("10.0.0.0/28").carve(2, 4, 28).is_none());
        assert_eq!(
            c("10.0.0.0/28").carve(1, 4, 28).unwrap(),
            vec![c("10.0.0.0/28")]
        );
    }

    #[test]
    fn more_than_sixteen_subnets_take_more_bits() {
        let many = c("10.0.0.0/16").carve(17, 4, 28).unwrap();
        assert_eq!(many[0].prefix, 21);
        assert_eq!(many[16].to_string(), "10.0.128.0/21");
    }
}
