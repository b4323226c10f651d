//! The display plan the widget's loader reads on every page of a shop
//! (`GET /api/v1/widget/{public_key}/plan`): the shop's active surveys in order,
//! each with its targeting rules and the server's verdict for this visitor
//! (`shared/targeting.md`), and the shop's cooldown. With a locale, each survey
//! carries only the texts that locale shows, to keep the plan small; without
//! texts (`texts=false`, what the loader reads to decide) it is only the
//! decision's part (`kept_shared::DecisionRules`). The loader asks for the texts only when
//! something is due, alongside the widget's code.

use std::collections::BTreeMap;

use kept_shared::limits::SIGNATURE_HEX_CHARS;
use kept_shared::survey::pick_locale;
use kept_shared::targeting::{self, Visitor};
use kept_shared::validate::validate_signature;
use kept_shared::{DisplayPlan, PlannedSurvey, ShopInfo, Survey, SurveyKind};

use crate::calendar;
use crate::db::{Database, DbError, Shop};
use crate::signatures::{Signed, signed};

/// Who is on the page, as the loader says.
#[derive(Debug, Default)]
pub struct PlanRequest {
    pub locale: Option<String>,
    pub customer: Option<String>,
    pub order: Option<String>,
    /// The shop's signatures of them (`signatures.rs`).
    pub customer_sig: Option<String>,
    pub order_sig: Option<String>,
    /// A survey shown in the owner's preview, switched on or off (a new survey
    /// starts off, and its preview had been empty): never from a visitor's
    /// request, only the dashboard's.
    pub preview_of: Option<String>,
}

/// A visitor's plan, and what their page got wrong in asking for it.
pub struct PlanFor {
    pub plan: DisplayPlan,
    /// In words for the shop's developer, which the loader says in the
    /// browser's console (`warnings` in the API): a signature given that is
    /// not the shop's for its reference ([`signature_warnings`]).
    pub warnings: Vec<String>,
}

pub async fn display_plan(
    db: &dyn Database,
    shop: &Shop,
    request: &PlanRequest,
) -> Result<PlanFor, DbError> {
    let visitor = Visitor {
        customer: request.customer.as_deref(),
        order: request.order.as_deref(),
    };
    // What only the server knows of a reference (when the customer last bought,
    // what was answered for the order) is told only for references the shop
    // signed: anyone can put any reference in a request.
    let secret = &shop.widget_secret;
    let customer = signed(
        secret,
        Signed::Customer,
        visitor.customer,
        request.customer_sig.as_deref(),
    );
    let last_purchase = match customer {
        Some(c) => db.customer(&shop.id, c).await?.and_then(|c| c.last_day),
        None => None,
    };
    let order = signed(
        secret,
        Signed::Order,
        visitor.order,
        request.order_sig.as_deref(),
    );
    let answered = match order {
        Some(o) => db.surveys_answered_for_order(&shop.id, o).await?,
        None => Vec::new(),
    };
    let warnings = signature_warnings(shop, request, customer.is_some(), order.is_some());
    let today = calendar::today(shop.time_zone);
    let previewed = request.preview_of.as_deref();
    let surveys = db
        .surveys(&shop.id, previewed.is_none())
        .await?
        .into_iter()
        .filter(|record| record.active || Some(record.survey.id.as_str()) == previewed)
        .map(|record| {
            let mut survey = record.survey;
            // As the page's path reads (rules are kept as the owner wrote them).
            for rule in &mut survey.targeting.pages {
                rule.path = kept_shared::targeting::path_as_browsers_write(&rule.path);
            }
            let verdict = targeting::verdict(
                survey.targeting.audience,
                visitor,
                last_purchase,
                today,
                answered.contains(&survey.id),
            );
            PlannedSurvey {
                survey: match &request.locale {
                    Some(locale) => only_for(survey, locale),
                    None => survey,
                },
                verdict,
            }
        })
        .collect();
    Ok(PlanFor {
        plan: DisplayPlan {
            shop: ShopInfo {
                id: shop.id.clone(),
                name: shop.name.clone(),
            },
            cooldown_days: shop.survey_cooldown_days,
            surveys,
        },
        warnings,
    })
}

/// What the page got wrong in its signatures: a signature given that does not
/// sign its reference (`customer_signed`, `order_signed`: whether each did).
/// The plan is served all the same: the surveys are still asked, but what
/// only the server knows of that reference is not told, and the answers are
/// unverified (refused where the shop takes only verified ones), which would
/// otherwise show nowhere but in the owner's figures. A signature without its
/// reference is said too. A reference without a signature is the shop's
/// choice, and no mistake.
fn signature_warnings(
    shop: &Shop,
    request: &PlanRequest,
    customer_signed: bool,
    order_signed: bool,
) -> Vec<String> {
    let consequence = if shop.require_verified {
        "their answers are refused, since this shop takes only verified ones"
    } else {
        "their answers count as unverified"
    };
    [
        (
            "customer",
            &request.customer,
            &request.customer_sig,
            customer_signed,
            "whether this customer has lapsed is not judged, their loyalty card is not shown",
        ),
        (
            "order",
            &request.order,
            &request.order_sig,
            order_signed,
            "what was answered for this order elsewhere is not known",
        ),
    ]
    .into_iter()
    .filter_map(|(name, reference, signature, signed, unknown)| {
        let signature = signature.as_deref()?;
        let Some(reference) = reference.as_deref() else {
            // Most likely the reference's attribute left out of the tag, or
            // written otherwise: the page meant to name one.
            return Some(format!(
                "data-{name}-sig is given without data-{name}, so it signs nothing: \
                 is data-{name} missing from the script tag, or empty?"
            ));
        };
        if signed {
            return None;
        }
        let mistake = if validate_signature(name, signature).is_err() {
            format!(
                "data-{name}-sig is not a signature ({SIGNATURE_HEX_CHARS} hex digits of HMAC-SHA256; a template left unfilled?)"
            )
        } else {
            format!(
                "data-{name}-sig is not the shop's signature of data-{name} {reference:?} \
                 (made with another widget secret, or of another reference?)"
            )
        };
        Some(format!("{mistake}: {unknown}, and {consequence}"))
    })
    .collect()
}

/// Keeps, of each text and label, only the one `locale` shows (by the widget's
/// own fallbacks: the locale, its language, the survey's default, any).
fn only_for(mut survey: Survey, locale: &str) -> Survey {
    fn keep_one<T: Clone>(
        by_locale: &BTreeMap<String, T>,
        locale: &str,
        default: &str,
    ) -> BTreeMap<String, T> {
        by_locale
            .iter()
            .find(|(_, v)| {
                pick_locale(by_locale, locale, default).is_some_and(|p| std::ptr::eq(p, *v))
            })
            .map(|(k, v)| BTreeMap::from([(k.clone(), v.clone())]))
            .unwrap_or_default()
    }
    let default = survey.default_locale.clone();
    survey.texts = keep_one(&survey.texts, locale, &default);
    if let SurveyKind::ChurnReason { reasons, .. } = &mut survey.kind {
        for r in reasons {
            r.labels = keep_one(&r.labels, locale, &default);
        }
    }
    survey
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shops::standard_surveys;

    #[test]
    fn a_plan_for_a_locale_keeps_what_that_locale_shows() {
        let churn = standard_surveys().pop().unwrap();
        let uk = only_for(churn.clone(), "uk-UA");
        assert_eq!(uk.texts.keys().collect::<Vec<_>>(), ["uk"]);
        assert_eq!(uk.texts_for("uk-UA"), churn.texts_for("uk-UA"));
        let SurveyKind::ChurnReason { reasons, .. } = &uk.kind else {
            panic!()
        };
        assert_eq!(reasons[0].label_for("uk-UA", "en"), "Зависокі ціни");
        assert_eq!(reasons[0].labels.len(), 1);
        // A language the survey does not speak: its default locale's texts.
        let de = only_for(churn.clone(), "de");
        assert_eq!(de.texts.keys().collect::<Vec<_>>(), ["en"]);
    }
}
