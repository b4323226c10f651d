//! The widget's reading of a loyalty status (a [`kept_shared::LoyaltyStatus`] as
//! the server writes it): what the card shows, in the visitor's language. The
//! status is cached as the text the server sent, so an offline card needs no
//! writing of it either.

use kept_shared::json::{Json, JsonError};
use kept_shared::loyalty::progress_percent;
use kept_shared::survey::find_locale;

#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyView {
    pub points: u64,
    /// The tier's name in the visitor's language (else the shop's default name).
    pub tier: String,
    /// The tier as the shop names it by default (stable, for the page's tests and styles).
    pub tier_id: String,
    /// How far to the next tier, in percent.
    pub progress: u64,
    /// The next tier's name and the points still needed, unless at the top.
    pub next: Option<(String, u64)>,
    /// When the server computed it (RFC 3339).
    pub as_of: String,
}

/// A name in `locale` from `labels` (exact, then the language), else `default`
/// — [`kept_shared::LoyaltyStatus::tier_name`]'s rule.
fn name_in(labels: Option<&Json>, locale: &str, default: &str) -> String {
    labels
        .and_then(|l| find_locale(|k| l.get(k), locale, None))
        .and_then(Json::as_str)
        .unwrap_or(default)
        .to_string()
}

impl LoyaltyView {
    pub fn read(text: &str, locale: &str) -> Result<LoyaltyView, JsonError> {
        let v = Json::parse(text)?;
        let points: u64 = v.field("points")?;
        let tier_id: String = v.field("tier")?;
        let tier_min: u64 = v.field("tier_min_points")?;
        let next = match v.get("next_tier") {
            None | Some(Json::Null) => None,
            Some(n) => {
                let name: String = n.field("name")?;
                Some((
                    name_in(n.get("labels"), locale, &name),
                    n.field::<u64>("min_points")?,
                    n.field::<u64>("points_needed")?,
                ))
            }
        };
        Ok(LoyaltyView {
            points,
            tier: name_in(v.get("tier_labels"), locale, &tier_id),
            progress: progress_percent(points, tier_min, next.as_ref().map(|n| n.1)),
            next: next.map(|(name, _, needed)| (name, needed)),
            as_of: v.field("as_of")?,
            tier_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use kept_shared::{LoyaltyStatus, NextTier};

    use super::*;

    #[test]
    fn the_card_reads_what_the_server_writes_as_the_server_reads_it() {
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let statuses = [
            LoyaltyStatus {
                customer_ref: "dave".into(),
                points: 550,
                tier: "Silver".into(),
                tier_labels: labels(&[("uk", "Срібло"), ("ru", "Серебро")]),
                tier_min_points: 500,
                next_tier: Some(NextTier {
                    name: "Gold".into(),
                    labels: labels(&[("uk", "Золото")]),
                    min_points: 2000,
                    points_needed: 1450,
                }),
                as_of: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
            },
            LoyaltyStatus {
                customer_ref: "carol".into(),
                points: 2400,
                tier: "Gold".into(),
                tier_labels: BTreeMap::new(),
                tier_min_points: 2000,
                next_tier: None,
                as_of: Utc.timestamp_opt(1_764_331_200, 5_000_000).unwrap(),
            },
        ];
        for s in &statuses {
            let text = serde_json::to_string(s).unwrap();
            for locale in ["uk-UA", "ru", "en", "de"] {
                let v = LoyaltyView::read(&text, locale).unwrap();
                assert_eq!(v.points, s.points);
                assert_eq!(v.tier, s.tier_name(locale), "{locale}");
                assert_eq!(v.tier_id, s.tier);
                assert_eq!(v.progress, s.progress_percent());
                assert_eq!(
                    v.next,
                    s.next_tier
                        .as_ref()
                        .map(|n| (n.name_for(locale).to_string(), n.points_needed))
                );
                assert_eq!(
                    v.as_of,
                    serde_json::to_value(s.as_of).unwrap().as_str().unwrap()
                );
            }
        }
        assert!(LoyaltyView::read("{}", "en").is_err());
    }
}
