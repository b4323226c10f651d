//! The HTTP paths of the versioned API, so widget, server and tests build them
//! the same way. Path parameters are ids that [`crate::validate`] restricts to
//! URL-safe characters, so no escaping is needed. Added up, not `format!`ed: the
//! widget links no formatting machinery (README, "Where the widget's bytes go").

pub const PREFIX: &str = "/api/v1";

/// `GET`: the active surveys of the shop with this public key ([`crate::ShopSurveys`]).
pub fn surveys(public_key: &str) -> String {
    String::from(PREFIX) + "/widget/" + public_key + "/surveys"
}

/// `GET`: the loader's display plan ([`crate::DisplayPlan`]; `?locale=&customer=&order=`),
/// see `shared/targeting.md`.
pub fn plan(public_key: &str) -> String {
    String::from(PREFIX) + "/widget/" + public_key + "/plan"
}

/// `POST` a [`crate::SyncBatch`], get a [`crate::SyncReceipt`].
pub fn answers(public_key: &str) -> String {
    String::from(PREFIX) + "/widget/" + public_key + "/answers"
}

/// `POST` [`crate::WidgetEvents`]: what the widget showed and what was skipped.
pub fn events(public_key: &str) -> String {
    String::from(PREFIX) + "/widget/" + public_key + "/events"
}

/// `GET`: a customer's [`crate::LoyaltyStatus`].
pub fn loyalty(public_key: &str, customer_ref: &str) -> String {
    String::from(PREFIX) + "/widget/" + public_key + "/customers/" + customer_ref + "/loyalty"
}

/// `POST` a [`crate::RecordPurchase`] with the shop's back-office secret key.
pub fn purchases(shop_id: &str) -> String {
    String::from(PREFIX) + "/shops/" + shop_id + "/purchases"
}

/// `GET` the owner [`crate::Report`] with the shop's owner token.
pub fn report(shop_id: &str) -> String {
    String::from(PREFIX) + "/shops/" + shop_id + "/report"
}

/// The owner API of a shop: `{PREFIX}/shops/{shop_id}/{rest}` (analytics,
/// customers, answers, inbox, import, win-back).
pub fn owner(shop_id: &str, rest: &str) -> String {
    String::from(PREFIX) + "/shops/" + shop_id + "/" + rest
}
