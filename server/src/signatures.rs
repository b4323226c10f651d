//! Verified customers and orders, as Intercom's identity verification does it:
//! the shop's back office signs a customer reference or an order reference with
//! the shop's widget secret, and puts the signature in the page
//! (`data-customer-sig`, `data-order-sig`). Only the shop's server and Kept know
//! the secret, so a signature proves that the shop itself put the reference
//! there, not a visitor guessing other people's references.
//!
//! The signature is HMAC-SHA256 in lowercase hex of `customer:{ref}` or
//! `order:{ref}`: the prefix keeps a customer's signature from passing as an
//! order's where the two references happen to be equal.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What a signature vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    Customer,
    Order,
}

impl Signed {
    fn prefix(self) -> &'static str {
        match self {
            Signed::Customer => "customer:",
            Signed::Order => "order:",
        }
    }
}

fn mac(secret: &str, what: Signed, reference: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(what.prefix().as_bytes());
    mac.update(reference.as_bytes());
    mac
}

/// The signature the shop's server puts in the page for `reference`.
pub fn sign(secret: &str, what: Signed, reference: &str) -> String {
    hex::encode(mac(secret, what, reference).finalize().into_bytes())
}

/// Whether `signature` is the shop's for `reference`, compared in constant
/// time. A shop without a secret verifies nothing.
pub fn verify(secret: &str, what: Signed, reference: &str, signature: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    mac(secret, what, reference).verify_slice(&bytes).is_ok()
}

/// Whether an optional reference comes with a valid signature.
pub fn verified(
    secret: &str,
    what: Signed,
    reference: Option<&str>,
    signature: Option<&str>,
) -> bool {
    matches!((reference, signature), (Some(r), Some(s)) if verify(secret, what, r, s))
}

/// A new widget secret: `ws_` and 256 random bits in hex.
pub fn generate_widget_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ws_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_example_signs_as_openssl_does() {
        // printf 'customer:cust-42' | openssl dgst -sha256 -hmac ws_example
        assert_eq!(
            sign("ws_example", Signed::Customer, "cust-42"),
            "774b2a3a95d031cc71cd361c5f5ab1724d1552204f34becb970a4428261df338"
        );
    }

    #[test]
    fn only_the_shops_signature_of_that_reference_verifies() {
        let secret = generate_widget_secret();
        let sig = sign(&secret, Signed::Customer, "cust-42");
        assert!(verify(&secret, Signed::Customer, "cust-42", &sig));
        assert!(!verify(&secret, Signed::Customer, "cust-43", &sig));
        assert!(!verify(&secret, Signed::Order, "cust-42", &sig));
        assert!(!verify(
            &generate_widget_secret(),
            Signed::Customer,
            "cust-42",
            &sig
        ));
        assert!(!verify(&secret, Signed::Customer, "cust-42", "zz"));
        assert!(!verify(
            "",
            Signed::Customer,
            "cust-42",
            &sign("", Signed::Customer, "cust-42")
        ));
        assert!(verified(
            &secret,
            Signed::Customer,
            Some("cust-42"),
            Some(&sig)
        ));
        assert!(!verified(&secret, Signed::Customer, None, Some(&sig)));
        assert!(!verified(&secret, Signed::Customer, Some("cust-42"), None));
    }
}
