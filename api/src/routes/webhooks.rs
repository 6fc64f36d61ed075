//! Webhook endpoints of platforms and units, and their delivery logs.

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::platforms::webhooks::{self, EventType};
use crate::routes::pagination::PageQuery;
use crate::routes::views::platforms::{DeliveryPage, WebhookCreated, WebhookPage};
use crate::state::AppState;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://lms.example.com/hooks/ce", "events": ["record.approved", "record.returned", "record.closed"]}))]
pub struct WebhookRequest {
    /// Where to POST events: `http://` or `https://`.
    #[schema(
        min_length = 8,
        max_length = 2000,
        example = "https://hr.example.com/ce-events"
    )]
    #[validate(length(min = 8, max = 2000, code = "url_invalid"))]
    pub url: String,
    /// The events to hear; all when left out.
    #[serde(default)]
    #[schema(max_items = 5)]
    #[validate(length(max = 5))]
    pub events: Vec<EventType>,
    /// For a unit admin: the unit whose events the endpoint hears. A
    /// platform's endpoint hears about the records it pushed.
    #[serde(default, deserialize_with = "super::no_null")]
    #[schema(nullable = false)]
    pub unit_id: Option<Uuid>,
}

/// Register a webhook endpoint
///
/// A platform registers for the records it pushed; a unit admin for a
/// unit's records and certificates. Events: `record.approved`,
/// `record.returned`, `record.closed`, `record.invalidated` (hrss found
/// it untruthful, R-RC-12), `certificate.issued`,
/// `certificate.revoked`. Each delivery is a POST of
/// `{type, timestamp, data}` signed as Standard Webhooks says (headers
/// `webhook-id`, `webhook-timestamp`, `webhook-signature`), retried with
/// backoff until a 2xx. The secret is shown only in this answer.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "The endpoint and its signing secret", body = WebhookCreated,
            headers(("Location" = String, description = "The endpoint's deliveries"))),
        (status = 403, description = "Not a platform or unit admin (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not an admin of that unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad address (`url_invalid`), an address on a loopback or private network (`url_not_allowed`, unless `webhooks.allow_private_addresses`), or a unit admin named no unit (`unit_required`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn webhook_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<WebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let created = webhooks::create(&state, &auth, b.unit_id, &b.url, b.events).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/{}/deliveries", created.webhook.id),
        ))
        .json(WebhookCreated::from(created)))
}

/// List webhook endpoints
///
/// A platform's own, a unit admin's units', or all for hrss.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of endpoints", body = WebhookPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks")]
pub async fn webhook_list(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(WebhookPage::from(
        webhooks::list(&state, &auth, page).await?,
    )))
}

/// Remove a webhook endpoint
///
/// Nothing more is sent to it; pending deliveries end as `failed`.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Removed"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn webhook_delete(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    webhooks::disable(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read a webhook's delivery log
///
/// Every event sent to the endpoint, newest first, with each attempt's
/// time, answer or error.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(("id" = Uuid, Path, description = "Webhook id"), PageQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn webhook_deliveries(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(DeliveryPage::from(
        webhooks::deliveries(&state, &auth, id.into_inner(), page).await?,
    )))
}

/// Replay a delivery
///
/// Sends the event again now, with a fresh round of attempts; the
/// `webhook-id` stays the same so the receiver can tell.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(
        ("id" = Uuid, Path, description = "Webhook id"),
        ("delivery_id" = Uuid, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Queued for delivery"),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/replay")]
pub async fn webhook_replay(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    webhooks::replay(&state, &auth, id, delivery_id).await?;
    Ok(HttpResponse::Accepted().finish())
}
