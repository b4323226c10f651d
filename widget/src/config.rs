//! The widget's configuration, from the `data-*` attributes of its script tag.

use kept_shared::Channel;
use kept_shared::validate::{validate_ref, validate_signature};

/// Default seconds the kiosk shows its thank-you screen before the next respondent.
pub const DEFAULT_KIOSK_THANKS_SECONDS: u32 = 6;
/// Default seconds without a touch after which a half-answered kiosk survey is discarded.
pub const DEFAULT_KIOSK_IDLE_SECONDS: u32 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Embedded in the shop's page.
    Inline,
    /// Full screen on an in-store tablet, one respondent after another.
    Kiosk,
    /// The page of a personal link (`/s/{token}`): inline, its answers on the link channel.
    Link,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WidgetConfig {
    /// Base URL of the Kept API, without a trailing slash.
    pub api: String,
    pub public_key: String,
    pub customer: Option<String>,
    pub order: Option<String>,
    /// The shop's signatures of `customer` and `order` (`data-customer-sig`,
    /// `data-order-sig`): sent with the answers and the loyalty request.
    pub customer_sig: Option<String>,
    pub order_sig: Option<String>,
    /// The store (location) the answers are given in (`data-store`: a kiosk's).
    pub store: Option<String>,
    pub locale: String,
    pub mode: Mode,
    pub kiosk_thanks_seconds: u32,
    pub kiosk_idle_seconds: u32,
    /// The owner's preview (`data-preview="true"`): nothing is queued, counted or
    /// remembered.
    pub preview: bool,
    /// Where to mount (`data-target`, a CSS selector); else right after the
    /// script tag.
    pub target: Option<String>,
}

impl WidgetConfig {
    /// The channel this widget's answers come by.
    pub fn channel(&self) -> Channel {
        match self.mode {
            Mode::Kiosk => Channel::Kiosk,
            Mode::Link => Channel::Link,
            Mode::Inline => Channel::Web,
        }
    }
}

/// Parses the attributes (names without `data-`). `api` comes filled in by the
/// loader with the script's origin, and `locale` with the browser's language
/// whenever a plan comes with them (a widget that only sends the queue shows no
/// text).
pub fn parse(attrs: &[(String, String)]) -> Result<WidgetConfig, String> {
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let public_key = get("key")
        .ok_or("data-key (the shop's public key) is missing")?
        .to_string();
    // The messages are written out, not formatted from the shared rules' errors:
    // that formatting machinery would cost the widget's download more than it says.
    let bad_ref = |name: &str| {
        String::from("data-") + name + " may hold only letters, digits and - _ . : @ (128 at most)"
    };
    validate_ref("data-key", &public_key).map_err(|_| bad_ref("key"))?;
    let api = get("api")
        .ok_or("data-api is missing")?
        .trim_end_matches('/')
        .to_string();
    if !(api.starts_with("https://") || api.starts_with("http://")) {
        return Err(String::from("data-api \"") + &api + "\" is not an http(s) URL");
    }
    let reference = |name: &str| -> Result<Option<String>, String> {
        get(name)
            .map(|v| {
                validate_ref(name, v)
                    .map(|_| v.to_string())
                    .map_err(|_| bad_ref(name))
            })
            .transpose()
    };
    let mode = match get("mode") {
        None | Some("inline") => Mode::Inline,
        Some("kiosk") => Mode::Kiosk,
        Some("link") => Mode::Link,
        Some(other) => {
            return Err(String::from("data-mode \"")
                + other
                + "\" is not \"inline\", \"kiosk\" or \"link\"");
        }
    };
    let seconds = |name: &str, default: u32| -> Result<u32, String> {
        match get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| String::from("data-") + name + " must be 1 to 3600 seconds"),
        }
    };
    let kiosk = mode == Mode::Kiosk;
    // A signature not written as one (a template left unfilled) is none: the
    // plan's warning says so in the console (server/src/plan.rs), and the
    // surveys for anyone are still asked, their answers unverified.
    let signature = |name: &str, signs: &str| -> Option<String> {
        get(signs)?;
        get(name)
            .filter(|v| validate_signature(name, v).is_ok())
            .map(str::to_string)
    };
    let customer_sig = signature("customer-sig", "customer");
    let order_sig = signature("order-sig", "order");
    // A kiosk serves strangers one after another: it carries a person's
    // reference only when the kiosk app identified them (their receipt's
    // signed link), for that respondent alone.
    let personal = |name: &str, sig: &Option<String>| -> Result<Option<String>, String> {
        if kiosk && sig.is_none() {
            Ok(None)
        } else {
            reference(name)
        }
    };
    Ok(WidgetConfig {
        customer: personal("customer", &customer_sig)?,
        order: personal("order", &order_sig)?,
        customer_sig,
        order_sig,
        api,
        public_key,
        store: reference("store")?,
        locale: get("locale").unwrap_or("en").to_string(),
        mode,
        kiosk_thanks_seconds: seconds("kiosk-thanks-seconds", DEFAULT_KIOSK_THANKS_SECONDS)?,
        kiosk_idle_seconds: seconds("kiosk-idle-seconds", DEFAULT_KIOSK_IDLE_SECONDS)?,
        preview: get("preview") == Some("true"),
        target: get("target").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_minimal_snippet_is_an_inline_widget_for_all_surveys() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "https://kept.example/"),
            ("locale", "uk-UA"),
        ]))
        .unwrap();
        assert_eq!(c.api, "https://kept.example");
        assert_eq!(
            (c.mode, c.customer, c.locale.as_str()),
            (Mode::Inline, None, "uk-UA")
        );
        assert_eq!(c.kiosk_idle_seconds, DEFAULT_KIOSK_IDLE_SECONDS);
    }

    #[test]
    fn all_options_are_read() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://127.0.0.1:8080"),
            ("customer", "alice"),
            ("order", "o-1"),
            ("kiosk-thanks-seconds", "2"),
        ]))
        .unwrap();
        assert_eq!(
            (
                c.customer.as_deref(),
                c.order.as_deref(),
                c.kiosk_thanks_seconds
            ),
            (Some("alice"), Some("o-1"), 2)
        );
    }

    #[test]
    fn a_kiosk_drops_personal_references() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("mode", "kiosk"),
            ("customer", "alice"),
        ]))
        .unwrap();
        assert_eq!((c.mode, c.customer), (Mode::Kiosk, None));
        // Identified by their receipt, with the shop's signatures: kept.
        let sig = "0f".repeat(32);
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("mode", "kiosk"),
            ("customer", "alice"),
            ("customer-sig", &sig),
            ("order", "o-1"),
        ]))
        .unwrap();
        assert_eq!((c.customer.as_deref(), c.order), (Some("alice"), None));
    }

    #[test]
    fn signatures_go_with_their_references() {
        let sig = "0f".repeat(32);
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("customer", "alice"),
            ("customer-sig", &sig),
            ("order-sig", &sig),
        ]))
        .unwrap();
        // An order's signature without the order signs nothing.
        assert_eq!(
            (c.customer_sig.as_deref(), c.order_sig),
            (Some(&*sig), None)
        );
        // One not written as a signature (a template left unfilled) is none:
        // the widget still shows, the plan's warning says why in the console.
        let unfilled = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("customer", "alice"),
            ("customer-sig", "{{sig}}"),
        ]))
        .unwrap();
        assert_eq!(
            (unfilled.customer.as_deref(), unfilled.customer_sig),
            (Some("alice"), None)
        );
        // In capitals, as some libraries write hex: kept.
        let upper = sig.to_uppercase();
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("customer", "alice"),
            ("customer-sig", &upper),
        ]))
        .unwrap();
        assert_eq!(c.customer_sig.as_deref(), Some(&*upper));
    }

    #[test]
    fn bad_snippets_say_what_is_wrong() {
        assert!(
            parse(&attrs(&[("api", "http://x")]))
                .unwrap_err()
                .contains("data-key")
        );
        assert!(
            parse(&attrs(&[("key", "pk"), ("api", "ftp://x")]))
                .unwrap_err()
                .contains("data-api")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("mode", "tv")
            ]))
            .unwrap_err()
            .contains("data-mode")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("customer", "a b")
            ]))
            .unwrap_err()
            .contains("data-customer")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("kiosk-idle-seconds", "0")
            ]))
            .unwrap_err()
            .contains("seconds")
        );
    }
}
