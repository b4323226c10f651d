//! How often each survey was shown, answered and skipped.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kept_shared::{FunnelReport, FunnelRow, WidgetEventKind};

use crate::db::{Database, DbResult, Shop};

pub async fn funnel_report(
    db: &dyn Database,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<FunnelReport> {
    let mut rows: BTreeMap<String, FunnelRow> = BTreeMap::new();
    for e in db.widget_events(&shop.id, from, to).await? {
        let r = rows.entry(e.survey.clone()).or_insert_with(|| FunnelRow {
            survey: e.survey.clone(),
            ..Default::default()
        });
        match e.kind {
            WidgetEventKind::Shown => r.shown += e.count,
            WidgetEventKind::Skipped => r.skipped += e.count,
        }
    }
    for r in db.rollups(&shop.id, from, to).await? {
        let entry = rows
            .entry(r.key.survey.clone())
            .or_insert_with(|| FunnelRow {
                survey: r.key.survey.clone(),
                ..Default::default()
            });
        entry.answered += r.count;
    }
    // A display is reported as it happens, once, and lost when the visitor is
    // offline then; the answer waits in their queue and arrives later. Every
    // answer and every skip was shown: they count as shown where their
    // display did not reach the server, so no survey is answered more often
    // than shown.
    for r in rows.values_mut() {
        r.shown = r.shown.max(r.answered + r.skipped);
    }
    // In the shop's survey order, then any others (surveys since removed).
    let order: Vec<String> = db
        .surveys(&shop.id, false)
        .await?
        .into_iter()
        .map(|s| s.survey.id)
        .collect();
    let mut surveys: Vec<FunnelRow> = order.iter().filter_map(|id| rows.remove(id)).collect();
    surveys.extend(rows.into_values());
    Ok(FunnelReport { from, to, surveys })
}
