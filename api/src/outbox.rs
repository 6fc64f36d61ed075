//! The outbox of events (R-CR-2's companion for integrators): inside the
//! transaction of a change, [`emit`] writes the event and one pending
//! delivery per subscribed endpoint, so an event exists exactly when its
//! change does. Below every use case that announces something (records'
//! decisions, certificates); the webhooks (`platforms::webhooks`) register
//! endpoints and deliver what is written here.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use ce_entity::{webhook, webhook_delivery, webhook_event};

use crate::error::ServiceError;

/// Where a delivery stands (`webhook_deliveries.status`).
pub use ce_entity::state::DeliveryStatus;
use ce_entity::state::RecordStatus;

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

/// Who an endpoint belongs to, and so which events it may hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscriber {
    /// Events of records the platform pushed.
    Platform(Uuid),
    /// Events of records sent to the unit and certificates issued while the
    /// person was with it.
    Unit(Uuid),
}

impl Subscriber {
    pub fn parts(self) -> (&'static str, Uuid) {
        match self {
            Subscriber::Platform(id) => ("platform", id),
            Subscriber::Unit(id) => ("unit", id),
        }
    }
}

/// Inside the transaction of a change: writes the event and a pending
/// delivery for each active endpoint of `subscribers` that wants it.
pub async fn emit<C: ConnectionTrait>(
    conn: &C,
    event: EventType,
    subscribers: &[Subscriber],
    data: serde_json::Value,
) -> Result<(), ServiceError> {
    if subscribers.is_empty() {
        return Ok(());
    }
    let mut any = sea_orm::Condition::any();
    for s in subscribers {
        let (t, id) = s.parts();
        any = any.add(
            sea_orm::Condition::all()
                .add(webhook::Column::OwnerType.eq(t))
                .add(webhook::Column::OwnerId.eq(id)),
        );
    }
    let endpoints: Vec<webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::DisabledAt.is_null())
        .filter(any)
        .all(conn)
        .await?
        .into_iter()
        .filter(|w| {
            serde_json::from_value::<Vec<EventType>>(w.events.clone())
                .is_ok_and(|e| e.contains(&event))
        })
        .collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    webhook_event::ActiveModel {
        id: Set(id),
        event_type: Set(event.as_str().into()),
        payload: Set(serde_json::json!({
            "type": event.as_str(),
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": data,
        })),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    for w in endpoints {
        webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            webhook_id: Set(w.id),
            event_id: Set(id),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_status: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}
