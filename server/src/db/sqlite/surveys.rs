//! A shop's surveys: definitions stored whole, as JSON.

use rusqlite::{Connection, params};

use crate::db::{DbResult, SurveyRecord, SurveyWrite};

/// One statement, on the one writer: counted and written at once.
pub fn put(
    c: &Connection,
    shop_id: &str,
    r: &SurveyRecord,
    most: usize,
    write: SurveyWrite,
) -> DbResult<bool> {
    // A change where one is there and changes are allowed (?7), else a new
    // one under the limit whose id no other has in any case (ids are ASCII:
    // `lower` is enough).
    let written = c.execute(
        "INSERT INTO surveys (shop_id, id, definition, active, position) SELECT ?1, ?2, ?3, ?4, ?5
         WHERE (?7 AND EXISTS (SELECT 1 FROM surveys WHERE shop_id = ?1 AND id = ?2))
            OR ((SELECT count(*) FROM surveys WHERE shop_id = ?1) < ?6
                AND NOT EXISTS (SELECT 1 FROM surveys WHERE shop_id = ?1 AND lower(id) = lower(?2)))
         ON CONFLICT (shop_id, id) DO UPDATE SET
             definition = excluded.definition, active = excluded.active, position = excluded.position
           WHERE json_extract(surveys.definition, '$.kind') = json_extract(excluded.definition, '$.kind')",
        params![
            shop_id,
            r.survey.id,
            serde_json::to_string(&r.survey)?,
            r.active,
            r.position,
            most as i64,
            write == SurveyWrite::NewOrChange,
        ],
    )?;
    Ok(written == 1)
}

pub fn list(c: &Connection, shop_id: &str, only_active: bool) -> DbResult<Vec<SurveyRecord>> {
    let mut st = c.prepare_cached(
        "SELECT definition, active, position FROM surveys
         WHERE shop_id = ?1 AND (active = 1 OR ?2 = 0) ORDER BY position, id",
    )?;
    let rows = st
        .query_map(params![shop_id, only_active], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(definition, active, position)| {
            Ok(SurveyRecord {
                survey: serde_json::from_str(&definition)?,
                active,
                position,
            })
        })
        .collect()
}
