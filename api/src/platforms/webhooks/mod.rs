//! Webhooks: a platform or a unit registers an endpoint; record decisions
//! and certificate issue and revocation, written to the outbox
//! (`crate::outbox`) in the transaction of the change, are delivered to it.
//!
//! - registration and the delivery log: this module;
//! - [`address`]: which addresses the server may call;
//! - [`worker`]: delivery, signatures, retries.

pub mod address;
pub mod worker;

use crate::audit::{self, Change};
use serde_json::json;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use ce_entity::{webhook, webhook_attempt, webhook_delivery, webhook_event};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs};
use crate::crypto::random_bytes;
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::state::AppState;

use crate::outbox::DeliveryStatus;
pub use crate::outbox::{EventType, Subscriber, emit};
use address::check_public_literal;
pub use address::check_url;
pub use worker::{deliver_due, run_worker, sign};

/// A registered endpoint.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: Uuid,
    /// `platform` or `unit`.
    pub owner_type: String,
    pub owner_id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint with its signing secret, shown only this once.
#[derive(Debug, Clone)]
pub struct WebhookCreated {
    pub webhook: Webhook,
    /// `whsec_` and the base64 key that signs every delivery.
    pub secret: String,
}

/// One attempt at a delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why it failed without an answer (connection refused, timeout…).
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    /// `pending` (waiting for its next attempt), `delivered` or `failed`
    /// (gave up; replay it).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body that was (or will be) sent.
    pub payload: serde_json::Value,
    pub log: Vec<Attempt>,
}

/// A page of deliveries.
#[derive(Debug, Clone)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// A page of endpoints.
#[derive(Debug, Clone)]
pub struct WebhookPage {
    pub items: Vec<Webhook>,
    pub next_cursor: Option<String>,
}

fn view(m: &webhook::Model) -> Webhook {
    Webhook {
        id: m.id,
        owner_type: m.owner_type.clone(),
        owner_id: m.owner_id,
        url: m.url.clone(),
        events: serde_json::from_value(m.events.clone()).unwrap_or_default(),
        created_at: m.created_at,
    }
}

/// The subscriber the caller may register for: a platform for itself, a
/// unit admin for `unit_id`.
fn subscriber_for(auth: &Caller, unit_id: Option<Uuid>) -> Result<Subscriber, ServiceError> {
    if auth.has_role(Role::Platform) {
        return Ok(Subscriber::Platform(auth.account_id()));
    }
    // Wrong role is 403 whatever the body names; a unit of someone else's 404.
    if !auth.has_role(Role::UnitAdmin) {
        return Err(ServiceError::forbidden(
            "forbidden",
            "webhooks are registered by platforms and unit admins",
        ));
    }
    match unit_id {
        Some(u) if holds(auth, Role::UnitAdmin, u) => Ok(Subscriber::Unit(u)),
        Some(_) => Err(ServiceError::NotFound("unit")),
        None => Err(ServiceError::invalid_field(
            "unit_required",
            "unit_id",
            "name the unit whose events the endpoint hears",
        )),
    }
}

/// 403 unless the caller holds a role that has endpoints (hrss oversees
/// all of them), so a wrong role is not told "not found".
fn require_webhook_role(auth: &Caller) -> Result<(), ServiceError> {
    crate::authz::require_any(auth, &[Role::Hrss, Role::UnitAdmin, Role::Platform])
}

/// Registers an endpoint; the secret is in the answer and nowhere else
/// readable (it is kept encrypted).
pub async fn create(
    state: &AppState,
    auth: &Caller,
    unit_id: Option<Uuid>,
    url: &str,
    events: Vec<EventType>,
) -> Result<WebhookCreated, ServiceError> {
    let sub = subscriber_for(auth, unit_id)?;
    let url = check_url(url)?;
    check_public_literal(&url, state.settings.webhooks.allow_private_addresses)?;
    let mut events: Vec<EventType> = if events.is_empty() {
        EventType::ALL.to_vec()
    } else {
        events
    };
    events.sort_by_key(|e| e.as_str());
    events.dedup();
    let secret = format!("whsec_{}", STANDARD.encode(random_bytes::<32>()));
    let (owner_type, owner_id) = sub.parts();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_type: Set(owner_type.into()),
        owner_id: Set(owner_id),
        url: Set(url),
        secret_enc: Set(state.pii.encrypt(&secret)?),
        events: Set(serde_json::to_value(&events).map_err(anyhow::Error::from)?),
        created_by: Set(auth.account_id()),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        webhook_change(&m, "created").after(json!({"url": m.url, "events": m.events})),
    )
    .await?;
    txn.commit().await?;
    Ok(WebhookCreated {
        webhook: view(&m),
        secret,
    })
}

/// A change of the endpoint `w`; a unit's endpoint is the unit's to read.
fn webhook_change(w: &webhook::Model, action: &'static str) -> Change {
    Change::new("webhook", w.id, action).unit((w.owner_type == "unit").then_some(w.owner_id))
}

fn may_manage(auth: &Caller, w: &webhook::Model) -> bool {
    auth.has_role(Role::Hrss)
        || match w.owner_type.as_str() {
            "platform" => auth.has_role(Role::Platform) && auth.account_id() == w.owner_id,
            "unit" => holds(auth, Role::UnitAdmin, w.owner_id),
            _ => false,
        }
}

async fn load(state: &AppState, auth: &Caller, id: Uuid) -> Result<webhook::Model, ServiceError> {
    require_webhook_role(auth)?;
    webhook::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|w| w.disabled_at.is_none() && may_manage(auth, w))
        .ok_or(ServiceError::NotFound("webhook"))
}

/// The caller's endpoints (a platform its own, a unit admin their units',
/// hrss all).
pub async fn list(
    state: &AppState,
    auth: &Caller,
    page: Page,
) -> Result<WebhookPage, ServiceError> {
    require_webhook_role(auth)?;
    let mut q = webhook::Entity::find().filter(webhook::Column::DisabledAt.is_null());
    if !auth.has_role(Role::Hrss) {
        let mut any = sea_orm::Condition::any().add(
            sea_orm::Condition::all()
                .add(webhook::Column::OwnerType.eq("unit"))
                .add(webhook::Column::OwnerId.is_in(orgs(auth, Role::UnitAdmin))),
        );
        if auth.has_role(Role::Platform) {
            any = any.add(
                sea_orm::Condition::all()
                    .add(webhook::Column::OwnerType.eq("platform"))
                    .add(webhook::Column::OwnerId.eq(auth.account_id())),
            );
        }
        q = q.filter(any);
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, webhook::Column::Id, false, |w| w.id)
        .await?;
    Ok(WebhookPage {
        items: rows.iter().map(view).collect(),
        next_cursor,
    })
}

/// Stops an endpoint: nothing more is sent to it; its log stays readable
/// to hrss.
pub async fn disable(state: &AppState, auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    let w = load(state, auth, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    webhook::Entity::update_many()
        .col_expr(webhook::Column::DisabledAt, Expr::value(Utc::now()))
        .filter(webhook::Column::Id.eq(w.id))
        .exec(&txn)
        .await?;
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value("endpoint removed"),
        )
        .filter(webhook_delivery::Column::WebhookId.eq(w.id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        webhook_change(&w, "removed").before(json!({"url": w.url, "events": w.events})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An endpoint's deliveries, newest first, with every attempt.
pub async fn deliveries(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    page: Page,
) -> Result<DeliveryPage, ServiceError> {
    let w = load(state, auth, id).await?;
    let q = webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(w.id));
    let (rows, next_cursor) = page
        .load(&state.db, q, webhook_delivery::Column::Id, true, |d| d.id)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let events: Vec<Uuid> = rows.iter().map(|d| d.event_id).collect();
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(&state.db)
        .await?;
    let events: std::collections::HashMap<Uuid, webhook_event::Model> =
        webhook_event::Entity::find()
            .filter(webhook_event::Column::Id.is_in(events))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let items = rows
        .into_iter()
        .filter_map(|d| {
            let e = events.get(&d.event_id)?;
            Some(Delivery {
                id: d.id,
                event_id: d.event_id,
                event_type: EventType::parse(&e.event_type)?,
                status: d.status.as_str().into(),
                attempts: d.attempts,
                next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
                delivered_at: d.delivered_at,
                created_at: d.created_at,
                payload: e.payload.clone(),
                log: attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| Attempt {
                        attempt: a.attempt,
                        at: a.at,
                        status_code: a.status_code,
                        error: a.error.clone(),
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(DeliveryPage { items, next_cursor })
}

/// Sends a delivery again now, with a fresh set of attempts (the receiver
/// de-duplicates by `webhook-id`).
pub async fn replay(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    delivery_id: Uuid,
) -> Result<(), ServiceError> {
    let w = load(state, auth, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let res = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(Utc::now()),
        )
        .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(webhook_delivery::Column::Id.eq(delivery_id))
        .filter(webhook_delivery::Column::WebhookId.eq(w.id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("delivery"));
    }
    audit::record(
        &txn,
        webhook_change(&w, "delivery_replayed").after(json!({"delivery_id": delivery_id})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
