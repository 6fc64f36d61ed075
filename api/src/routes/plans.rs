//! Course plans (R-CP-1) and their review (R-RV-1, R-AU-2).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::authority::Region;
use crate::domain::plan::PlanStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::routes::authorities::SeriesCode;
use crate::routes::pagination::PageQuery;
use crate::routes::views::review::{BatchReviewRequest, BatchReviewResponse, ReviewRequest};
use crate::routes::views::training::{PlanDetail, PlanPage, PlanView};
use crate::routes::year;
use crate::routes::{IfMatchHeader, etag, if_match, non_blank};
use crate::state::AppState;
use crate::training::plans::{self, NewPlan, Owner, OwnerType, PlanChange, PlanFilter};

/// A new course plan. Exactly one of `provider_id`, `unit_id`,
/// `authority_id` names the owner.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"series": "nursing", "year": 2027, "course_name": "急危重症护理新进展", "description": "面向三级医院护理人员的专业科目培训", "region": "440100", "provider_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "authority_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"}))]
pub struct CreatePlanRequest {
    /// A provider the caller administers, qualified in the series (R-PQ-3).
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub provider_id: Option<Uuid>,
    /// A unit the caller administers.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub unit_id: Option<Uuid>,
    /// An authority the caller acts for, supervising the series (R-AU-3).
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub authority_id: Option<Uuid>,
    pub series: SeriesCode,
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    #[serde(deserialize_with = "super::whole::i32")]
    pub year: i32,
    /// A course of the year's catalogue for the series (R-CP-2).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "护理安全管理"
    )]
    #[validate(length(min = 1, max = 200))]
    pub course_name: String,
    /// Six-digit division code the plan runs in; it chooses the reviewing
    /// authority. Default: the region of the authority that qualified the
    /// provider in the series, the authority's own, or the province for a unit.
    #[schema(
        min_length = 6,
        max_length = 6,
        pattern = "^[0-9]{6}$",
        example = "440100",
        nullable = false
    )]
    #[validate(length(min = 6, max = 6, code = "region_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub region: Option<String>,
    #[schema(max_length = 2000, nullable = false)]
    #[validate(length(max = 2000))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub description: Option<String>,
}

fn region(r: Option<&str>) -> Result<Option<Region>, ApiError> {
    r.map(|r| {
        Region::parse_any(r)
            .map(|(r, _)| r)
            .map_err(|e| ApiError::domain("region", e))
    })
    .transpose()
}

impl TryFrom<CreatePlanRequest> for NewPlan {
    type Error = ApiError;

    fn try_from(r: CreatePlanRequest) -> Result<Self, Self::Error> {
        let owners = [
            r.provider_id.map(|id| (OwnerType::Provider, id)),
            r.unit_id.map(|id| (OwnerType::Unit, id)),
            r.authority_id.map(|id| (OwnerType::Authority, id)),
        ];
        let mut named = owners.into_iter().flatten();
        let (Some((kind, id)), None) = (named.next(), named.next()) else {
            return Err(ApiError::invalid_field(
                "owner_invalid",
                "provider_id",
                "name exactly one of provider_id, unit_id, authority_id",
            ));
        };
        Ok(Self {
            owner: Owner { kind, id },
            series: r.series.parse()?,
            year: year(r.year)?,
            course_name: non_blank(&r.course_name, "course_name")?,
            region: region(r.region.as_deref())?,
            description: r.description.map(|d| d.trim().to_string()),
        })
    }
}

/// Declare a course plan
///
/// R-CP-1: a provider (in a series it is qualified for, R-PQ-3), a unit or
/// an authority (R-AU-3) drafts a plan for a catalogue course. It stays a
/// draft until submitted.
#[utoipa::path(
    tag = "course-plans",
    request_body = CreatePlanRequest,
    responses(
        (status = 201, description = "The draft plan", body = PlanView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The plan"))),
        (status = 403, description = "Not acting for the owner (`forbidden`), provider not qualified in the series (`not_qualified`), or authority not of the series (`series_not_supervised`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The owner is outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not exactly one owner (`owner_invalid`), unknown series, year, region, or a course not in the catalogue (`course_not_in_catalogue`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/course-plans")]
pub async fn course_plan_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<CreatePlanRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let new = NewPlan::try_from(body.into_inner())?;
    let p = plans::create(&state, &auth, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/course-plans/{}", p.id)))
        .insert_header(etag(p.version))
        .json(PlanView::from(p)))
}

/// Filters of the plan list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PlanListQuery {
    #[param(nullable = false)]
    pub status: Option<PlanStatus>,
    /// Series code.
    #[param(max_length = 64, nullable = false)]
    #[validate(length(max = 64))]
    pub series: Option<String>,
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    /// The owning provider, unit or authority.
    #[param(nullable = false)]
    pub owner_id: Option<Uuid>,
    /// R-CP-5: filed with hrss (`true`) or not yet (`false`);
    /// `status=approved&filed=false` lists the plans awaiting filing.
    #[param(nullable = false)]
    pub filed: Option<bool>,
}

/// List course plans
///
/// hrss sees all; an owner its own; an authority also those submitted to
/// it. Oldest first.
#[utoipa::path(
    tag = "course-plans",
    params(PlanListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of plans", body = PlanPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/course-plans")]
pub async fn course_plan_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<PlanListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = PlanFilter {
        status: f.status,
        series: f.series.map(|s| s.trim().to_string()),
        year: f.year.map(year).transpose()?,
        owner_id: f.owner_id,
        filed: f.filed,
    };
    Ok(HttpResponse::Ok().json(PlanPage::from(
        plans::list(&state, &auth, filter, page).await?,
    )))
}

/// View a course plan
///
/// With its review history (R-RV-1).
#[utoipa::path(
    tag = "course-plans",
    params(("id" = Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = PlanDetail,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/course-plans/{id}")]
pub async fn course_plan_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = plans::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.plan.version))
        .json(PlanDetail::from(p)))
}

/// Changes to a draft or returned plan; absent fields stay.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"course_name": "急危重症护理新进展（第二期）", "description": "增加案例研讨半天"}))]
pub struct UpdatePlanRequest {
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub series: Option<SeriesCode>,
    #[schema(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    #[serde(default, deserialize_with = "super::whole::opt_i32")]
    pub year: Option<i32>,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", nullable = false)]
    #[validate(length(min = 1, max = 200))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub course_name: Option<String>,
    #[schema(
        min_length = 6,
        max_length = 6,
        pattern = "^[0-9]{6}$",
        nullable = false
    )]
    #[validate(length(min = 6, max = 6, code = "region_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub region: Option<String>,
    #[schema(max_length = 2000, nullable = false)]
    #[validate(length(max = 2000))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub description: Option<String>,
}

/// Change a course plan
///
/// R-RV-1: only a `draft` or `returned` plan can be changed; the content is
/// checked again as on creation.
#[utoipa::path(
    tag = "course-plans",
    params(("id" = Uuid, Path, description = "Plan id"), IfMatchHeader),
    request_body = UpdatePlanRequest,
    responses(
        (status = 200, description = "The changed plan", body = PlanView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not an owner role, or the new series is not allowed (`not_qualified`, `series_not_supervised`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Submitted, approved or closed (`not_editable`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or a course not in the catalogue", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/course-plans/{id}")]
pub async fn course_plan_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UpdatePlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let b = body.into_inner();
    let change = PlanChange {
        series: b.series.map(|s| s.parse()).transpose()?,
        year: b.year.map(year).transpose()?,
        course_name: b
            .course_name
            .map(|c| non_blank(&c, "course_name"))
            .transpose()?,
        region: region(b.region.as_deref())?,
        description: b.description.map(|d| d.trim().to_string()),
    };
    let p = plans::update(&state, &auth, id.into_inner(), expected, change).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PlanView::from(p)))
}

/// Submit a course plan
///
/// R-CP-1: sends a draft or returned plan to the authority of its series
/// and region: an authority's own plan to itself (本级审核); any other to
/// the approved authority of the series whose region covers the plan's,
/// the most local first.
#[utoipa::path(
    tag = "course-plans",
    params(("id" = Uuid, Path, description = "Plan id"), IfMatchHeader),
    responses(
        (status = 200, description = "Submitted: the plan with its reviewer", body = PlanView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not a draft or returned (`illegal_transition`), or no authority to review it (`no_reviewing_authority`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/course-plans/{id}/submit")]
pub async fn course_plan_submit(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let p = plans::submit(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PlanView::from(p)))
}

/// Review a course plan
///
/// R-CP-1, R-RV-1: the authority the plan was submitted to approves it,
/// closes it, or returns it for changes. Other authorities get 404.
#[utoipa::path(
    tag = "course-plans",
    params(("id" = Uuid, Path, description = "Plan id"), IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the plan with its new status", body = PlanView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not submitted (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/course-plans/{id}/review")]
pub async fn course_plan_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let p = plans::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PlanView::from(p)))
}

/// Review course plans in batch
///
/// R-AU-2 批量审核: the same decision on each id, each decided on its own.
/// An id that is unknown or not submitted to the caller answers `ok: false,
/// code: not_found`; one that is not submitted, `illegal_transition`.
#[utoipa::path(
    tag = "course-plans",
    request_body = BatchReviewRequest,
    responses(
        (status = 200, description = "One result per id, in order", body = BatchReviewResponse),
    )
)]
#[post("/course-plans/reviews")]
pub async fn course_plan_review_batch(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<BatchReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let results = plans::review_batch(
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

/// File an approved course plan with hrss
///
/// R-CP-5 (备案): 办班计划由本级行业主管部门审核后，报同级人力资源社会保障部门备案
/// (粤人社规〔2018〕11号 三(二)). hrss files a plan its authority approved;
/// only classes of a filed plan close and credit their learners' hours
/// automatically (R-CL-3). hrss accounts carry no level or region, so hrss
/// files plans of every level. `GET /course-plans?status=approved&filed=false`
/// lists the plans awaiting filing.
#[utoipa::path(
    tag = "course-plans",
    params(("id" = Uuid, Path, description = "Plan id"), IfMatchHeader),
    responses(
        (status = 200, description = "Filed: the plan with `filed_at` and `filed_by`", body = PlanView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not approved (`plan_not_approved`) or filed already (`already_filed`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/course-plans/{id}/filing")]
pub async fn course_plan_file(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let p = plans::file(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PlanView::from(p)))
}
