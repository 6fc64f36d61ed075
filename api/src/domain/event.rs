//! What a webhook announces: the event types of the outbox and of
//! subscriptions (their spelling is the contract).

use ce_entity::state::{CertificateStatus, RecordStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// The unit approved a record (R-RV-1).
    #[serde(rename = "record.approved")]
    RecordApproved,
    /// The unit returned a record to the person to change.
    #[serde(rename = "record.returned")]
    RecordReturned,
    /// The unit refused a record for good.
    #[serde(rename = "record.closed")]
    RecordClosed,
    /// hrss found a record untruthful (R-RC-12): it counts for nothing.
    #[serde(rename = "record.invalidated")]
    RecordInvalidated,
    /// A certificate was issued (R-CE-1), or reissued under a new number.
    #[serde(rename = "certificate.issued")]
    CertificateIssued,
    /// hrss revoked a certificate.
    #[serde(rename = "certificate.revoked")]
    CertificateRevoked,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::RecordApproved,
        EventType::RecordReturned,
        EventType::RecordClosed,
        EventType::RecordInvalidated,
        EventType::CertificateIssued,
        EventType::CertificateRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RecordApproved => "record.approved",
            EventType::RecordReturned => "record.returned",
            EventType::RecordClosed => "record.closed",
            EventType::RecordInvalidated => "record.invalidated",
            EventType::CertificateIssued => "certificate.issued",
            EventType::CertificateRevoked => "certificate.revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The event of a record's new status, if that status is announced.
    pub fn of_record_status(status: RecordStatus) -> Option<Self> {
        match status {
            RecordStatus::Approved => Some(EventType::RecordApproved),
            RecordStatus::Returned => Some(EventType::RecordReturned),
            RecordStatus::Closed => Some(EventType::RecordClosed),
            RecordStatus::Invalidated => Some(EventType::RecordInvalidated),
            RecordStatus::PendingUnitReview => None,
        }
    }
}

/// `data` of a `record.*` event: the record and where it stands now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordEventData {
    pub record_id: Uuid,
    pub person_id: Uuid,
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    pub year: i32,
    /// `public`, `professional` or `elective`.
    #[schema(max_length = 16, example = "professional")]
    pub category: String,
    /// The record's state after the decision the event announces.
    pub status: RecordStatus,
    /// The unit that reviewed it.
    pub unit_id: Option<Uuid>,
    /// The platform that pushed it, and the platform's own id of the item.
    pub platform_id: Option<Uuid>,
    #[schema(max_length = 128, example = "course-42/user-7")]
    pub external_id: Option<String>,
}

/// `data` of a `certificate.*` event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateEventData {
    pub certificate_id: Uuid,
    /// The number that `GET /api/v1/verify/{number}` checks.
    #[schema(max_length = 32, example = "GD2026000123")]
    pub number: String,
    pub person_id: Uuid,
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    pub year: i32,
    pub status: CertificateStatus,
    /// The unit the person was with when it was issued.
    pub unit_id: Option<Uuid>,
}

/// The body of a `record.approved`, `record.returned`, `record.closed` or
/// `record.invalidated` delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordEvent {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the event happened (whole seconds, UTC).
    pub timestamp: DateTime<Utc>,
    pub data: RecordEventData,
}

/// The body of a `certificate.issued` or `certificate.revoked` delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateEvent {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the event happened (whole seconds, UTC).
    pub timestamp: DateTime<Utc>,
    pub data: CertificateEventData,
}
