//! The outbox of events (R-CR-2's companion for integrators): inside the
//! transaction of a change, [`emit`] writes the event and one pending
//! delivery per subscribed endpoint, so an event exists exactly when its
//! change does. Below every use case that announces something (records'
//! decisions, certificates); the webhooks (`platforms::webhooks`) register
//! endpoints and deliver what is written here.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use ce_entity::{webhook, webhook_delivery, webhook_event};

pub use crate::domain::event::EventType;
use crate::error::ServiceError;

/// Where a delivery stands (`webhook_deliveries.status`).
pub use ce_entity::state::DeliveryStatus;

/// Who an endpoint belongs to, and so which events it may hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    let endpoints = listening(conn, event, subscribers).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    write(conn, event, data, &endpoints).await
}

/// The same for many events of one type, each for one subscriber: one
/// query finds the endpoints of them all (a push that completes a hundred
/// years announces a hundred certificates; one query each cost the push
/// a tenth of its time in the benchmark).
pub async fn emit_each<C: ConnectionTrait>(
    conn: &C,
    event: EventType,
    events: Vec<(Subscriber, serde_json::Value)>,
) -> Result<(), ServiceError> {
    let subscribers: Vec<Subscriber> = events
        .iter()
        .map(|(s, _)| *s)
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    let mut endpoints: std::collections::HashMap<(&'static str, Uuid), Vec<webhook::Model>> =
        std::collections::HashMap::new();
    for chunk in subscribers.chunks(crate::db::IN_LIST_CHUNK / 2) {
        for w in listening(conn, event, chunk).await? {
            let owner = chunk
                .iter()
                .map(|s| s.parts())
                .find(|(t, id)| *t == w.owner_type && *id == w.owner_id);
            if let Some(owner) = owner {
                endpoints.entry(owner).or_default().push(w);
            }
        }
    }
    if endpoints.is_empty() {
        return Ok(());
    }
    for (subscriber, data) in events {
        if let Some(ws) = endpoints.get(&subscriber.parts()) {
            write(conn, event, data, ws).await?;
        }
    }
    Ok(())
}

/// The active endpoints of `subscribers` that want `event`.
async fn listening<C: ConnectionTrait>(
    conn: &C,
    event: EventType,
    subscribers: &[Subscriber],
) -> Result<Vec<webhook::Model>, ServiceError> {
    let mut any = sea_orm::Condition::any();
    for s in subscribers {
        let (t, id) = s.parts();
        any = any.add(
            sea_orm::Condition::all()
                .add(webhook::Column::OwnerType.eq(t))
                .add(webhook::Column::OwnerId.eq(id)),
        );
    }
    Ok(webhook::Entity::find()
        .filter(webhook::Column::DisabledAt.is_null())
        .filter(any)
        .all(conn)
        .await?
        .into_iter()
        .filter(|w| {
            serde_json::from_value::<Vec<EventType>>(w.events.clone())
                .is_ok_and(|e| e.contains(&event))
        })
        .collect())
}

/// The event and a pending delivery to each of `endpoints`.
async fn write<C: ConnectionTrait>(
    conn: &C,
    event: EventType,
    data: serde_json::Value,
    endpoints: &[webhook::Model],
) -> Result<(), ServiceError> {
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
