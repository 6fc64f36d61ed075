//! Continuing-education records (R-RC-1..3): the scoped reads. Closing a
//! class creates them (R-CL-3); declarations and review extend this.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::auth::AuthUser;
use crate::domain::Year;
use crate::domain::record::{RecordCategory, RecordSource, RecordStatus};
use crate::error::{ApiError, Problem};
use crate::routes::{IfMatchHeader, etag, if_match};
use crate::service::pagination::{Page, PageQuery};
use crate::service::records::{self, RecordDetail, RecordFilter, RecordPage, RecordView};
use crate::service::reviews::{BatchReviewRequest, BatchReviewResponse, ReviewRequest};
use crate::state::AppState;

/// Filters of the record list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct RecordListQuery {
    #[param(nullable = false)]
    pub person_id: Option<Uuid>,
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    #[param(nullable = false)]
    pub status: Option<RecordStatus>,
    #[param(nullable = false)]
    pub category: Option<RecordCategory>,
    #[param(nullable = false)]
    pub source: Option<RecordSource>,
}

/// List records
///
/// Scoped to the caller: a person sees their own, a unit admin those sent
/// to the unit for review, hrss all. Oldest first.
#[utoipa::path(
    tag = "records",
    params(RecordListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of records", body = RecordPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/records")]
pub async fn record_list(
    state: web::Data<AppState>,
    auth: AuthUser,
    filter: web::Query<RecordListQuery>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = RecordFilter {
        person_id: f.person_id,
        year: f
            .year
            .map(|y| Year::new(y).map_err(|e| ApiError::domain("year", e)))
            .transpose()?,
        status: f.status,
        category: f.category,
        source: f.source,
    };
    Ok(HttpResponse::Ok().json(records::list(&state, &auth, filter, page).await?))
}

/// View a record
///
/// The person's own, their unit's, or any for hrss; others get 404.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id")),
    responses(
        (status = 200, description = "The record with its review history", body = RecordDetail,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/records/{id}")]
pub async fn record_view(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let r = records::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.record.version))
        .json(r))
}

/// Review a record
///
/// R-RC-3, R-RC-4, R-RV-1: an admin of the unit the record was sent to
/// approves it (it counts), returns it to the person for changes, or closes
/// it; an approved record that turns out wrong can still be closed. Other
/// units get 404.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the record with its new status", body = RecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not allowed from the current status (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records/{id}/review")]
pub async fn record_review(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let r = records::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().insert_header(etag(r.version)).json(r))
}

/// Review records in batch
///
/// The same decision on each id, each decided on its own: an id that is
/// unknown or not the caller's unit's answers `ok: false, code: not_found`;
/// one that cannot take the decision, `illegal_transition`.
#[utoipa::path(
    tag = "records",
    request_body = BatchReviewRequest,
    responses(
        (status = 200, description = "One result per id, in order", body = BatchReviewResponse),
    )
)]
#[post("/records/reviews")]
pub async fn record_review_batch(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<BatchReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let results = records::review_batch(
        &state,
        &auth,
        &body.ids,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(BatchReviewResponse { results }))
}
