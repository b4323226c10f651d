//! The owner's retention analytics, as the API returns them. Every figure follows
//! one definition (`retention-definitions.md`, restated on each field): active,
//! lost, acquired, won back, churn rate, cohorts, RFM scores and segments.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AnswerValue, Channel, CsatSummary, ImportProblem, NpsSummary, Period, ReasonCount};

/// Who came, who left, who came back, per period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub period: Period,
    /// The shop's churn window W: days without a purchase after which a customer is lost.
    pub churn_window_days: u32,
    /// The shop's today: losses after it have not happened yet.
    pub today: NaiveDate,
    /// The store the figures are limited to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// One entry per period of `from..=to` (calendar weeks or months, the first
    /// and last cut to the range), oldest first, empty ones included.
    pub periods: Vec<RetentionPeriod>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RetentionPeriod {
    /// First and last day of the period (both included).
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Customers active on the day before `start` (a purchase in the W days up to it).
    pub active_at_start: u64,
    /// Customers whose first purchase falls in the period.
    pub acquired: u64,
    /// Loss days in the period (a customer is lost W days after a purchase that no
    /// other follows within W days), up to today.
    pub lost: u64,
    /// Purchases in the period by customers who had bought before and were not
    /// active the day before.
    pub won_back: u64,
    /// `lost ÷ active_at_start`; `None` when no one was active at the start.
    pub churn_rate: Option<f64>,
    /// `acquired + won_back − lost`.
    pub net_growth: i64,
    /// Amounts of purchases in the period by customers acquired in it.
    pub revenue_new_cents: u64,
    /// Amounts of purchases in the period by all other customers.
    pub revenue_returning_cents: u64,
}

/// Customers grouped by the month of their first purchase, and the share of each
/// cohort that bought again in each later month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cohorts: Vec<Cohort>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// The first day of the cohort's month.
    pub month: NaiveDate,
    pub customers: u64,
    /// For month k = 0, 1, … after the cohort's (up to the report's last month): the
    /// share of the cohort with at least one purchase in that month, 0.0 to 1.0.
    pub retention: Vec<f64>,
}

/// The RFM segments: recency × frequency, as in the definitions' grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    Promising,
    New,
    Hibernating,
    AtRisk,
    CantLose,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 8] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::Promising,
        Segment::New,
        Segment::Hibernating,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Lost,
    ];

    /// The segment of recency score `r` and frequency score `f` (each 1–5).
    pub fn of(r: u8, f: u8) -> Segment {
        match (r, f) {
            (4 | 5, 1) => Segment::New,
            (4 | 5, 2) => Segment::Promising,
            (4 | 5, 3) => Segment::Loyal,
            (4 | 5, _) => Segment::Champions,
            (3, 1 | 2) => Segment::Hibernating,
            (3, _) => Segment::Loyal,
            (_, 1) => Segment::Lost,
            (_, 2) => Segment::Hibernating,
            (_, 3 | 4) => Segment::AtRisk,
            _ => Segment::CantLose,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::Promising => "promising",
            Segment::New => "new",
            Segment::Hibernating => "hibernating",
            Segment::AtRisk => "at_risk",
            Segment::CantLose => "cant_lose",
            Segment::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// One customer's RFM standing at a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScores {
    /// Days from the last purchase to the day scored.
    pub recency_days: u32,
    pub frequency: u64,
    pub monetary_cents: u64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Segment,
}

/// Segments with their sizes and their share of revenue, at a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmReport {
    /// The day scored (the report's end day).
    pub at: NaiveDate,
    /// Customers with a purchase up to `at`.
    pub customers: u64,
    pub revenue_cents: u64,
    pub segments: Vec<SegmentSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub segment: Segment,
    pub customers: u64,
    pub revenue_cents: u64,
    /// `revenue_cents ÷` all customers' revenue; `None` without revenue.
    pub share_of_revenue: Option<f64>,
}

/// An answer in the owner's lists (inbox, responses, a customer's page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerItem {
    pub id: Uuid,
    pub survey: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<String>,
    /// Whether the shop's page signed the customer or order reference. An
    /// answer that names a customer unsigned may have been sent by anyone
    /// with the shop's public key: its customer is a claim.
    #[serde(default)]
    pub verified: bool,
    pub answered_at: DateTime<Utc>,
    pub value: AnswerValue,
    /// The owner's follow-up (detractors and churn answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
}

/// Where the owner is with an unhappy customer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    #[default]
    New,
    Contacted,
    Resolved,
}

impl FollowUpStatus {
    pub const ALL: [FollowUpStatus; 3] = [
        FollowUpStatus::New,
        FollowUpStatus::Contacted,
        FollowUpStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::New => "new",
            FollowUpStatus::Contacted => "contacted",
            FollowUpStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<FollowUpStatus> {
        FollowUpStatus::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub status: FollowUpStatus,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// What the owner sets on an inbox item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpUpdate {
    pub status: FollowUpStatus,
    /// The note; left out, the one there is stays (it had been erased by a
    /// change of status alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A customer in the base: purchases, value, loyalty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub customer_ref: String,
    pub first_purchase: Option<NaiveDate>,
    pub last_purchase: Option<NaiveDate>,
    pub purchases: u64,
    pub total_cents: u64,
    /// `total_cents ÷ purchases`, rounded down; `None` without purchases.
    pub average_check_cents: Option<u64>,
    pub points: u64,
    pub tier: String,
    /// Whether the customer is active today (a purchase in the last W days).
    pub active: bool,
}

/// One customer's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub summary: CustomerSummary,
    /// Today's RFM standing, if the customer ever bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<RfmScores>,
    pub purchases: Vec<PurchaseItem>,
    pub answers: Vec<AnswerItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseItem {
    pub purchase_id: String,
    pub purchased_at: DateTime<Utc>,
    pub amount_cents: u64,
    pub points: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// A page of a list, with the total it is cut from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

impl<T> Page<T> {
    /// The page of `all` from `offset`, at most `limit` long.
    pub fn of(all: Vec<T>, offset: u64, limit: u64) -> Page<T> {
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Page {
            items,
            total,
            offset,
            limit,
        }
    }
}

/// A customer to win back: at risk or can't lose, most valuable first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WinBackEntry {
    pub customer_ref: String,
    pub segment: Segment,
    pub rfm: RfmScores,
    pub last_purchase: NaiveDate,
    pub total_cents: u64,
    pub points: u64,
    pub tier: String,
    /// Their most recent answers, one per kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_nps: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_csat: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_churn_reasons: Vec<String>,
}

/// NPS and CSAT of one group of answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    pub nps: NpsSummary,
    pub csat: CsatSummary,
}

/// Satisfaction joined with purchase behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every answer in the range.
    pub total: Satisfaction,
    pub by_channel: BTreeMap<Channel, Satisfaction>,
    /// By store, where answers name one.
    pub by_store: BTreeMap<String, Satisfaction>,
    /// By the customer's tier at `to` (answers with a customer reference only).
    pub by_tier: BTreeMap<String, Satisfaction>,
    /// By the customer's RFM segment at `to`.
    pub by_segment: BTreeMap<Segment, Satisfaction>,
    /// NPS of customers who were lost after answering (up to `to`)…
    pub later_lost: NpsSummary,
    /// …and of those who were not.
    pub stayed: NpsSummary,
    /// Churn reasons given by customers lost as of `to`, most picked first.
    pub churn_reasons_of_lost: Vec<ReasonCount>,
}

/// How often each survey was shown, answered and skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub surveys: Vec<FunnelRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub survey: String,
    pub shown: u64,
    pub answered: u64,
    pub skipped: u64,
}

/// What the widget reports of its own use: counts only, nothing personal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetEventKind {
    Shown,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetEvent {
    pub survey: String,
    pub kind: WidgetEventKind,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetEvents {
    pub events: Vec<WidgetEvent>,
}

/// Members per tier and points issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Customers in each tier at `to`, lowest tier first.
    pub tiers: Vec<TierMembers>,
    /// Points earned by purchases in the range.
    pub points_issued: u64,
    /// Purchases and revenue in the range.
    pub purchases: u64,
    pub revenue_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierMembers {
    pub tier: String,
    pub min_points: u64,
    pub customers: u64,
}

/// One row of an import: a purchase of a customer (customers come with their purchases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub customer_ref: String,
    pub purchase_id: String,
    pub amount_cents: u64,
    pub purchased_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// What is wrong with one row of an import (rows count from 1; in a CSV file the
/// header is row 1 and the first purchase row 2; row 0 is the whole file). A
/// row with several problems has an entry for each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub row: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The problem in words (English).
    pub message: String,
    /// The problem: its `code` and details.
    #[serde(flatten)]
    pub problem: ImportProblem,
}

impl ImportRowError {
    pub fn new(row: u64, field: Option<&str>, problem: ImportProblem) -> ImportRowError {
        ImportRowError {
            row,
            field: field.map(Into::into),
            message: problem.to_string(),
            problem,
        }
    }
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub rows: u64,
    /// Purchases stored now.
    pub imported: u64,
    /// Purchases known already with the same details (idempotent re-import).
    pub duplicates: u64,
    /// Purchases of customers erased after they were made, not stored: an
    /// erased customer is not brought back by an old file.
    #[serde(default)]
    pub erased: u64,
    /// Customers this import stored purchases for.
    pub customers: u64,
    /// Why nothing was imported: every bad row (up to a limit), with the total count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ImportRowError>,
    #[serde(default)]
    pub error_count: u64,
    /// The file's columns (a JSON purchase's keys) that the import does not
    /// read, in the file's order (up to a limit): their values are left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredField>,
    /// The stores the file names that the shop has not set up, in the
    /// file's order (up to a limit): their purchases are stored under these
    /// ids all the same, with no name in the reports until they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_stores: Vec<String>,
}

/// A column of an imported file (a key of a JSON purchase) that the import
/// does not read. Said, so that a misspelt one (`stor`, `amont`) does not
/// pass unnoticed, with `like`, the field it may be a slip of the keyboard
/// for (`server/src/owner/import.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredField {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub like: Option<String>,
}
