//! Stored answers of creating requests sent with an `Idempotency-Key`
//! (issue 19, API.md): the same caller, key and request within 24 hours
//! get the first 2xx answer again instead of a second resource. What HTTP
//! request and answer these are is the routes' business
//! (`routes::idempotency`); this module keeps the rows.
//!
//! A key is claimed before the request runs (a row with no answer, one per
//! caller and key across every process by the primary key), answered when
//! the request succeeds, and released when it does not — 4xx and 5xx
//! answers are not kept, so a corrected request may reuse its key. A claim
//! whose process died is taken over after [`ABANDONED_AFTER`]. The answer
//! is encrypted with the PII key: a new platform's `client_secret` or a
//! person's details must not lie in the database in clear.
//!
//! Left as it is: the created resource and its stored answer are written in
//! two transactions, so a process that dies between them leaves the key
//! claimed without an answer; after [`ABANDONED_AFTER`] a retry runs again.
//! The push needs exactly-once and has its own batches, written with its
//! records (`platforms::push`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use ce_entity::idempotent_request as row;

use crate::error::ServiceError;
use crate::state::AppState;

/// How long an answer is replayed.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// How long a claim without an answer blocks its key: longer than any
/// request may take (uploads included), short enough for a retry after a
/// crash.
pub const ABANDONED_AFTER: Duration = Duration::minutes(10);

/// A kept answer, as the routes replay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub status: u16,
    /// The headers worth replaying (content type, location, ETag), in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What a key says about a request that carries it.
#[derive(Debug)]
pub enum Claim {
    /// The key is new (or its earlier use expired or was abandoned): the
    /// request runs, then [`answer`] or [`release`].
    Claimed,
    /// Answered before: replay if `request_hash` matches the request's.
    Answered {
        request_hash: String,
        answer: StoredAnswer,
    },
    /// A request with this key is still being answered.
    InFlight,
}

/// Claims `key` for `caller`, or says why not.
pub async fn claim(state: &AppState, caller: Uuid, key: &str) -> Result<Claim, ServiceError> {
    let now = Utc::now();
    purge_expired(state, now).await?;
    loop {
        let fresh = row::ActiveModel {
            caller_id: Set(caller),
            idempotency_key: Set(key.to_string()),
            request_hash: Set(None),
            response_status: Set(None),
            response: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        };
        match row::Entity::insert(fresh).exec(&state.db).await {
            Ok(_) => return Ok(Claim::Claimed),
            Err(e) if crate::error::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(found) = row::Entity::find_by_id((caller, key.to_string()))
            .one(&state.db)
            .await?
        else {
            // Released or purged between the insert and the read: try again.
            continue;
        };
        if let Some(claim) = standing_claim(state, &found, now)? {
            return Ok(claim);
        }
        // Expired or abandoned: take it over unless another request just did.
        let taken = row::Entity::update_many()
            .col_expr(row::Column::CreatedAt, Expr::value(now))
            .col_expr(row::Column::CompletedAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(row::Column::RequestHash, Expr::value(None::<String>))
            .col_expr(row::Column::ResponseStatus, Expr::value(None::<i16>))
            .col_expr(row::Column::Response, Expr::value(None::<Vec<u8>>))
            .filter(row::Column::CallerId.eq(caller))
            .filter(row::Column::IdempotencyKey.eq(key))
            .filter(row::Column::CreatedAt.eq(found.created_at))
            .exec(&state.db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Claim::Claimed);
        }
    }
}

/// What a row found under the key means now; `None` when it is expired or
/// abandoned and may be taken over.
fn standing_claim(
    state: &AppState,
    found: &row::Model,
    now: DateTime<Utc>,
) -> Result<Option<Claim>, ServiceError> {
    match (found.completed_at, &found.request_hash, &found.response) {
        (Some(_), Some(hash), Some(sealed)) if now - found.created_at < KEPT_FOR => {
            let plain = state.pii.decrypt(sealed).map_err(ServiceError::Internal)?;
            let answer: StoredAnswer = serde_json::from_str(&plain)
                .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored answer: {e}")))?;
            Ok(Some(Claim::Answered {
                request_hash: hash.clone(),
                answer,
            }))
        }
        (None, _, _) if now - found.created_at < ABANDONED_AFTER => Ok(Some(Claim::InFlight)),
        _ => Ok(None),
    }
}

/// Keeps the 2xx answer of the request that claimed `key`.
pub async fn answer(
    state: &AppState,
    caller: Uuid,
    key: &str,
    request_hash: &str,
    answer: &StoredAnswer,
) -> Result<(), ServiceError> {
    let plain = serde_json::to_string(answer)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("answer to JSON: {e}")))?;
    let sealed = state.pii.encrypt(&plain).map_err(ServiceError::Internal)?;
    row::ActiveModel {
        caller_id: Set(caller),
        idempotency_key: Set(key.to_string()),
        request_hash: Set(Some(request_hash.to_string())),
        response_status: Set(Some(answer.status as i16)),
        response: Set(Some(sealed)),
        completed_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(())
}

/// Frees `key` after a request that created nothing (4xx, 5xx, an error).
pub async fn release(state: &AppState, caller: Uuid, key: &str) -> Result<(), ServiceError> {
    row::Entity::delete_many()
        .filter(row::Column::CallerId.eq(caller))
        .filter(row::Column::IdempotencyKey.eq(key))
        .filter(row::Column::CompletedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Deletes answers past [`KEPT_FOR`] (by the index on `created_at`).
async fn purge_expired(state: &AppState, now: DateTime<Utc>) -> Result<(), ServiceError> {
    row::Entity::delete_many()
        .filter(row::Column::CreatedAt.lt(now - KEPT_FOR))
        .filter(row::Column::CompletedAt.is_not_null())
        .exec(&state.db)
        .await?;
    Ok(())
}
