//! Continuing-education records (R-RC-1..3): the scoped reads. Closing a
//! class creates them (R-CL-3); declarations and review extend this.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::auth::AuthUser;
use crate::domain::Year;
use crate::domain::record::{RecordCategory, RecordSource, RecordStatus};
use crate::error::{ApiError, Problem};
use crate::routes::etag;
use crate::service::pagination::{Page, PageQuery};
use crate::service::records::{self, RecordFilter, RecordPage, RecordView};
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
        (status = 200, description = "The record", body = RecordView,
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
    Ok(HttpResponse::Ok().insert_header(etag(r.version)).json(r))
}
