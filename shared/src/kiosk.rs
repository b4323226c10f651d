//! Stores, kiosk tablets and their setup: what the kiosk app, the owner and the
//! server say to each other about them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::field_problem::{FieldProblem, Unit};
use crate::limits::{MAX_NAME_CHARS, MAX_PIN_DIGITS, MAX_VERSION_CHARS, MIN_PIN_DIGITS};

/// A shop's store (location): kiosk answers and purchases name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub id: String,
    pub name: String,
}

/// `PUT …/stores/{id}`: a store's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreName {
    pub name: String,
}

/// `PUT …/kiosk-pin`: the PIN staff type to set up or leave a kiosk; `null`
/// removes it (kiosks then run with the page's settings, and cannot be set up).
/// Only an explicit `null` removes it: a body without `pin`, or with a
/// misspelt field, is refused rather than taken for a removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskPin {
    #[serde(deserialize_with = "Option::deserialize")]
    pub pin: Option<String>,
}

/// `POST /api/v1/widget/{public_key}/kiosk`: a tablet set up with the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSetupRequest {
    pub pin: String,
    /// The tablet's own id (a UUID it made once).
    pub device: String,
    /// The staff's language (the browser's): the surveys' titles are listed in it.
    #[serde(default)]
    pub locale: Option<String>,
}

/// What a tablet may be set up with, and its signed device id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSetup {
    /// The shop's signature of the device id: the tablet's proof in its reports.
    pub device_sig: String,
    pub stores: Vec<Store>,
    pub surveys: Vec<KioskSurveyChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSurveyChoice {
    pub id: String,
    /// "nps", "csat" or "churn_reason".
    pub kind: String,
    /// The question, in the staff's language where the survey has it.
    pub title: String,
    /// The question in each of the survey's languages: the setup form says
    /// it in the one the staff choose there.
    #[serde(default)]
    pub titles: std::collections::BTreeMap<String, String>,
}

/// `GET /api/v1/widget/{public_key}/links/{token}`: the respondent a kiosk
/// identified by the personal link on their receipt (its QR code), with the
/// shop's signatures the widget sends with the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskRespondent {
    pub survey: String,
    pub customer: String,
    pub customer_sig: String,
    pub order: String,
    pub order_sig: String,
    /// The link's survey is answered already for this order.
    pub answered: bool,
}

/// `POST /api/v1/widget/{public_key}/devices/{device}`: a tablet's report, sent
/// while it is online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// [`KioskSetup::device_sig`].
    pub sig: String,
    /// The kiosk app's version (the server's build it was loaded from).
    pub version: String,
    #[serde(default)]
    pub store: Option<String>,
    /// Answers waiting in the tablet's queue.
    pub pending: u32,
    /// When the widget last had a batch accepted (ms since the epoch).
    #[serde(default)]
    pub last_sync_ms: Option<i64>,
}

/// A kiosk tablet as the owner sees it (`GET …/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    pub store: Option<String>,
    pub version: String,
    pub pending: u32,
    /// When its queue was last known to be sent: the later of its last accepted
    /// batch and its last report with nothing pending.
    pub synced_at: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
    /// Not synced for `stale_after_hours` (or never): someone should look at it.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Devices {
    pub stale_after_hours: u32,
    pub devices: Vec<Device>,
}

/// A kiosk PIN: digits only (a tablet's number pad), [`MIN_PIN_DIGITS`] to [`MAX_PIN_DIGITS`].
pub fn validate_pin(pin: &str) -> Result<(), FieldProblem> {
    let digits = pin.len();
    if !pin.bytes().all(|b| b.is_ascii_digit())
        || !(MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&digits)
    {
        return Err(FieldProblem::Range {
            min: MIN_PIN_DIGITS as u64,
            max: MAX_PIN_DIGITS as u64,
            unit: Unit::Digits,
        });
    }
    Ok(())
}

/// A store's name as the owner types it: trimmed, not empty, at most
/// [`MAX_NAME_CHARS`] characters, no control characters.
pub fn validate_store_name(name: &str) -> Result<String, FieldProblem> {
    if let Some(problem) = FieldProblem::of_length(name, MAX_NAME_CHARS) {
        return Err(problem);
    }
    let name = name.trim();
    if name.chars().any(crate::settings::is_control_or_override) {
        return Err(FieldProblem::ControlCharacters);
    }
    Ok(name.to_string())
}

/// A kiosk app's version as a tablet reports it.
pub fn validate_version(version: &str) -> Result<(), String> {
    let ok = !version.is_empty()
        && version.len() <= MAX_VERSION_CHARS
        && version.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "version must be 1 to {MAX_VERSION_CHARS} printable ASCII characters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_to_twelve_digits() {
        for ok in ["123456", "000000", "123456789012"] {
            assert_eq!(validate_pin(ok), Ok(()), "{ok}");
        }
        for bad in ["", "12345", "1234567890123", "12a456", " 123456", "١٢٣٤٥٦"] {
            assert!(validate_pin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn store_names_are_trimmed_and_bounded() {
        assert_eq!(
            validate_store_name("  Main street ").as_deref(),
            Ok("Main street")
        );
        assert!(validate_store_name("   ").is_err());
        assert!(validate_store_name("a\u{7}b").is_err());
        assert!(validate_store_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(validate_version("0.1.0-3f2a9c41"), Ok(()));
        assert!(validate_version("a b").is_err());
        assert!(validate_version("").is_err());
    }
}
