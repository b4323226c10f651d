//! The one definition of what the Kept widget and server say to each other.
//!
//! Every type here is serialised with serde the same way on both sides, and every
//! rule an answer must follow lives in [`validate`], so the widget refuses exactly
//! what the server would refuse.

pub mod analytics;
pub mod answer;
pub mod api;
pub mod error;
pub mod field_problem;
pub mod import_problem;
pub mod json;
pub mod kiosk;
pub mod limits;
pub mod links;
pub mod loyalty;
pub mod privacy;
pub mod report;
pub mod settings;
pub mod survey;
pub mod sync;
pub mod targeting;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod validate;
pub mod webhooks;

pub use analytics::{
    AnswerItem, Cohort, CohortReport, CustomerDetail, CustomerSummary, FollowUp, FollowUpStatus,
    FollowUpUpdate, FunnelReport, FunnelRow, IgnoredField, ImportReport, ImportRow, ImportRowError,
    LoyaltyReport, Page, PurchaseItem, RetentionPeriod, RetentionReport, RfmReport, RfmScores,
    Satisfaction, SatisfactionReport, Segment, SegmentSummary, TierMembers, WidgetEvent,
    WidgetEventKind, WidgetEvents, WinBackEntry,
};
pub use answer::{Answer, AnswerValue, Channel, UnixMillis};
pub use error::{ApiError, ErrorCode};
pub use field_problem::{FieldProblem, Unit};
pub use import_problem::ImportProblem;
pub use kiosk::{
    Device, DeviceReport, Devices, KioskPin, KioskRespondent, KioskSetup, KioskSetupRequest,
    KioskSurveyChoice, Store, StoreName,
};
pub use links::{BulkLinksRequest, LinkRequest, PersonalLink};
pub use loyalty::{LoyaltyStatus, NextTier, PurchaseReceipt, RecordPurchase};
pub use privacy::{CustomerExport, ErasedCustomer};
pub use report::{
    ChurnSummary, CsatSummary, NpsSummary, Period, PeriodSummary, ReasonCount, Report, Summary,
};
pub use settings::{
    AuditEntry, FieldError, RotatedSecret, ShopSettings, ShopView, SurveyDefinition, TierSetting,
};
pub use survey::{
    ChurnReasonChoice, ShopInfo, ShopSurveys, Survey, SurveyKind, SurveyTexts, pick_locale_label,
};
pub use sync::{RejectedAnswer, SyncBatch, SyncReceipt};
pub use targeting::{
    Audience, DecisionRules, DisplayPlan, PageMatch, PageRule, PageTargeting, PlannedSurvey,
    SurveyRules, Targeting,
};
pub use validate::ValidationError;
