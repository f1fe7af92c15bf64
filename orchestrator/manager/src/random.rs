//! Randomness from the OS (ring): node ids and token secrets.

use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` with OS randomness.
fn fill(buf: &mut [u8]) {
    // The OS RNG failing is unrecoverable; there is nothing safe to fall back to.
    SystemRandom::new()
        .fill(buf)
        .unwrap_or_else(|_| panic!("the operating system's random number generator failed"));
}

/// A random 64-bit number.
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    u64::from_le_bytes(b)
}

/// A join-token secret: 128 random bits as 25 base-36 characters.
pub fn token_secret() -> String {
    let mut b = [0u8; 16];
    fill(&mut b);
    swarm_api::token::base36(&b, 25)
}

/// A cluster id: 64 random bits in base 36.
pub fn cluster_id() -> String {
    let mut b = [0u8; 8];
    fill(&mut b);
    swarm_api::token::base36(&b, 13)
}

/// A service or task id: 128 random bits as 25 base-36 characters (Docker's id shape).
pub fn object_id() -> String {
    token_secret()
}

/// Now, Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
