//! Reviews on the wire: the decision a reviewer sends, the outcomes of a
//! batch, and the decisions kept on an item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Role;
use crate::domain::review::Decision;
use crate::review;

/// A review decision with an optional comment (R-RV-1).
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"decision": "approve", "comment": "材料齐全，准予通过"}))]
pub struct ReviewRequest {
    pub decision: Decision,
    /// Why; shown to the submitter.
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub comment: Option<String>,
}

/// The same decision on many items (批量审核).
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"], "decision": "approve", "comment": "批量审核通过"}))]
pub struct BatchReviewRequest {
    /// The items to decide, at most 100.
    #[schema(min_items = 1, max_items = 100)]
    #[validate(length(min = 1, max = 100))]
    pub ids: Vec<Uuid>,
    pub decision: Decision,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub comment: Option<String>,
}

/// The outcomes of a batch review, in the order of `ids`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchReviewResponse {
    pub results: Vec<BatchReviewResult>,
}

/// One item's outcome in a batch review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchReviewResult {
    pub id: Uuid,
    /// Whether the decision was applied.
    pub ok: bool,
    /// The item's status after the decision, when applied.
    pub status: Option<String>,
    /// Why not, when not applied (`not_found`, `illegal_transition`, …).
    pub code: Option<String>,
}

impl From<review::BatchReviewResult> for BatchReviewResult {
    fn from(v: review::BatchReviewResult) -> Self {
        Self {
            id: v.id,
            ok: v.ok,
            status: v.status,
            code: v.code,
        }
    }
}

/// A decision as kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewView {
    /// `approve`, `reject_close`, `reject_return` (or `reject` for bindings).
    pub decision: String,
    pub comment: Option<String>,
    pub reviewer_account_id: Uuid,
    pub reviewer_role: Role,
    pub decided_at: DateTime<Utc>,
}

impl From<review::Review> for ReviewView {
    fn from(v: review::Review) -> Self {
        Self {
            decision: v.decision,
            comment: v.comment,
            reviewer_account_id: v.reviewer_account_id,
            reviewer_role: v.reviewer_role,
            decided_at: v.decided_at,
        }
    }
}
