//! Webhooks: a platform or a unit registers an endpoint; record decisions
//! and certificate issue and revocation become events.
//!
//! - **Outbox**: [`emit`] runs inside the transaction of the change and
//!   writes the event and one pending delivery per subscribed endpoint, so
//!   an event exists exactly when its change does.
//! - **Worker**: [`run_worker`] delivers due deliveries, claiming each with
//!   a conditional update (several server processes may run workers), and
//!   retries failures with exponential backoff and jitter; every attempt is
//!   logged. A receiver that is down loses nothing: the delivery waits.
//! - **Signatures** follow Standard Webhooks: headers `webhook-id` (the
//!   event id, the same on every retry, for de-duplication),
//!   `webhook-timestamp` (Unix seconds; reject old ones to stop replays) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`
//!   where the key is the base64 after `whsec_` of the secret.

use crate::audit::{self, Change};
use serde_json::json;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use uuid::Uuid;

use ce_entity::{webhook, webhook_attempt, webhook_delivery, webhook_event};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs};
use crate::crypto::random_bytes;
use crate::error::ServiceError;
use crate::service::pagination::Page;
use crate::state::AppState;

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
    pub fn of_record_status(status: &str) -> Option<Self> {
        match status {
            "approved" => Some(EventType::RecordApproved),
            "returned" => Some(EventType::RecordReturned),
            "closed" => Some(EventType::RecordClosed),
            _ => None,
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
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Subscriber::Platform(id) => ("platform", id),
            Subscriber::Unit(id) => ("unit", id),
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

/// A new endpoint with its signing secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 key that signs every delivery.
    #[schema(min_length = 50, max_length = 64)]
    pub secret: String,
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

/// A page of deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

/// A page of endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookPage {
    pub items: Vec<WebhookView>,
    pub next_cursor: Option<String>,
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const FAILED: &str = "failed";

fn view(m: &webhook::Model) -> WebhookView {
    WebhookView {
        id: m.id,
        owner_type: m.owner_type.clone(),
        owner_id: m.owner_id,
        url: m.url.clone(),
        events: serde_json::from_value(m.events.clone()).unwrap_or_default(),
        created_at: m.created_at,
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local (cloud metadata), shared, unspecified, broadcast or multicast.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The host and port an endpoint address names.
fn host_port(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_matches(['[', ']']).to_string();
    Some((host, u.port_or_known_default()?))
}

/// Refuses an endpoint on the server's own networks when registering
/// (literal addresses and `localhost`), unless
/// `webhooks.allow_private_addresses`.
fn check_public_literal(url: &str, allow_private: bool) -> Result<(), ServiceError> {
    if allow_private {
        return Ok(());
    }
    let Some((host, _)) = host_port(url) else {
        return Err(ServiceError::invalid_field(
            "url_invalid",
            "url",
            "not a valid address",
        ));
    };
    let lower = host.to_ascii_lowercase();
    let private = lower == "localhost"
        || lower.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| !is_public(ip));
    if private {
        return Err(ServiceError::invalid_field(
            "url_not_allowed",
            "url",
            "the address is on a loopback or private network",
        ));
    }
    Ok(())
}

/// Before each delivery: every address the host resolves to must be public
/// (a name can point anywhere after registration).
async fn check_resolved(url: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let (host, port) = host_port(url).ok_or("not a valid address")?;
    let addrs = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("the host does not resolve: {e}"))?;
    for a in addrs {
        if !is_public(a.ip()) {
            return Err(format!(
                "refused: {host} resolves to {}, a loopback or private address",
                a.ip()
            ));
        }
    }
    Ok(())
}

/// Checks an endpoint address: absolute `http` or `https` with a host, no
/// credentials, at most 2,000 characters.
pub fn check_url(url: &str) -> Result<String, ServiceError> {
    let bad = |why: &str| ServiceError::invalid_field("url_invalid", "url", why.to_string());
    let url = url.trim();
    if url.len() > 2000 {
        return Err(bad("at most 2000 characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("no spaces or control characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("not an address: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("an http:// or https:// address"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the address names no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("no user or password in the address"));
    }
    Ok(url.to_string())
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
        .col_expr(webhook_delivery::Column::Status, Expr::value(FAILED))
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value("endpoint removed"),
        )
        .filter(webhook_delivery::Column::WebhookId.eq(w.id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
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
            Some(DeliveryView {
                id: d.id,
                event_id: d.event_id,
                event_type: EventType::parse(&e.event_type)?,
                status: d.status.clone(),
                attempts: d.attempts,
                next_attempt_at: (d.status == PENDING).then_some(d.next_attempt_at),
                delivered_at: d.delivered_at,
                created_at: d.created_at,
                payload: e.payload.clone(),
                log: attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| AttemptView {
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
        .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
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
            status: Set(PENDING.into()),
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

/// The `webhook-signature` value of a body (Standard Webhooks `v1`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// How long to wait after the `attempt`-th failure: base × 2^(attempt−1),
/// at most an hour, less up to a quarter at random so retries spread out.
pub fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(3_600_000);
    let jitter = rand::random::<u64>() % (capped / 4 + 1);
    Duration::from_millis(capped - jitter)
}

/// Delivers what is due, forever (one per server process; safe with many).
pub async fn run_worker(state: AppState) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(state.settings.webhooks.timeout_seconds))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker could not start");
            return;
        }
    };
    let every = Duration::from_millis(state.settings.webhooks.poll_interval_ms.max(10));
    loop {
        match deliver_due(&state, &http, 20).await {
            // A full batch: more may be waiting.
            Ok(n) if n >= 20 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery round failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// One round: claims up to `limit` due deliveries and attempts each.
pub async fn deliver_due(
    state: &AppState,
    http: &reqwest::Client,
    limit: u64,
) -> Result<usize, ServiceError> {
    let now = Utc::now();
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(&state.db)
        .await?;
    let mut done = 0;
    for d in due {
        // Claim: push its next attempt past the attempt's timeout; only
        // one process wins the update.
        let lease =
            now + chrono::Duration::seconds(state.settings.webhooks.timeout_seconds as i64 + 30);
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(lease))
            .filter(webhook_delivery::Column::Id.eq(d.id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(d.next_attempt_at))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected == 1 {
            attempt(state, http, d).await?;
            done += 1;
        }
    }
    Ok(done)
}

async fn attempt(
    state: &AppState,
    http: &reqwest::Client,
    d: webhook_delivery::Model,
) -> Result<(), ServiceError> {
    let (Some(w), Some(e)) = (
        webhook::Entity::find_by_id(d.webhook_id)
            .one(&state.db)
            .await?,
        webhook_event::Entity::find_by_id(d.event_id)
            .one(&state.db)
            .await?,
    ) else {
        return Ok(());
    };
    let secret = state.pii.decrypt(&w.secret_enc)?;
    let body = serde_json::to_vec(&e.payload).map_err(anyhow::Error::from)?;
    let ts = Utc::now().timestamp();
    let msg_id = e.id.to_string();
    let signature = sign(&secret, &msg_id, ts, &body)
        .ok_or_else(|| anyhow::anyhow!("webhook {} has an unreadable secret", w.id))?;
    let started = std::time::Instant::now();
    let sent = match check_resolved(&w.url, state.settings.webhooks.allow_private_addresses).await {
        Err(refused) => Err(refused),
        Ok(()) => http
            .post(&w.url)
            .header("content-type", "application/json")
            .header("user-agent", "ce-api-webhooks/1")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string()),
    };
    let took = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let (status_code, error) = match &sent {
        Ok(r) => (Some(i32::from(r.status().as_u16())), None),
        Err(err) => (None, Some(err.chars().take(500).collect::<String>())),
    };
    let ok = sent.as_ref().is_ok_and(|r| r.status().is_success());
    let n = d.attempts + 1;
    let now = Utc::now();
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        attempt: Set(n),
        at: Set(now),
        status_code: Set(status_code),
        error: Set(error.clone()),
        duration_ms: Set(took),
    }
    .insert(&state.db)
    .await?;
    let max = state.settings.webhooks.max_attempts.max(1) as i32;
    let (status, next) = if ok {
        (DELIVERED, now)
    } else if n >= max {
        (FAILED, now)
    } else {
        let wait = backoff(state.settings.webhooks.retry_base_ms, n as u32);
        (
            PENDING,
            now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)),
        )
    };
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(status))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(n))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            webhook_delivery::Column::LastStatus,
            Expr::value(status_code),
        )
        .col_expr(webhook_delivery::Column::LastError, Expr::value(error))
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(ok.then_some(now)),
        )
        .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's example.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("no-prefix", "a", 1, b""), None);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour_with_jitter() {
        for attempt in 1..30 {
            let d = backoff(1000, attempt).as_millis() as u64;
            let full = (1000u64 << (attempt - 1).min(20)).min(3_600_000);
            assert!(d <= full && d >= full - full / 4, "{attempt}: {d}");
        }
    }

    #[test]
    fn private_networks_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(check_public_literal("http://127.0.0.1:9/x", false).is_err());
        assert!(check_public_literal("http://localhost/x", false).is_err());
        assert!(check_public_literal("http://[::1]/x", false).is_err());
        assert!(check_public_literal("https://hr.example.com/x", false).is_ok());
        assert!(check_public_literal("http://127.0.0.1:9/x", true).is_ok());
    }

    #[tokio::test]
    async fn deliveries_to_names_of_private_addresses_are_refused() {
        let refused = check_resolved("http://localhost:9/x", false).await;
        assert!(refused.is_err_and(|e| e.contains("loopback or private")));
        assert!(check_resolved("http://localhost:9/x", true).await.is_ok());
    }

    #[test]
    fn endpoint_addresses_are_checked() {
        assert!(check_url("https://hr.example.com/hook").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "https://:80/",
            "https://u:p@x/",
            "http://a b/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
