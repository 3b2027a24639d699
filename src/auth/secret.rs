//! Opaque secrets (refresh tokens, API keys, invite links, visitor tokens): random, shown once,
//! stored only as a SHA-256 hash. They carry 256 bits of entropy, so a fast hash is enough.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new secret: `<prefix>_<43 url-safe characters>`.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored and looked up instead of the secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Random bytes for keys generated on first start.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = super::generate("ldk");
        let b = super::generate("ldk");
        assert!(a.starts_with("ldk_") && a.len() == 4 + 43);
        assert_ne!(a, b);
        assert_eq!(super::hash(&a), super::hash(&a));
        assert_ne!(super::hash(&a), super::hash(&b));
    }
}
