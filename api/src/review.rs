//! The one review mechanism (R-RV-1): every decision on a plan,
//! qualification, authority application, binding or record is kept with
//! who, in which role, when and with what comment; items carry a `version`
//! so two reviewers cannot both decide the same item.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use ce_entity::review;

use crate::auth::Role;
use crate::error::ServiceError;

/// One item's outcome in a batch review.
#[derive(Debug, Clone)]
pub struct BatchReviewResult {
    pub id: Uuid,
    /// Whether the decision was applied.
    pub ok: bool,
    /// The item's status after the decision, when applied.
    pub status: Option<String>,
    /// Why not, when not applied (`not_found`, `illegal_transition`, …).
    pub code: Option<String>,
}

/// A decision as kept.
#[derive(Debug, Clone)]
pub struct Review {
    /// `approve`, `reject_close`, `reject_return` (or `reject` for bindings).
    pub decision: String,
    pub comment: Option<String>,
    pub reviewer_account_id: Uuid,
    pub reviewer_role: Role,
    pub decided_at: DateTime<Utc>,
}

/// Who decides.
#[derive(Debug, Clone, Copy)]
pub struct Reviewer {
    pub account_id: Uuid,
    pub role: Role,
}

/// Keeps a decision, inside the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    entity_type: &str,
    entity_id: Uuid,
    decision: &str,
    comment: Option<&str>,
    reviewer: Reviewer,
) -> Result<(), ServiceError> {
    review::ActiveModel {
        id: Set(Uuid::now_v7()),
        entity_type: Set(entity_type.into()),
        entity_id: Set(entity_id),
        decision: Set(decision.into()),
        comment: Set(comment.map(str::to_string)),
        reviewer_account_id: Set(reviewer.account_id),
        reviewer_role: Set(reviewer.role.as_str().into()),
        decided_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The decisions on an item, oldest first.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    entity_type: &str,
    entity_id: Uuid,
) -> Result<Vec<Review>, ServiceError> {
    let rows = review::Entity::find()
        .filter(review::Column::EntityType.eq(entity_type))
        .filter(review::Column::EntityId.eq(entity_id))
        .order_by_asc(review::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Review {
            decision: r.decision,
            comment: r.comment,
            reviewer_account_id: r.reviewer_account_id,
            reviewer_role: Role::parse(&r.reviewer_role).unwrap_or(Role::Hrss),
            decided_at: r.decided_at,
        })
        .collect())
}

/// 412 unless `expected` (from `If-Match`) is absent or current.
pub fn check_version(expected: Option<i32>, current: i32) -> Result<(), ServiceError> {
    match expected {
        Some(e) if e != current => Err(ServiceError::PreconditionFailed {
            expected: e,
            current: Some(current),
        }),
        _ => Ok(()),
    }
}

/// 412 unless a conditional `UPDATE … WHERE version = ?` changed exactly
/// one row: someone else changed the item between our read and our write.
pub fn updated_once(rows_affected: u64, read_version: i32) -> Result<(), ServiceError> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(ServiceError::PreconditionFailed {
            expected: read_version,
            current: None,
        })
    }
}

/// Writes `changes` to the row `id` and bumps its version, only if the
/// version is still `version`: of two concurrent writers one wins, the
/// other gets 412. `updated_at` is set to now.
pub async fn write_versioned<E, C>(
    conn: &C,
    cols: Versioned<E::Column>,
    id: Uuid,
    version: i32,
    changes: Vec<(E::Column, SimpleExpr)>,
) -> Result<(), ServiceError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut update = E::update_many()
        .col_expr(cols.version, Expr::col(cols.version).add(1))
        .col_expr(cols.updated_at, Expr::value(Utc::now()));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    let res = update
        .filter(cols.id.eq(id))
        .filter(cols.version.eq(version))
        .exec(conn)
        .await?;
    updated_once(res.rows_affected, version)
}

/// [`write_versioned`] and the audit event of the change, in one
/// transaction (R-CR-2).
pub async fn write_audited<E>(
    db: &sea_orm::DatabaseConnection,
    cols: Versioned<E::Column>,
    id: Uuid,
    version: i32,
    changes: Vec<(E::Column, SimpleExpr)>,
    change: crate::audit::Change,
) -> Result<(), ServiceError>
where
    E: EntityTrait,
{
    let txn = crate::db::begin_write(db).await?;
    write_versioned::<E, _>(&txn, cols, id, version, changes).await?;
    crate::audit::record(&txn, change).await?;
    txn.commit().await?;
    Ok(())
}

/// The id, version and update-time columns of a versioned table.
#[derive(Debug, Clone, Copy)]
pub struct Versioned<Col> {
    pub id: Col,
    pub version: Col,
    pub updated_at: Col,
}

/// A reviewed table: what `reviews.entity_type` calls its items, and its
/// versioned and status columns.
#[derive(Debug, Clone, Copy)]
pub struct Reviewed<Col> {
    pub entity: &'static str,
    pub cols: Versioned<Col>,
    pub status: Col,
}

/// A decision as it is kept (R-RV-1: who, when, with what comment).
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub decision: &'a str,
    pub comment: Option<&'a str>,
    pub reviewer: Reviewer,
}

/// Inside the caller's transaction: moves the item to status `to` if it is
/// still at `version` (else 412), and keeps the decision.
pub async fn apply<E: EntityTrait>(
    txn: &DatabaseTransaction,
    kind: &Reviewed<E::Column>,
    id: Uuid,
    version: i32,
    to: &str,
    decided: Decided<'_>,
) -> Result<(), ServiceError> {
    write_versioned::<E, _>(
        txn,
        kind.cols,
        id,
        version,
        vec![(kind.status, Expr::value(to))],
    )
    .await?;
    record(
        txn,
        kind.entity,
        id,
        decided.decision,
        decided.comment,
        decided.reviewer,
    )
    .await
}

/// The audit event of a decision on the `kind` item `id` (R-CR-2): the
/// caller adds whose item it is and writes it in the decision's
/// transaction.
pub fn change<Col>(
    kind: &Reviewed<Col>,
    id: Uuid,
    from: &str,
    to: &str,
    decided: &Decided<'_>,
) -> crate::audit::Change {
    crate::audit::Change::new(kind.entity, id, "reviewed")
        .before(serde_json::json!({ "status": from }))
        .after(serde_json::json!({
            "status": to,
            "decision": decided.decision,
            "comment": decided.comment,
        }))
}

/// 批量审核: the same decision on each id, each decided on its own by
/// `one` (which answers the item's new status), in the order of `ids`.
pub async fn batch<F, Fut>(ids: &[Uuid], mut one: F) -> Result<Vec<BatchReviewResult>, ServiceError>
where
    F: FnMut(Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<String, ServiceError>>,
{
    let mut results = Vec::with_capacity(ids.len());
    for &id in ids {
        results.push(batch_result(id, one(id).await)?);
    }
    Ok(results)
}

/// The error for a decision the state machine refuses.
pub fn illegal(from: &str, what: &str) -> ServiceError {
    ServiceError::conflict(
        "illegal_transition",
        format!("cannot {what} an item that is {from}"),
    )
}

/// One item's line in a batch review: decided, or why not. Items outside
/// the caller's scope read as `not_found`, like a single review's 404;
/// unexpected errors fail the whole batch.
pub fn batch_result(
    id: Uuid,
    outcome: Result<String, ServiceError>,
) -> Result<BatchReviewResult, ServiceError> {
    let failed = |code: &str| BatchReviewResult {
        id,
        ok: false,
        status: None,
        code: Some(code.to_string()),
    };
    Ok(match outcome {
        Ok(status) => BatchReviewResult {
            id,
            ok: true,
            status: Some(status),
            code: None,
        },
        Err(ServiceError::NotFound(_) | ServiceError::Forbidden { .. }) => failed("not_found"),
        Err(ServiceError::PreconditionFailed { .. }) => failed("version_mismatch"),
        Err(
            ServiceError::Conflict { code, .. }
            | ServiceError::Invalid { code, .. }
            | ServiceError::UnsupportedType { code, .. },
        ) => failed(code),
        Err(e) => return Err(e),
    })
}
