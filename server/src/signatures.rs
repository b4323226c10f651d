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
//!
//! Kept signs too, for the pages it serves for a while (a personal link's),
//! with a signature that holds until a time ([`sign_until`]): of the same shape
//! (64 hex digits, so the widget and the API take it as any), its first 8 the
//! time in Unix seconds and the other 56 the first 224 bits of HMAC-SHA256 of
//! `{prefix}{ref}\nuntil:{time}`. A page copied from a link, or forwarded, then
//! stops speaking for the customer once its time is past.

use chrono::{DateTime, Utc};
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

/// Hex digits of a signature's time, in [`sign_until`]'s: Unix seconds as a
/// `u32`, until 2106.
const UNTIL_HEX: usize = 8;

fn mac_until(secret: &str, what: Signed, reference: &str, until: &str) -> Hmac<Sha256> {
    hmac_sha256(
        secret,
        &[
            what.prefix().as_bytes(),
            reference.as_bytes(),
            b"\nuntil:",
            until.as_bytes(),
        ],
    )
}

/// A signature of `reference` by Kept that holds until `until` (module doc).
pub fn sign_until(secret: &str, what: Signed, reference: &str, until: DateTime<Utc>) -> String {
    let until = format!(
        "{:08x}",
        u32::try_from(until.timestamp().max(0)).unwrap_or(u32::MAX)
    );
    let mac = mac_until(secret, what, reference, &until)
        .finalize()
        .into_bytes();
    let kept = (kept_shared::limits::SIGNATURE_HEX_CHARS - UNTIL_HEX) / 2;
    format!("{until}{}", hex::encode(&mac[..kept]))
}

/// Whether `signature` is the shop's for `reference`, or Kept's that holds
/// now ([`sign_until`]), compared in constant time. A shop without a secret
/// verifies nothing.
pub fn verify(secret: &str, what: Signed, reference: &str, signature: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    // Whole signatures only: a short one, read as one that holds until a
    // time, would be a tag of a byte or two, found by trying them all (the
    // loyalty and plan routes take a signature of any length).
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    if bytes.len() != kept_shared::limits::SIGNATURE_HEX_CHARS / 2 {
        return false;
    }
    if mac(secret, what, reference).verify_slice(&bytes).is_ok() {
        return true;
    }
    // Read as one that holds until a time (the odds that the shop's own
    // signature of a reference reads so are 2^-224).
    let Some(until) = signature.get(..UNTIL_HEX) else {
        return false;
    };
    let holds =
        u32::from_str_radix(until, 16).is_ok_and(|t| i64::from(t) >= Utc::now().timestamp());
    holds
        && mac_until(secret, what, reference, &until.to_ascii_lowercase())
            .verify_truncated_left(&bytes[UNTIL_HEX / 2..])
            .is_ok()
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

    /// Kept's signature for a while (a personal link's page): of the shape
    /// of any, it verifies for its reference and kind until its time, and
    /// not after; the shop's own never stops.
    #[test]
    fn a_signature_until_a_time_holds_until_then() {
        let secret = generate_widget_secret();
        let later = Utc::now() + chrono::Duration::minutes(5);
        let sig = sign_until(&secret, Signed::Customer, "cust-42", later);
        assert!(kept_shared::validate::validate_signature("customer_sig", &sig).is_ok());
        assert!(verify(&secret, Signed::Customer, "cust-42", &sig));
        assert!(verify(
            &secret,
            Signed::Customer,
            "cust-42",
            &sig.to_uppercase()
        ));
        assert!(!verify(&secret, Signed::Customer, "cust-43", &sig));
        assert!(!verify(&secret, Signed::Order, "cust-42", &sig));
        assert!(!verify(
            &generate_widget_secret(),
            Signed::Customer,
            "cust-42",
            &sig
        ));
        // Another time written in its place is not the signature.
        let moved = format!("{:08x}{}", later.timestamp() + 86_400, &sig[8..]);
        assert!(!verify(&secret, Signed::Customer, "cust-42", &moved));
        // Cut short, or longer: not a signature, whatever its bytes (a tag of
        // one byte had verified once in 256 tries).
        let until = &sig[..8];
        let forged_by_trying = (0..=255u8)
            .filter(|b| {
                verify(
                    &secret,
                    Signed::Customer,
                    "cust-42",
                    &format!("{until}{b:02x}"),
                )
            })
            .count();
        assert_eq!(forged_by_trying, 0);
        assert!(!verify(&secret, Signed::Customer, "cust-42", &sig[..62]));
        assert!(!verify(
            &secret,
            Signed::Customer,
            "cust-42",
            &format!("{sig}00")
        ));
        let past = Utc::now() - chrono::Duration::seconds(2);
        let expired = sign_until(&secret, Signed::Customer, "cust-42", past);
        assert!(!verify(&secret, Signed::Customer, "cust-42", &expired));
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
