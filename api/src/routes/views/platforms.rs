//! The platforms' answers on the wire: the outcome of a push, and what a
//! pushed item is (its schema; the service reads each item itself).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::push::ItemOutcome;
use crate::domain::record::{RecordCategory, RecordStatus};
use crate::platforms::push;

/// One completion, as a platform sends it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushItem {
    /// The platform's own id of this completion: sending it again never
    /// adds hours twice.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"\S",
        example = "course-42/user-7"
    )]
    pub external_id: String,
    /// The learner's resident ID number (GB 11643).
    #[schema(min_length = 18, max_length = 18, example = "11010519491231002X")]
    pub id_card_no: String,
    /// The learner's name as on the ID card.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    pub name: String,
    /// The year the hours count for.
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    pub year: i32,
    pub category: RecordCategory,
    /// The series professional hours count for (required for them; ignored
    /// on public hours, which count for every series).
    #[serde(default)]
    #[schema(max_length = 64, nullable = false, example = "nursing")]
    pub series: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "中国式现代化"
    )]
    pub course_name: String,
    #[schema(minimum = 0.1, maximum = 1000, multiple_of = 0.1, example = 30)]
    pub hours: f64,
    /// The assessment result (考核结果), e.g. `合格`.
    #[serde(default)]
    #[schema(max_length = 100, nullable = false)]
    pub result: Option<String>,
    /// When the learner completed the course.
    pub completed_at: DateTime<Utc>,
    /// A general-knowledge subject (专业通识知识: ethics, law, reform) of
    /// an accounting series (R-ACC-1); professional hours only.
    #[serde(default)]
    #[schema(default = false)]
    pub general_knowledge: bool,
    /// The public topic of the year the hours belong to (R-RC-8); public
    /// hours only. Without it, a `course_name` that is one of the year's
    /// topics names it; a year that publishes topics refuses public hours
    /// of none (`public_topic_unknown`).
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        nullable = false,
        example = "中国式现代化"
    )]
    pub topic: Option<String>,
}

/// The outcome of one item, in the order sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    /// The item's position in the batch, from 0.
    #[schema(minimum = 0, maximum = 999)]
    pub index: u32,
    /// The item's `external_id`, when it had a readable one.
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    /// What became of the item.
    // Batches stored before the field was renamed kept it as `status`.
    #[serde(alias = "status")]
    pub outcome: ItemOutcome,
    /// The record, when accepted or a duplicate.
    pub record_id: Option<Uuid>,
    /// The record's own state when accepted or a duplicate: `approved`
    /// (recognised: counts now) or `pending_unit_review` (waits for the
    /// person's unit). A batch read again says the record's state now.
    #[serde(default)]
    pub record_status: Option<RecordStatus>,
    /// Why it was rejected: `item_invalid`, `id_card_invalid`,
    /// `hours_invalid`, `person_unknown`, `name_mismatch`,
    /// `category_not_allowed`, `series_required`, `series_unknown`,
    /// `series_not_allowed`, `year_mismatch`, `completed_in_future`,
    /// `public_deadline_passed` (R-RC-8), `public_platform_mismatch`
    /// (R-RC-9), `conflict` (the `external_id` was sent before with other
    /// content).
    #[schema(max_length = 64, example = "name_mismatch")]
    pub code: Option<String>,
    #[schema(max_length = 1000)]
    pub detail: Option<String>,
}

impl From<push::ItemResult> for ItemResult {
    fn from(v: push::ItemResult) -> Self {
        Self {
            index: v.index,
            external_id: v.external_id,
            outcome: v.outcome,
            record_id: v.record_id,
            record_status: v.record_status,
            code: v.code,
            detail: v.detail,
        }
    }
}

/// A batch's outcome, stored and readable again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchOutcome {
    pub batch_id: Uuid,
    pub platform_id: Uuid,
    pub received_at: DateTime<Utc>,
    #[schema(minimum = 0, maximum = 1000)]
    pub accepted: u32,
    #[schema(minimum = 0, maximum = 1000)]
    pub duplicate: u32,
    #[schema(minimum = 0, maximum = 1000)]
    pub rejected: u32,
    pub items: Vec<ItemResult>,
}

impl From<push::BatchOutcome> for BatchOutcome {
    fn from(v: push::BatchOutcome) -> Self {
        Self {
            batch_id: v.batch_id,
            platform_id: v.platform_id,
            received_at: v.received_at,
            accepted: v.accepted,
            duplicate: v.duplicate,
            rejected: v.rejected,
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}
