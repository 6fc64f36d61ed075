//! Industry authorities: applications and their review, one at a time or
//! in batch (R-AU-1, R-AU-2).

use crate::routes::extract::{Json, Query};
use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::authority::AuthorityLevel;
use crate::domain::review::ReviewStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::authorities::{self, AuthorityFilter, NewAuthority};
use crate::routes::IfMatchHeader;
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{AuthorityDetail, AuthorityPage, AuthorityView};
use crate::routes::views::review::{BatchReviewRequest, BatchReviewResponse, ReviewRequest};
use crate::routes::{etag, if_match};
use crate::state::AppState;

/// A professional series code (`engineering`, `accounting`, … from `GET /series`).
#[derive(Debug, Clone, serde::Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 64, example = "engineering")]
pub struct SeriesCode(pub String);

impl SeriesCode {
    /// The code, or 422 `series_unknown` when it cannot be one.
    pub fn parse(&self) -> Result<String, ApiError> {
        let code = self.0.trim();
        if code.is_empty() || code.len() > 64 {
            return Err(ApiError::invalid_field(
                "series_unknown",
                "series",
                "a series code is 1 to 64 characters",
            ));
        }
        Ok(code.to_string())
    }
}

/// An authority's application (R-AU-1).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "广州市卫生健康委员会", "level": "city", "region": "440100", "series": ["nursing"], "parent_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79"}))]
pub struct ApplyAuthorityRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "广州市住房和城乡建设局"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    pub level: AuthorityLevel,
    /// Six-digit GB/T 2260 division code fitting the level: a province ends
    /// in `0000`, a city in `00`, a district otherwise; within the parent's.
    #[schema(
        min_length = 6,
        max_length = 6,
        pattern = "^[0-9]{6}$",
        example = "440100"
    )]
    #[validate(length(min = 6, max = 6, code = "region_invalid"))]
    pub region: String,
    /// The series it supervises; a subset of the parent's.
    #[schema(min_items = 1, max_items = 40, inline)]
    #[validate(length(min = 1, max = 40))]
    pub series: Vec<SeriesCode>,
    /// The approved authority one level up; none for a province.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub parent_id: Option<Uuid>,
}

impl TryFrom<ApplyAuthorityRequest> for NewAuthority {
    type Error = ApiError;

    fn try_from(r: ApplyAuthorityRequest) -> Result<Self, Self::Error> {
        let name = r.name.trim().to_string();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(ApiError::invalid_field(
                "name_invalid",
                "name",
                "the name must be printable text",
            ));
        }
        let series = r
            .series
            .iter()
            .map(SeriesCode::parse)
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(NewAuthority {
            name,
            level: r.level,
            region: r.region,
            series,
            parent_id: r.parent_id,
        })
    }
}

/// Apply as an authority
///
/// R-AU-1: a province-level application is approved by hrss; a city or
/// district one by the approved authority one level up in the same series
/// (`parent_id`). The caller becomes the authority when it is approved.
#[utoipa::path(
    tag = "authorities",
    request_body = ApplyAuthorityRequest,
    responses(
        (status = 201, description = "Submitted", body = AuthorityView,
            headers(
                ("Location" = String, description = "The new application"),
                ("ETag" = String, description = "Its version"),
            )),
        (status = 422, description = "Invalid field: `region_invalid`, `series_unknown`, `parent_invalid` (missing, unknown, given for a province, or not one level up), `parent_not_approved`, `series_not_in_parent`, `region_outside_parent`, `name_invalid`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/authorities")]
pub async fn authority_apply(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<ApplyAuthorityRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let a = authorities::apply(&state, &auth, body.try_into()?).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/authorities/{}", a.id)))
        .insert_header(etag(a.version))
        .json(AuthorityView::from(a)))
}

/// Filters of the authority list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuthorityListQuery {
    #[param(nullable = false)]
    pub status: Option<ReviewStatus>,
    #[param(nullable = false)]
    pub level: Option<AuthorityLevel>,
    #[param(nullable = false)]
    pub parent_id: Option<Uuid>,
    /// Authorities supervising this series.
    #[param(max_length = 64, nullable = false)]
    #[validate(length(max = 64))]
    pub series: Option<String>,
}

/// List authorities
///
/// Oldest first; e.g. `status=submitted&parent_id=…` is what a parent has to review.
#[utoipa::path(
    tag = "authorities",
    params(AuthorityListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of authorities", body = AuthorityPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/authorities")]
pub async fn authority_list(
    state: web::Data<AppState>,
    _auth: Caller,
    filter: Query<AuthorityListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = AuthorityFilter {
        status: f.status,
        level: f.level,
        parent_id: f.parent_id,
        series: f.series,
    };
    Ok(HttpResponse::Ok().json(AuthorityPage::from(
        authorities::list(&state, filter, page).await?,
    )))
}

/// View an authority
///
/// With the review history of its application.
#[utoipa::path(
    tag = "authorities",
    params(("id" = Uuid, Path, description = "Authority id")),
    responses(
        (status = 200, description = "The authority", body = AuthorityDetail,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/authorities/{id}")]
pub async fn authority_view(
    state: web::Data<AppState>,
    _auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let a = authorities::get(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(a.authority.version))
        .json(AuthorityDetail::from(a)))
}

/// Review an authority application
///
/// R-AU-1, R-RV-1: hrss decides province-level applications; the parent
/// authority decides city and district ones. Approval makes the applicant
/// the authority.
#[utoipa::path(
    tag = "authorities",
    params(("id" = Uuid, Path, description = "Authority id"), IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the authority with its new status", body = AuthorityView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not submitted, so it cannot be decided (`illegal_transition`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/authorities/{id}/review")]
pub async fn authority_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let a = authorities::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(a.version))
        .json(AuthorityView::from(a)))
}

/// Review authority applications in batch
///
/// R-AU-2 批量审核: the same decision on each id, each checked and decided
/// on its own. An id that is unknown or not the caller's to decide answers
/// `ok: false, code: not_found`; one that is not submitted,
/// `illegal_transition`.
#[utoipa::path(
    tag = "authorities",
    request_body = BatchReviewRequest,
    responses(
        (status = 200, description = "One result per id, in order", body = BatchReviewResponse),
    )
)]
#[post("/authorities/reviews")]
pub async fn authority_review_batch(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<BatchReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let results = authorities::review_batch(
        &state,
        &auth,
        &body.ids,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(BatchReviewResponse {
        results: results.into_iter().map(Into::into).collect(),
    }))
}
