//! How an answer maps to typed columns and back, the same for both engines.

use kept_shared::{AnswerValue, Channel};

use super::DbError;

/// The typed columns of an answer's value: score, free text, reasons.
pub fn columns(value: &AnswerValue) -> (Option<u8>, Option<&str>, &[String]) {
    match value {
        AnswerValue::Nps { score, reason } => (Some(*score), reason.as_deref(), &[]),
        AnswerValue::Csat { score } => (Some(*score), None, &[]),
        AnswerValue::ChurnReason { reasons, other } => (None, other.as_deref(), reasons),
    }
}

/// Rebuilds an answer's value from its typed columns.
pub fn value_of(
    kind: &str,
    score: Option<u8>,
    text: Option<String>,
    reasons: Vec<String>,
) -> Result<AnswerValue, DbError> {
    Ok(match (kind, score) {
        ("nps", Some(score)) => AnswerValue::Nps {
            score,
            reason: text,
        },
        ("csat", Some(score)) => AnswerValue::Csat { score },
        ("churn_reason", None) => AnswerValue::ChurnReason {
            reasons,
            other: text,
        },
        _ => {
            return Err(DbError::internal(anyhow::anyhow!(
                "a stored {kind} answer has score {score:?}"
            )));
        }
    })
}

pub fn channel_of(name: &str) -> Result<Channel, DbError> {
    Channel::parse(name)
        .ok_or_else(|| DbError::internal(anyhow::anyhow!("a stored row has channel {name:?}")))
}
