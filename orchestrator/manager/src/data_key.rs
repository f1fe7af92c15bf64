//! The cluster data key that seals secret values, and the unlock key that wraps it under
//! `--autolock` (pure apart from the random source).
//!
//! Both are 256-bit AES-GCM keys (ring's `AES_256_GCM`, random 96-bit nonces). A secret's
//! value is sealed with the secret's id as associated data, so a sealed blob cannot be moved
//! to another secret. The unlock key is shown to the operator as `SWMKEY-1-<base64>` (docker's
//! prefix); the data key wrapped by it is replicated in the cluster state, so a restarted
//! manager learns it from its own log and stays locked until it is given the unlock key.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use swarm_api::secret::Sealed;

use base64::Engine as _;

/// What the unlock key starts with (as docker's).
pub const UNLOCK_PREFIX: &str = "SWMKEY-1-";

/// A 256-bit key. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub [u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Sealing or opening failed (wrong key, or the blob was changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed: wrong key or damaged data")]
pub struct CryptoError;

impl Key {
    /// A fresh random key.
    pub fn random() -> Key {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .expect("the system random source works");
        Key(k)
    }

    /// From raw bytes (e.g. a joining manager's copy); `None` unless 32 bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Key> {
        b.try_into().ok().map(Key)
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("32-byte key"))
    }

    /// Encrypts `plain`, bound to `aad`.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system random source works");
        let mut buf = plain.to_vec();
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .expect("sealing cannot fail for in-memory data");
        Sealed {
            nonce: nonce.to_vec(),
            ciphertext: buf,
        }
    }

    /// Decrypts what [`Key::seal`] made with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &Sealed) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError)?;
        let mut buf = sealed.ciphertext.clone();
        let plain = self
            .aead()
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| CryptoError)?;
        Ok(plain.to_vec())
    }

    /// The unlock-key text shown to the operator.
    pub fn to_unlock_text(&self) -> String {
        format!(
            "{UNLOCK_PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.0)
        )
    }

    /// Parses an unlock key as typed (surrounding white space ignored).
    pub fn from_unlock_text(text: &str) -> Option<Key> {
        let b64 = text.trim().strip_prefix(UNLOCK_PREFIX)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .ok()?;
        Key::from_bytes(&bytes)
    }
}

/// The associated data of a wrapped data key.
pub const WRAP_AAD: &[u8] = b"swarmd data key";
/// The associated data of the unlock key sealed with the data key.
pub const UNLOCK_AAD: &[u8] = b"swarmd unlock key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let k = Key::random();
        let s = k.seal(b"id1", b"hunter2");
        assert!(!s.ciphertext.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(b"id1", &s).unwrap(), b"hunter2");
        assert_eq!(k.open(b"id2", &s), Err(CryptoError), "bound to its id");
        assert_eq!(
            Key::random().open(b"id1", &s),
            Err(CryptoError),
            "wrong key"
        );
        let mut bad = s.clone();
        bad.ciphertext[0] ^= 1;
        assert_eq!(k.open(b"id1", &bad), Err(CryptoError), "tampered");
        assert_ne!(k.seal(b"id1", b"x").nonce, k.seal(b"id1", b"x").nonce);
    }

    #[test]
    fn unlock_text_round_trip() {
        let k = Key::random();
        let t = k.to_unlock_text();
        assert!(t.starts_with("SWMKEY-1-"));
        assert_eq!(Key::from_unlock_text(&format!(" {t}\n")), Some(k));
        assert_eq!(Key::from_unlock_text("SWMKEY-1-short"), None);
        assert_eq!(Key::from_unlock_text("nope"), None);
        assert!(!format!("{:?}", Key::random()).contains(|c: char| c.is_ascii_digit()));
    }
}
