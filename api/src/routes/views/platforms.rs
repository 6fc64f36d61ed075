//! The platforms' answers on the wire: the outcome of a push, what a
//! pushed item is (its schema; the service reads each item itself), webhook
//! endpoints and their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::event::EventType;
use crate::domain::push::ItemOutcome;
use crate::domain::record::{RecordCategory, RecordStatus};
use crate::platforms::{push, webhooks};

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
    /// An accounting conversion form the pushing system confirms itself
    /// (R-ACC-2, R-ACC-4): a code of the conversion table whose
    /// `confirmed_by` is `institute_push` (`cpa_continuing_education`: the
    /// CPA institute's system, 90 credits for the whole year, public
    /// included) or `platform_push` (`registered_online_platform`: 2.5
    /// credits an hour). With it, `hours` is the form's quantity (hours
    /// learned; ignored by a per-year form) and the record holds the
    /// credits; professional hours of an accounting series only. Absent:
    /// the item is hours as before.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 64,
        nullable = false,
        example = "cpa_continuing_education"
    )]
    pub conversion: Option<String>,
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

/// A registered endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    /// `platform` or `unit`.
    #[schema(example = "unit", max_length = 16)]
    pub owner_type: String,
    pub owner_id: Uuid,
    #[schema(max_length = 2000, example = "https://hr.example.com/ce-events")]
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: DateTime<Utc>,
}

impl From<webhooks::Webhook> for WebhookView {
    fn from(v: webhooks::Webhook) -> Self {
        Self {
            id: v.id,
            owner_type: v.owner_type,
            owner_id: v.owner_id,
            url: v.url,
            events: v.events,
            created_at: v.created_at,
        }
    }
}

/// A new endpoint with its signing secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 key that signs every delivery.
    #[schema(min_length = 50, max_length = 64)]
    pub secret: String,
}

impl From<webhooks::WebhookCreated> for WebhookCreated {
    fn from(v: webhooks::WebhookCreated) -> Self {
        Self {
            webhook: v.webhook.into(),
            secret: v.secret,
        }
    }
}

/// One attempt at a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    #[schema(minimum = 1)]
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    #[schema(minimum = 100, maximum = 599)]
    pub status_code: Option<i32>,
    /// Why it failed without an answer (connection refused, timeout…).
    #[schema(max_length = 500)]
    pub error: Option<String>,
    #[schema(minimum = 0)]
    pub duration_ms: i32,
}

impl From<webhooks::Attempt> for AttemptView {
    fn from(v: webhooks::Attempt) -> Self {
        Self {
            attempt: v.attempt,
            at: v.at,
            status_code: v.status_code,
            error: v.error,
            duration_ms: v.duration_ms,
        }
    }
}

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    /// `pending` (waiting for its next attempt), `delivered` or `failed`
    /// (gave up; replay it).
    #[schema(example = "delivered", max_length = 16)]
    pub status: String,
    #[schema(minimum = 0)]
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body that was (or will be) sent.
    pub payload: serde_json::Value,
    pub log: Vec<AttemptView>,
}

impl From<webhooks::Delivery> for DeliveryView {
    fn from(v: webhooks::Delivery) -> Self {
        Self {
            id: v.id,
            event_id: v.event_id,
            event_type: v.event_type,
            status: v.status,
            attempts: v.attempts,
            next_attempt_at: v.next_attempt_at,
            delivered_at: v.delivered_at,
            created_at: v.created_at,
            payload: v.payload,
            log: v.log.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

impl From<webhooks::DeliveryPage> for DeliveryPage {
    fn from(v: webhooks::DeliveryPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A page of endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookPage {
    pub items: Vec<WebhookView>,
    pub next_cursor: Option<String>,
}

impl From<webhooks::WebhookPage> for WebhookPage {
    fn from(v: webhooks::WebhookPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}
