//! CPU and memory quantities: `--reserve-cpu 0.5`, `--limit-memory 512M`, and their validation.

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// One billionth of a CPU: the unit Docker uses for `NanoCpus`.
pub const NANO_CPUS_PER_CPU: i64 = 1_000_000_000;

/// An amount of CPU and memory. Zero means "not set".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in units of 10^-9 CPUs (0.5 CPU = 500_000_000).
    #[serde(default)]
    pub nano_cpus: i64,
    /// Memory in bytes.
    #[serde(default)]
    pub memory_bytes: i64,
}

impl Resources {
    /// True when neither CPU nor memory is set.
    pub fn is_zero(&self) -> bool {
        self.nano_cpus == 0 && self.memory_bytes == 0
    }
}

/// Reservations (what the scheduler sets aside on a node) and limits (what the container may use).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceRequirements {
    /// Set aside on the node by the scheduler; a node without enough free capacity is skipped.
    #[serde(default)]
    pub reservations: Resources,
    /// Enforced on the container by the engine (cgroup limits).
    #[serde(default)]
    pub limits: Resources,
    /// The most processes the container may run (`--limit-pids`, Docker's `Limits.Pids`);
    /// 0 = unlimited.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pids_limit: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ResourceRequirements {
    /// Refuses negative values and a memory reservation above the memory limit (when set); a
    /// CPU reservation above the CPU limit is fine (Docker's `--reserve-cpu .75 --limit-cpu .5`).
    pub fn validate(&self) -> Result<(), SpecError> {
        let checks = [
            ("--reserve-cpu", self.reservations.nano_cpus, true),
            ("--reserve-memory", self.reservations.memory_bytes, false),
            ("--limit-cpu", self.limits.nano_cpus, true),
            ("--limit-memory", self.limits.memory_bytes, false),
        ];
        for (field, v, cpu) in checks {
            if v < 0 {
                return Err(SpecError::new(
                    field,
                    show(v, cpu),
                    "must not be negative",
                    "give a positive amount or leave it unset",
                ));
            }
        }
        // A CPU reservation above the CPU limit is accepted, as Docker does (swarmkit checks
        // neither against the other): the reservation only sets capacity aside for the
        // scheduler, the limit caps the container. A memory reservation above the memory limit
        // is refused here, where Docker accepts the spec and the engine then rejects every task
        // ("Minimum memory limit can not be less than memory reservation limit").
        if self.limits.memory_bytes > 0 && self.reservations.memory_bytes > self.limits.memory_bytes
        {
            return Err(SpecError::new(
                "--reserve-memory",
                format_memory(self.reservations.memory_bytes),
                format!(
                    "reservation is larger than the limit --limit-memory {}",
                    format_memory(self.limits.memory_bytes)
                ),
                "lower --reserve-memory or raise --limit-memory",
            ));
        }
        Ok(())
    }
}

fn show(v: i64, cpu: bool) -> String {
    if cpu {
        format_cpu(v)
    } else {
        format_memory(v)
    }
}

/// Parses a CPU amount such as `0.5`, `2` or `1.25` into nano-CPUs (`field` names the flag in errors).
pub fn parse_cpu(field: &str, value: &str) -> Result<i64, SpecError> {
    let bad = |reason: &str| {
        SpecError::new(
            field,
            value,
            reason,
            "give a decimal number of CPUs such as 0.5 or 2",
        )
    };
    let v = value.trim();
    if v.is_empty() {
        return Err(bad("empty CPU amount"));
    }
    let (int_part, frac_part) = match v.split_once('.') {
        Some((i, f)) => (i, f),
        None => (v, ""),
    };
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
        || (int_part.is_empty() && frac_part.is_empty())
    {
        return Err(bad("not a non-negative decimal number"));
    }
    if frac_part.len() > 9 {
        return Err(bad("more than 9 decimal places"));
    }
    let int: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| bad("number too large"))?
    };
    let mut frac: i64 = 0;
    if !frac_part.is_empty() {
        frac = frac_part.parse().map_err(|_| bad("not a number"))?;
        frac *= 10i64.pow(9 - frac_part.len() as u32);
    }
    int.checked_mul(NANO_CPUS_PER_CPU)
        .and_then(|n| n.checked_add(frac))
        .ok_or_else(|| bad("number too large"))
}

/// Parses a memory amount such as `512M`, `1g`, `64MiB`, `1048576` or `1.5G` into bytes
/// (binary units, like docker: `k`=1024).
pub fn parse_memory(field: &str, value: &str) -> Result<i64, SpecError> {
    let bad = |reason: &str| {
        SpecError::new(
            field,
            value,
            reason,
            "give bytes or a number with a unit b, k, m, g or t (e.g. 512M, 1G)",
        )
    };
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    if num.is_empty() {
        return Err(bad("missing number"));
    }
    let mult: i64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(bad(&format!("unknown unit {unit:?}"))),
    };
    let bytes = if num.contains('.') {
        let f: f64 = num.parse().map_err(|_| bad("not a number"))?;
        let b = f * mult as f64;
        if !b.is_finite() || b > i64::MAX as f64 {
            return Err(bad("amount too large"));
        }
        b as i64
    } else {
        let n: i64 = num.parse().map_err(|_| bad("amount too large"))?;
        n.checked_mul(mult).ok_or_else(|| bad("amount too large"))?
    };
    Ok(bytes)
}

/// Formats nano-CPUs as a decimal CPU count (`500000000` → `0.5`).
pub fn format_cpu(nano: i64) -> String {
    let int = nano / NANO_CPUS_PER_CPU;
    let frac = (nano % NANO_CPUS_PER_CPU).abs();
    if frac == 0 {
        return int.to_string();
    }
    let s = format!("{frac:09}");
    format!("{int}.{}", s.trim_end_matches('0'))
}

/// Formats bytes with the largest binary unit that divides it (`536870912` → `512MiB`).
pub fn format_memory(bytes: i64) -> String {
    const UNITS: [(&str, i64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (name, size) in UNITS {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{name}", bytes / size);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_amounts() {
        assert_eq!(parse_cpu("--limit-cpu", "0.5").unwrap(), 500_000_000);
        assert_eq!(parse_cpu("--limit-cpu", "2").unwrap(), 2_000_000_000);
        assert_eq!(parse_cpu("--limit-cpu", ".25").unwrap(), 250_000_000);
        assert_eq!(
            parse_cpu("--limit-cpu", "1.000000001").unwrap(),
            1_000_000_001
        );
        let e = parse_cpu("--limit-cpu", "half").unwrap_err();
        assert_eq!(e.field, "--limit-cpu");
        assert_eq!(e.value, "half");
        assert!(e.to_string().contains("fix:"), "{e}");
        assert!(parse_cpu("--limit-cpu", "-1").is_err());
        assert!(parse_cpu("--limit-cpu", "").is_err());
        assert!(parse_cpu("--limit-cpu", "1.2.3").is_err());
    }

    #[test]
    fn memory_amounts() {
        assert_eq!(parse_memory("--reserve-memory", "512M").unwrap(), 512 << 20);
        assert_eq!(parse_memory("--reserve-memory", "1g").unwrap(), 1 << 30);
        assert_eq!(parse_memory("--reserve-memory", "64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_memory("--reserve-memory", "1024").unwrap(), 1024);
        assert_eq!(parse_memory("--reserve-memory", "1.5G").unwrap(), 3 << 29);
        let e = parse_memory("--reserve-memory", "12X").unwrap_err();
        assert!(e.reason.contains("unknown unit"), "{e}");
        assert!(parse_memory("--reserve-memory", "M").is_err());
        assert!(parse_memory("--reserve-memory", "99999999999T").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        assert_eq!(format_cpu(500_000_000), "0.5");
        assert_eq!(format_cpu(2_000_000_000), "2");
        assert_eq!(format_memory(512 << 20), "512MiB");
        assert_eq!(format_memory(1000), "1000B");
    }

    #[test]
    fn memory_reservation_above_limit_is_refused_cpu_is_not() {
        let mut r = ResourceRequirements::default();
        r.reservations.memory_bytes = 1 << 30;
        r.limits.memory_bytes = 512 << 20;
        let e = r.validate().unwrap_err();
        assert_eq!(e.field, "--reserve-memory");
        assert!(e.reason.contains("--limit-memory 512MiB"), "{e}");
        r.limits.memory_bytes = 0; // no limit: any reservation is fine
        r.validate().unwrap();
        // The book's chapter 7: --reserve-cpu .75 --limit-cpu .5 is accepted, as by Docker.
        r.reservations.nano_cpus = 750_000_000;
        r.limits.nano_cpus = 500_000_000;
        r.validate().unwrap();
    }
}
