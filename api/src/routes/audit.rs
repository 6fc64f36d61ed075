//! The audit trail (R-CR-2), read-only: events are written by the changes
//! themselves.

use crate::routes::extract::Query;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::oversight::audit_events::{self, AuditFilter};
use crate::pagination::Page;
use crate::routes::pagination::PageQuery;
use crate::routes::views::oversight::{AuditChainReport, AuditEventPage};
use crate::state::AppState;

/// Filters of the audit trail.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `record`, `binding`, `certificate`, `account`, …
    #[param(min_length = 1, max_length = 40, nullable = false)]
    #[validate(length(min = 1, max = 40))]
    pub entity_type: Option<String>,
    #[param(nullable = false)]
    pub entity_id: Option<Uuid>,
    /// The account (or platform) that acted.
    #[param(nullable = false)]
    pub actor_id: Option<Uuid>,
    /// `reviewed`, `issued`, `logged_in`, `locked`, …
    #[param(min_length = 1, max_length = 60, nullable = false)]
    #[validate(length(min = 1, max = 60))]
    pub action: Option<String>,
    /// The `X-Request-Id` of the request that made the change.
    #[param(min_length = 1, max_length = 64, nullable = false)]
    #[validate(length(min = 1, max = 64))]
    pub request_id: Option<String>,
}

/// List audit events
///
/// Every change of state in the system, newest first: actor, the grant the
/// actor used, entity, action, a before → after summary, time and request
/// id. hrss reads all; a person the events of their own entities; a unit
/// admin those of the unit's entities and of the persons bound to it.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditEventPage),
        (status = 403, description = "Neither hrss, a person nor a unit admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events")]
pub async fn audit_event_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<AuditQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = AuditFilter {
        entity_type: f.entity_type,
        entity_id: f.entity_id,
        actor_id: f.actor_id,
        action: f.action,
        request_id: f.request_id,
    };
    Ok(HttpResponse::Ok().json(AuditEventPage::from(
        audit_events::list(&state, &auth, filter, page).await?,
    )))
}

/// Verify the audit chain
///
/// Walks the chain of keyed hashes the events are sealed into, from the
/// first place, and reports the first broken link (`edited`: the event or
/// its seal changed; `reordered`: places swapped) or missing one
/// (`missing`: an event deleted). Events are sealed behind the writers,
/// within `audit.seal_interval_ms`; those not sealed yet are counted in
/// `unsealed`. hrss only.
#[utoipa::path(
    tag = "audit",
    responses(
        (status = 200, description = "What the walk found; `first_break` is `null` when every link verified", body = AuditChainReport),
        (status = 403, description = "Not hrss", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events/chain")]
pub async fn audit_chain_verify(
    state: web::Data<AppState>,
    auth: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AuditChainReport::from(
        audit_events::chain(&state, &auth).await?,
    )))
}
