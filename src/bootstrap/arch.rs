//! The swarmd binaries to install, by CPU architecture: a Graviton group (arm64) needs an
//! aarch64 build, an x86 group an x86_64 one. Each binary's architecture is read from its ELF
//! header; each host's from `uname -m` in the probe. A host whose architecture has no binary is
//! refused before anything is installed, naming the host, both architectures and the fix.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::BootstrapError;

/// The architecture an ELF executable is built for, as `uname -m` names it (pure).
pub fn elf_arch(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    // e_machine: 2 bytes at offset 18, in the file's byte order (EI_DATA: 1 little, 2 big).
    let m = [bytes[18], bytes[19]];
    let machine = match bytes[5] {
        2 => u16::from_be_bytes(m),
        _ => u16::from_le_bytes(m),
    };
    match machine {
        62 => Some("x86_64"),
        183 => Some("aarch64"),
        _ => None,
    }
}

/// `uname -m` output in the names [`elf_arch`] uses (pure).
pub fn normalize_arch(uname: &str) -> String {
    match uname.trim() {
        "arm64" => "aarch64".into(),
        "amd64" => "x86_64".into(),
        other => other.to_string(),
    }
}

/// The SHA-256 of `bytes`, lower-case hex (pure).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One binary ready to upload.
#[derive(Debug, Clone)]
pub struct Binary {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Arc<Vec<u8>>,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The binaries by architecture; the first one given is the default for hosts whose
/// architecture is unknown.
#[derive(Debug, Clone)]
pub struct Binaries {
    default: Binary,
    by_arch: BTreeMap<String, Binary>,
}

impl Binaries {
    /// Reads `paths` (the first is the default).
    pub async fn load(paths: &[PathBuf]) -> Result<Self, BootstrapError> {
        let mut loaded = Vec::new();
        for path in paths {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|source| BootstrapError::Binary {
                    path: path.clone(),
                    source,
                })?;
            loaded.push((path.clone(), bytes));
        }
        Ok(Self::from_bytes(loaded))
    }

    /// [`Binaries::load`] for bytes already read (pure). Panics on an empty list.
    pub fn from_bytes(loaded: Vec<(PathBuf, Vec<u8>)>) -> Self {
        let mut by_arch = BTreeMap::new();
        let mut default = None;
        for (path, bytes) in loaded {
            let sha256 = sha256_hex(&bytes);
            let arch = elf_arch(&bytes);
            let b = Binary {
                path,
                bytes: Arc::new(bytes),
                sha256,
            };
            if let Some(a) = arch {
                by_arch.entry(a.to_string()).or_insert_with(|| b.clone());
            }
            default.get_or_insert(b);
        }
        Binaries {
            default: default.expect("at least one swarmd binary"),
            by_arch,
        }
    }

    /// Every build with a known architecture (`uname -m` name, binary), in name order.
    pub fn by_arch(&self) -> impl Iterator<Item = (&str, &Binary)> {
        self.by_arch.iter().map(|(a, b)| (a.as_str(), b))
    }

    /// The binary for a host that reported `arch` (`uname -m`; empty when unknown).
    #[allow(clippy::result_large_err)] // the bootstrap's one error type, as everywhere in it
    pub fn for_host(&self, host: &str, arch: &str) -> Result<&Binary, BootstrapError> {
        let arch = normalize_arch(arch);
        if arch.is_empty() || self.by_arch.is_empty() {
            return Ok(&self.default);
        }
        self.by_arch
            .get(&arch)
            .ok_or_else(|| BootstrapError::Remote {
                host: host.to_string(),
                step: "pick the swarmd binary".into(),
                detail: format!(
                    "the host is {arch}, and swarmd is built for {} only; build it for {arch} \
                 (e.g. `cargo build --release -p swarmd --target {arch}-unknown-linux-gnu`) and \
                 give both builds as SWARMD_BIN=/path/to/x86_64/swarmd:/path/to/{arch}/swarmd",
                    self.by_arch.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(machine: u16) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // 64-bit
        b[5] = 1; // little endian
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b
    }

    #[test]
    fn elf_headers_name_the_architecture() {
        assert_eq!(elf_arch(&elf(62)), Some("x86_64"));
        assert_eq!(elf_arch(&elf(183)), Some("aarch64"));
        assert_eq!(elf_arch(&elf(40)), None, "32-bit ARM is not supported");
        assert_eq!(elf_arch(b"#!/bin/sh\necho hi\n"), None);
        let this = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(elf_arch(&this), Some(std::env::consts::ARCH));
    }

    #[test]
    fn hosts_get_the_binary_of_their_architecture_or_a_clear_error() {
        let bins = Binaries::from_bytes(vec![
            (PathBuf::from("x86/swarmd"), elf(62)),
            (PathBuf::from("arm/swarmd"), elf(183)),
        ]);
        assert_eq!(
            bins.for_host("i-1", "arm64\n").unwrap().path,
            PathBuf::from("arm/swarmd")
        );
        assert_eq!(
            bins.for_host("i-2", "x86_64").unwrap().path,
            PathBuf::from("x86/swarmd")
        );
        assert_eq!(
            bins.for_host("i-3", "").unwrap().path,
            PathBuf::from("x86/swarmd"),
            "unknown: the first one"
        );

        let only_x86 = Binaries::from_bytes(vec![(PathBuf::from("swarmd"), elf(62))]);
        let e = only_x86.for_host("i-9", "aarch64").unwrap_err().to_string();
        assert!(
            e.contains("i-9") && e.contains("aarch64") && e.contains("x86_64 only"),
            "{e}"
        );
        assert!(e.contains("SWARMD_BIN="), "{e}");
    }
}
