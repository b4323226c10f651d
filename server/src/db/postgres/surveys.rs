//! A shop's surveys: definitions stored whole, as JSONB.

use deadpool_postgres::Client;

use crate::db::{DbResult, SurveyRecord, SurveyWrite};

pub async fn put(
    client: &mut Client,
    shop_id: &str,
    r: &SurveyRecord,
    most: usize,
    write: SurveyWrite,
) -> DbResult<bool> {
    // As on SQLite (sqlite/surveys.rs), taking turns on the shop's row.
    super::write_within_limit(
        client,
        shop_id,
        "INSERT INTO surveys (shop_id, id, definition, active, position) SELECT $1, $2, $3, $4, $5
         WHERE ($7 AND EXISTS (SELECT 1 FROM surveys WHERE shop_id = $1 AND id = $2))
            OR ((SELECT count(*) FROM surveys WHERE shop_id = $1) < $6
                AND NOT EXISTS (SELECT 1 FROM surveys WHERE shop_id = $1 AND lower(id) = lower($2)))
         ON CONFLICT (shop_id, id) DO UPDATE SET
             definition = excluded.definition, active = excluded.active, position = excluded.position
           WHERE surveys.definition->>'kind' = excluded.definition->>'kind'",
        &[
            &shop_id,
            &r.survey.id,
            &serde_json::to_value(&r.survey)?,
            &r.active,
            &r.position,
            &(most as i64),
            &(write == SurveyWrite::NewOrChange),
        ],
    )
    .await
}

pub async fn list(
    client: &Client,
    shop_id: &str,
    only_active: bool,
) -> DbResult<Vec<SurveyRecord>> {
    let st = client
        .prepare_cached(
            "SELECT definition, active, position FROM surveys
             WHERE shop_id = $1 AND (active OR NOT $2) ORDER BY position, id",
        )
        .await?;
    let rows = client.query(&st, &[&shop_id, &only_active]).await?;
    rows.iter()
        .map(|r| {
            Ok(SurveyRecord {
                survey: serde_json::from_value(r.try_get(0)?)?,
                active: r.try_get(1)?,
                position: r.try_get(2)?,
            })
        })
        .collect()
}
