//! Every size limit of the product, in one place. The widget checks them before it
//! queues an answer and the server checks them again before it stores one.

/// Most answers one sync batch may carry (and at least one).
pub const MAX_BATCH_ANSWERS: usize = 100;
/// Most characters of a free-text answer (NPS reason, churn "other").
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most characters of a customer or order reference.
pub const MAX_REF_CHARS: usize = 128;
/// Longest a shop may keep free-text answers before they are deleted (days; 0
/// keeps them).
pub const MAX_TEXT_RETENTION_DAYS: u32 = 3650;
/// Characters of a reference's signature: HMAC-SHA256 in hex (written in
/// lowercase; read in either case).
pub const SIGNATURE_HEX_CHARS: usize = 64;
/// Most characters of a survey id or a shop id (reason codes are references: 128).
pub const MAX_ID_CHARS: usize = 64;
/// Largest request body the server reads, in bytes. A full batch of maximal
/// answers (100 × two 1000-character texts of up to 4 bytes a character) fits.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How far in the future an answer's client timestamp may be (clock skew).
pub const MAX_CLOCK_SKEW_HOURS: i64 = 24;
/// How old an answer may be when it reaches the server (a kiosk offline for weeks
/// still syncs; a tablet whose clock was reset to 1970 does not skew reports).
pub const MAX_ANSWER_AGE_DAYS: i64 = 365;
/// The largest purchase amount accepted, in minor units (a billion in currency).
pub const MAX_PURCHASE_CENTS: u64 = 100_000_000_000;
/// Most loyalty points a shop may give per whole currency unit spent.
pub const MAX_POINTS_PER_UNIT: u64 = 1_000;
/// Most points one customer may hold: far above any real programme, and below
/// 2^53, so every balance is exact as a JavaScript number.
pub const MAX_POINTS: u64 = 1_000_000_000_000_000;
/// The earliest and latest year a report or an import may name: dates outside are
/// typing mistakes, and refusing them keeps date arithmetic far from its limits.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;
/// Longest report range, in days (ten years).
pub const MAX_REPORT_DAYS: i64 = 3660;
/// Most characters of a shop's or a tier's name.
pub const MAX_NAME_CHARS: usize = 100;
/// Most origins a shop may allow.
pub const MAX_ORIGINS: usize = 20;
/// Most loyalty tiers of a shop.
pub const MAX_TIERS: usize = 10;
/// The shortest and longest churn window, in days.
pub const MIN_CHURN_WINDOW_DAYS: u32 = 7;
pub const MAX_CHURN_WINDOW_DAYS: u32 = 730;
/// Most locales a survey may speak.
pub const MAX_LOCALES: usize = 20;
/// Most characters of a survey's question or follow-up.
pub const MAX_QUESTION_CHARS: usize = 300;
/// Most reasons a churn survey offers.
pub const MAX_REASONS: usize = 20;
/// Most characters of a reason's label.
pub const MAX_LABEL_CHARS: usize = 120;
/// Most page rules a survey may have, and the longest path of one.
pub const MAX_PAGE_RULES: usize = 20;
pub const MAX_PAGE_PATH_CHARS: usize = 200;
/// The longest delay before a survey appears, in seconds.
pub const MAX_DELAY_SECONDS: u32 = 600;
/// The longest recontact period of a survey, and the longest cooldown of a
/// shop between any two surveys, in days.
pub const MAX_RECONTACT_DAYS: u32 = 365;
/// Days a personal link stays valid when the request does not say, and at most.
pub const DEFAULT_LINK_DAYS: u32 = 30;
pub const MAX_LINK_DAYS: u32 = 365;
/// Most links one bulk request makes.
pub const MAX_BULK_LINKS: usize = 10_000;
/// Bulk links for lapsed customers: bought last 1 to this many days ago (ten years).
pub const MAX_LAPSED_DAYS: u32 = 3650;
/// Digits of a kiosk PIN: six at least, as guessing is limited per shop but not stopped.
pub const MIN_PIN_DIGITS: usize = 6;
pub const MAX_PIN_DIGITS: usize = 12;
/// Most stores a shop may have.
pub const MAX_STORES: usize = 500;
/// Most surveys a shop may have, switched on or off: the active ones are in
/// the rules every page of the shop reads.
pub const MAX_SURVEYS: usize = 50;
/// Most characters of a kiosk app's version.
pub const MAX_VERSION_CHARS: usize = 64;
/// Hours without a sync after which a kiosk tablet is flagged, unless the owner asks otherwise.
pub const DEFAULT_DEVICE_STALE_HOURS: u32 = 4;
/// The longest such period an owner may ask for: 90 days.
pub const MAX_DEVICE_STALE_HOURS: u32 = 24 * 90;
