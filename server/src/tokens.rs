//! Secret tokens: generated with enough entropy that one SHA-256 is the right hash
//! to store (no password stretching needed), compared in constant time.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a secret token lets its holder do, for one shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The shop's back office: records purchases.
    BackOffice,
    /// The shop's owners: read reports.
    Owner,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::BackOffice => "back_office",
            TokenKind::Owner => "owner",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            TokenKind::BackOffice => "sk_",
            TokenKind::Owner => "ot_",
        }
    }
}

/// A new random secret: `prefix` and 256 random bits in hex (tokens, the widget
/// secret, webhook secrets).
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// A new random token: a kind prefix and 256 random bits in hex.
pub fn generate_token(kind: TokenKind) -> String {
    random_secret(kind.prefix())
}

/// A new random public key for the widget (identifies a shop; grants no reading).
pub fn generate_public_key() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("pk_{}", hex::encode(bytes))
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `presented` hashes to one of `stored`, comparing every candidate in
/// constant time so timing tells nothing about how close a guess was.
pub fn token_matches(presented: &str, stored: &[Vec<u8>]) -> bool {
    let hash = hash_token(presented);
    stored.iter().fold(false, |found, candidate| {
        found | bool::from(candidate.as_slice().ct_eq(&hash))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_match_only_their_hash() {
        let a = generate_token(TokenKind::Owner);
        let b = generate_token(TokenKind::Owner);
        assert!(a.starts_with("ot_") && a.len() == 3 + 64);
        assert_ne!(a, b);
        let stored = vec![hash_token(&a)];
        assert!(token_matches(&a, &stored));
        assert!(!token_matches(&b, &stored));
        assert!(!token_matches("", &stored));
        assert!(!token_matches(&a, &[]));
    }
}
