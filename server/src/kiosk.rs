//! Kiosk tablets: the owner's PIN that sets them up, the build they run (its
//! version, and the files the kiosk's service worker keeps), and when one needs
//! looking at.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use kept_shared::Device;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::DeviceRecord;

/// How often a tablet reports while online, unless its page says otherwise.
pub const HEARTBEAT_SECONDS: u32 = 60;
/// Kiosk setups (PIN attempts) a shop may make: a burst of 10, then 5 a minute.
/// A six-digit PIN then takes months to guess, and a typo costs nothing.
pub const PIN_ATTEMPTS: crate::rate_limit::Quota = crate::rate_limit::Quota::new(5, 10);

/// The stored form of a PIN: SHA-256 of the shop and the PIN. A PIN is short;
/// the hash only keeps it out of sight in the database, the attempt limit is
/// what protects it.
pub fn pin_hash(shop_id: &str, pin: &str) -> Vec<u8> {
    Sha256::digest(format!("kiosk-pin:{shop_id}:{pin}")).to_vec()
}

pub fn pin_matches(shop_id: &str, pin: &str, stored: &[u8]) -> bool {
    bool::from(pin_hash(shop_id, pin).ct_eq(stored))
}

/// The build a kiosk runs: the server's version and the widget's files, which
/// the service worker keeps for offline starts. A new version (a new release, a
/// rebuilt widget) is a new service worker, which replaces the old cache.
#[derive(Debug, Clone, Default)]
pub struct KioskBuild {
    pub version: String,
    /// The widget's files, as paths under `/widget/`.
    pub widget_files: Vec<String>,
}

impl KioskBuild {
    /// Reads the names of the built widget's files in `dir` a kiosk runs
    /// (compressed copies and what only a shop's snippet loads left out).
    pub fn of_widget_dir(dir: Option<&Path>) -> KioskBuild {
        let mut names: Vec<String> = dir
            .and_then(|d| std::fs::read_dir(d).ok())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !crate::http::widget_files::is_compressed_twin(n))
            .filter(|n| n.ends_with(".js") || n.ends_with(".wasm"))
            .filter(|n| !crate::http::widget_files::only_for_shop_snippets(n))
            .collect();
        names.sort();
        // The hashed names change with the widget's content, kept.js with
        // its own; the server's version with each release.
        let mut hash = Sha256::new();
        hash.update(env!("CARGO_PKG_VERSION"));
        for asset in crate::pages::kiosk::ASSETS {
            hash.update(asset);
        }
        for n in &names {
            hash.update(n);
            if !crate::http::widget_files::has_content_hash(n)
                && let Some(bytes) = dir.and_then(|d| std::fs::read(d.join(n)).ok())
            {
                hash.update(bytes);
            }
        }
        KioskBuild {
            version: format!(
                "{}-{}",
                env!("CARGO_PKG_VERSION"),
                &hex::encode(hash.finalize())[..12]
            ),
            widget_files: names.into_iter().map(|n| format!("/widget/{n}")).collect(),
        }
    }
}

/// Whether a tablet needs looking at: its queue not known to be sent for
/// `stale_after_hours` (or ever).
pub fn device_view(d: DeviceRecord, stale_after_hours: u32, now: DateTime<Utc>) -> Device {
    let stale = d
        .synced_at
        .is_none_or(|t| now - t > Duration::hours(i64::from(stale_after_hours)));
    Device {
        id: d.id,
        store: d.store,
        version: d.version,
        pending: d.pending,
        synced_at: d.synced_at,
        last_seen_at: d.last_seen_at,
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_matches_only_itself_in_its_own_shop() {
        let stored = pin_hash("demo", "246810");
        assert!(pin_matches("demo", "246810", &stored));
        assert!(!pin_matches("demo", "246811", &stored));
        assert!(!pin_matches("other", "246810", &stored));
    }

    #[test]
    fn a_rebuilt_widget_is_a_new_kiosk_version_and_its_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("kept.js", "loader"),
            ("kept-shop.js", "the shop's loader"),
            ("kept-full.0123456789abcdef.js", "the whole loader, for it"),
            ("kept-widget.0123456789abcdef.js", "glue"),
            ("kept-widget_bg.0123456789abcdef.wasm", "wasm"),
            ("kept-widget_bg.0123456789abcdef.wasm.br", "compressed"),
            ("index.html", "not the widget's"),
        ] {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let before = KioskBuild::of_widget_dir(Some(dir.path()));
        assert_eq!(
            before.widget_files,
            [
                "/widget/kept-widget.0123456789abcdef.js",
                "/widget/kept-widget_bg.0123456789abcdef.wasm",
                "/widget/kept.js"
            ]
        );
        assert!(before.version.starts_with(env!("CARGO_PKG_VERSION")));
        // The same build: the same version; a loader changed in place: a new one.
        assert_eq!(
            KioskBuild::of_widget_dir(Some(dir.path())).version,
            before.version
        );
        std::fs::write(dir.path().join("kept.js"), "loader 2").unwrap();
        assert_ne!(
            KioskBuild::of_widget_dir(Some(dir.path())).version,
            before.version
        );
    }

    #[test]
    fn a_device_is_stale_when_not_synced_within_the_hours_asked() {
        let now = Utc::now();
        let device = |synced_at| DeviceRecord {
            id: "tablet".into(),
            store: None,
            version: "v".into(),
            pending: 0,
            synced_at,
            last_seen_at: now,
        };
        assert!(!device_view(device(Some(now - Duration::hours(3))), 4, now).stale);
        assert!(device_view(device(Some(now - Duration::hours(5))), 4, now).stale);
        assert!(device_view(device(None), 4, now).stale);
    }
}
