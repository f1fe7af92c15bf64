//! Join tokens in swarm format: `SWMTKN-1-<CA fingerprint>-<secret>`.
//!
//! The fingerprint is the SHA-256 of the root CA certificate (DER) in base 36, so a joining node can
//! pin the CA before it sends anything. The secret is 25 random base-36 characters. Parsing and
//! formatting are pure; `Debug` never shows the secret.

use std::fmt;

/// Prefix and version of every token.
pub const PREFIX: &str = "SWMTKN-1-";

/// A parsed join token.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinToken {
    /// Base-36 SHA-256 of the CA certificate.
    pub fingerprint: String,
    /// The secret. Never log it.
    pub secret: String,
}

/// Why a token string is not a valid token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Wrong prefix or version.
    #[error("invalid join token: it must start with {PREFIX} (copy it from `swarmd join-token`)")]
    Prefix,
    /// Missing or malformed parts.
    #[error("invalid join token: expected SWMTKN-1-<fingerprint>-<secret> with base-36 parts")]
    Format,
}

impl JoinToken {
    /// Parses `SWMTKN-1-<fp>-<secret>`.
    pub fn parse(s: &str) -> Result<Self, TokenError> {
        let rest = s.trim().strip_prefix(PREFIX).ok_or(TokenError::Prefix)?;
        let (fp, secret) = rest.split_once('-').ok_or(TokenError::Format)?;
        let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok(fp) || !ok(secret) || fp.len() < 40 || secret.len() < 16 {
            return Err(TokenError::Format);
        }
        Ok(JoinToken {
            fingerprint: fp.to_ascii_lowercase(),
            secret: secret.to_ascii_lowercase(),
        })
    }

    /// Formats the token for the user (this prints the secret: only for authorised callers).
    pub fn reveal(&self) -> String {
        format!("{PREFIX}{}-{}", self.fingerprint, self.secret)
    }
}

impl fmt::Debug for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}-<redacted>", self.fingerprint)
    }
}

/// Encodes bytes as a base-36 number (lowercase), left-padded to `width`.
pub fn base36(bytes: &[u8], width: usize) -> String {
    let mut digits: Vec<u8> = Vec::new();
    let mut num: Vec<u8> = bytes.to_vec();
    while num.iter().any(|&b| b != 0) {
        let mut rem: u32 = 0;
        for b in num.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 36) as u8;
            rem = acc % 36;
        }
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[rem as usize]);
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// The CA fingerprint used in tokens: base-36 SHA-256 of the DER certificate, 50 characters.
pub fn fingerprint(ca_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, ca_der);
    base36(digest.as_ref(), 50)
}

/// Compares two secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_redaction() {
        let t = JoinToken {
            fingerprint: fingerprint(b"ca"),
            secret: "abcdefghijklmnopqrstuvwxy".into(),
        };
        let s = t.reveal();
        assert!(s.starts_with("SWMTKN-1-"));
        assert_eq!(JoinToken::parse(&s).unwrap(), t);
        assert!(!format!("{t:?}").contains("abcdefghij"));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(JoinToken::parse("SWMTKN-2-aa-bb"), Err(TokenError::Prefix));
        assert_eq!(
            JoinToken::parse("SWMTKN-1-nosecret"),
            Err(TokenError::Format)
        );
        assert_eq!(JoinToken::parse("SWMTKN-1-a-b"), Err(TokenError::Format));
    }

    #[test]
    fn base36_known_values() {
        assert_eq!(base36(&[35], 1), "z");
        assert_eq!(base36(&[1, 0], 3), "074");
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
    }
}
