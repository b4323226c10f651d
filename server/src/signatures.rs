//! Verified customers and orders, as Intercom's identity verification does it:
//! the shop's back office signs a customer reference or an order reference with
//! the shop's widget secret, and puts the signature in the page
//! (`data-customer-sig`, `data-order-sig`). Only the shop's server and Kept know
//! the secret, so a signature proves that the shop itself put the reference
//! there, not a visitor guessing other people's references.
//!
//! The signature is HMAC-SHA256 in hex (lowercase; capitals read the same) of
//! `customer:{ref}` or `order:{ref}`: the prefix keeps a customer's signature
//! from passing as an order's where the two references happen to be equal.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a signature vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    Customer,
    Order,
    /// A kiosk tablet's id, signed by Kept when the tablet is set up with the PIN.
    Device,
}

impl Signed {
    fn prefix(self) -> &'static str {
        match self {
            Signed::Customer => "customer:",
            Signed::Order => "order:",
            Signed::Device => "device:",
        }
    }
}

/// HMAC-SHA256 under `key` of the concatenated `parts` (the widget's
/// signatures here, the webhooks' in `webhooks.rs`).
pub fn hmac_sha256(key: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    for part in parts {
        mac.update(part);
    }
    mac
}

fn mac(secret: &str, what: Signed, reference: &str) -> Hmac<Sha256> {
    hmac_sha256(secret, &[what.prefix().as_bytes(), reference.as_bytes()])
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

/// `reference` when it comes with the shop's signature of it, else `None`: the
/// one check behind verified answers, the plan's server-side verdicts and the
/// loyalty status.
pub fn signed<'a>(
    secret: &str,
    what: Signed,
    reference: Option<&'a str>,
    signature: Option<&str>,
) -> Option<&'a str> {
    match (reference, signature) {
        (Some(r), Some(s)) if verify(secret, what, r, s) => Some(r),
        _ => None,
    }
}

/// A new widget secret: `ws_` and 256 random bits in hex.
pub fn generate_widget_secret() -> String {
    crate::tokens::random_secret("ws_")
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
        assert_eq!(
            signed(&secret, Signed::Customer, Some("cust-42"), Some(&sig)),
            Some("cust-42")
        );
        assert_eq!(signed(&secret, Signed::Customer, None, Some(&sig)), None);
        assert_eq!(
            signed(&secret, Signed::Customer, Some("cust-42"), None),
            None
        );
    }
}
