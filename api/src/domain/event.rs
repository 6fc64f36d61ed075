//! What a webhook announces: the event types of the outbox and of
//! subscriptions (their spelling is the contract).

use ce_entity::state::RecordStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// A certificate was issued (R-CE-1), or reissued under a new number.
    #[serde(rename = "certificate.issued")]
    CertificateIssued,
    /// hrss revoked a certificate.
    #[serde(rename = "certificate.revoked")]
    CertificateRevoked,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::RecordApproved,
        EventType::RecordReturned,
        EventType::RecordClosed,
        EventType::CertificateIssued,
        EventType::CertificateRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RecordApproved => "record.approved",
            EventType::RecordReturned => "record.returned",
            EventType::RecordClosed => "record.closed",
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
            RecordStatus::PendingUnitReview => None,
        }
    }
}
