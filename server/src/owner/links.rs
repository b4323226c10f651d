//! Personal survey links (`links.rs` makes and opens their tokens): one for a
//! customer's order, asked by the back office; or many, asked by the owner, for
//! a list of customers or for every customer who has not bought for some days,
//! each for the customer's last purchase.

use std::collections::HashMap;

use chrono::{DateTime, Days, Duration, Utc};
use kept_shared::limits::{DEFAULT_LINK_DAYS, MAX_BULK_LINKS, MAX_LAPSED_DAYS, MAX_LINK_DAYS};
use kept_shared::validate::validate_ref;
use kept_shared::{BulkLinksRequest, FieldProblem, LinkRequest, PersonalLink, Unit};

use super::exports::LinkRow;
use super::settings::ChangeError;
use crate::calendar::today;
use crate::db::{Database, PurchaseRecord, Shop};
use crate::links::Link;

fn expires_at(days: Option<u32>, now: DateTime<Utc>) -> Result<DateTime<Utc>, ChangeError> {
    let days = days.unwrap_or(DEFAULT_LINK_DAYS);
    if !(1..=MAX_LINK_DAYS).contains(&days) {
        return Err(ChangeError::field(
            "expires_in_days",
            FieldProblem::Range {
                min: 1,
                max: MAX_LINK_DAYS.into(),
                unit: Unit::Days,
            },
        ));
    }
    Ok(now + Duration::days(i64::from(days)))
}

fn lapsed_days_range() -> FieldProblem {
    FieldProblem::Range {
        min: 1,
        max: MAX_LAPSED_DAYS.into(),
        unit: Unit::Days,
    }
}

/// The survey must be one of the shop's (active or not: a link may be made
/// before the survey starts; its page says when it is closed).
async fn check_survey(db: &dyn Database, shop: &Shop, survey: &str) -> Result<(), ChangeError> {
    ChangeError::check_ref("survey", survey)?;
    if !db
        .surveys(&shop.id, false)
        .await?
        .iter()
        .any(|r| r.survey.id == survey)
    {
        return Err(ChangeError::field(
            "survey",
            FieldProblem::UnknownSurvey {
                survey: survey.to_string(),
            },
        ));
    }
    Ok(())
}

fn link(
    shop: &Shop,
    survey: &str,
    customer: &str,
    order: &str,
    expires_at: DateTime<Utc>,
    base: &str,
) -> PersonalLink {
    let token = Link {
        shop: shop.id.clone(),
        survey: survey.to_string(),
        customer: customer.to_string(),
        order: order.to_string(),
        expires_at,
    }
    .token(&shop.widget_secret);
    let url = crate::links::url(base, &token);
    PersonalLink {
        qr_svg: format!("{url}/qr.svg"),
        qr_png: format!("{url}/qr.png"),
        url,
        token,
        expires_at,
    }
}

/// One link, for the back office (a receipt, an order e-mail).
pub async fn personal_link(
    db: &dyn Database,
    shop: &Shop,
    req: &LinkRequest,
    base: &str,
) -> Result<PersonalLink, ChangeError> {
    ChangeError::check_ref("customer_ref", &req.customer_ref)?;
    ChangeError::check_ref("order_ref", &req.order_ref)?;
    check_survey(db, shop, &req.survey).await?;
    let expires_at = expires_at(req.expires_in_days, Utc::now())?;
    Ok(link(
        shop,
        &req.survey,
        &req.customer_ref,
        &req.order_ref,
        expires_at,
        base,
    ))
}

/// Links in bulk: a row per customer, with the link or why there is none.
pub async fn bulk(
    db: &dyn Database,
    shop: &Shop,
    req: &BulkLinksRequest,
    base: &str,
) -> Result<Vec<LinkRow>, ChangeError> {
    check_survey(db, shop, &req.survey).await?;
    let expires_at = expires_at(req.expires_in_days, Utc::now())?;
    let customers: Vec<String> = match (req.customers.is_empty(), req.lapsed_days) {
        (false, None) => req.customers.clone(),
        (true, Some(days)) if !(1..=MAX_LAPSED_DAYS).contains(&days) => {
            return Err(ChangeError::field("lapsed_days", lapsed_days_range()));
        }
        (true, Some(days)) => {
            let today = today(shop.time_zone);
            let before = today
                .checked_sub_days(Days::new(u64::from(days)))
                .ok_or_else(|| ChangeError::field("lapsed_days", lapsed_days_range()))?;
            db.customers_at(&shop.id, today)
                .await?
                .into_iter()
                .filter(|c| c.last_day.is_some_and(|d| d <= before))
                .map(|c| c.customer_ref)
                .collect()
        }
        _ => {
            return Err(ChangeError::field(
                "customers",
                FieldProblem::CustomersOrLapsedDays,
            ));
        }
    };
    if customers.len() > MAX_BULK_LINKS {
        return Err(match req.lapsed_days {
            Some(days) => ChangeError::field(
                "lapsed_days",
                FieldProblem::TooManyLapsed {
                    count: customers.len() as u64,
                    days: days.into(),
                    max: MAX_BULK_LINKS as u64,
                },
            ),
            None => ChangeError::field(
                "customers",
                FieldProblem::TooManyCustomers {
                    count: customers.len() as u64,
                    max: MAX_BULK_LINKS as u64,
                },
            ),
        });
    }
    let checked: Vec<(String, Result<(), String>)> = customers
        .into_iter()
        .map(|c| {
            let check = validate_ref("customer_ref", &c).map_err(|e| e.to_string());
            (c, check)
        })
        .collect();
    let valid: Vec<String> = checked
        .iter()
        .filter(|(_, check)| check.is_ok())
        .map(|(c, _)| c.clone())
        .collect();
    let last: HashMap<String, PurchaseRecord> = db
        .last_purchases(&shop.id, &valid)
        .await?
        .into_iter()
        .map(|p| (p.customer_ref.clone(), p))
        .collect();
    let mut rows = Vec::with_capacity(checked.len());
    for (customer, check) in checked {
        let mut row = LinkRow {
            customer_ref: customer.clone(),
            order_ref: None,
            last_purchase: None,
            url: None,
            expires_at: None,
            error: None,
        };
        if let Err(e) = check {
            row.error = Some(e);
            rows.push(row);
            continue;
        }
        match last.get(&customer) {
            None => row.error = Some("no purchase recorded for this customer".into()),
            Some(p) => {
                let made = link(
                    shop,
                    &req.survey,
                    &customer,
                    &p.purchase_id,
                    expires_at,
                    base,
                );
                row.order_ref = Some(p.purchase_id.clone());
                row.last_purchase = Some(p.day);
                row.url = Some(made.url);
                row.expires_at = Some(made.expires_at);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}
