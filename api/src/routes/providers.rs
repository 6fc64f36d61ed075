//! Training providers and their qualifications (R-PQ-1..4).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::CreditCode;
use crate::domain::review::ReviewStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::providers::{self, NewProvider, ProviderFilter};
use crate::parties::qualifications::{
    self, NewQualification, QualificationChange, QualificationFilter,
};
use crate::parties::views::ProviderLevel;
use crate::routes::authorities::SeriesCode;
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{
    ProviderPage, ProviderView, QualificationDetail, QualificationPage, QualificationView,
};
use crate::routes::views::review::ReviewRequest;
use crate::routes::{etag, if_match};
use crate::state::AppState;

/// A provider's registration (R-PQ-1).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "广东省继续医学教育培训中心", "credit_code": "12440000455860015E", "level": "province"}))]
pub struct CreateProviderRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "广州市继续教育培训中心"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// 18-character unified social credit code (GB 32100, mod-31 check character).
    #[schema(min_length = 18, max_length = 18, example = "91440101MA59ABCD1D")]
    #[validate(length(min = 18, max = 18, code = "credit_code_invalid"))]
    pub credit_code: String,
    /// `city` or `province`; `district` (区级) is not available and is
    /// answered 422 `provider_level_district`.
    pub level: ProviderLevel,
    /// Three-digit number of a city-level base (R-PQ-4), city providers only.
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[0-9]{3}$",
        example = "060"
    )]
    #[validate(length(min = 3, max = 3, code = "base_no_invalid"))]
    pub base_no: Option<String>,
}

impl TryFrom<CreateProviderRequest> for NewProvider {
    type Error = ApiError;

    fn try_from(r: CreateProviderRequest) -> Result<Self, Self::Error> {
        let name = r.name.trim().to_string();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(ApiError::invalid_field(
                "name_invalid",
                "name",
                "the name must be printable text",
            ));
        }
        let credit_code =
            CreditCode::parse(&r.credit_code).map_err(|e| ApiError::domain("credit_code", e))?;
        // R-PQ-1: 区级 is not available; choose city.
        if r.level == ProviderLevel::District {
            return Err(ApiError::invalid_field(
                "provider_level_district",
                "level",
                "district-level (区级) providers are not available: choose `city`",
            ));
        }
        if let Some(no) = &r.base_no {
            if no.len() != 3 || !no.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid_field(
                    "base_no_invalid",
                    "base_no",
                    "a base number is three digits, e.g. 060",
                ));
            }
            if r.level != ProviderLevel::City {
                return Err(ApiError::invalid_field(
                    "base_no_city_only",
                    "base_no",
                    "only city-level bases carry a base number",
                ));
            }
        }
        Ok(NewProvider {
            name,
            credit_code,
            level: r.level,
            base_no: r.base_no,
        })
    }
}

/// Register a provider
///
/// R-PQ-1: a training provider registers with its credit code and an
/// affiliation level of `city` or `province`. The caller (a person or hrss)
/// becomes its `provider_admin`.
#[utoipa::path(
    tag = "providers",
    request_body = CreateProviderRequest,
    responses(
        (status = 201, description = "Registered; the caller is its admin", body = ProviderView,
            headers(
                ("Location" = String, description = "The new provider"),
                ("ETag" = String, description = "Its version"),
            )),
        (status = 409, description = "The credit code is registered (`credit_code_taken`) or the base number is taken (`base_no_taken`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `credit_code_invalid`, `provider_level_district` (choose `city`), `base_no_invalid`, `base_no_city_only`, `name_invalid`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/providers")]
pub async fn provider_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<CreateProviderRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let p = providers::create(&state, &auth, body.try_into()?).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/providers/{}", p.id)))
        .insert_header(etag(p.version))
        .json(ProviderView::from(p)))
}

/// Filters of the provider directory.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ProviderListQuery {
    /// Part of the name.
    #[param(max_length = 100, nullable = false)]
    #[validate(length(max = 100))]
    pub q: Option<String>,
    #[param(nullable = false)]
    pub level: Option<ProviderLevel>,
    /// A city base's number, e.g. `001`.
    #[param(max_length = 3, nullable = false)]
    #[validate(length(max = 3))]
    pub base_no: Option<String>,
}

/// List providers
///
/// The directory, including the 59 Guangzhou city-level bases with their
/// numbers (R-PQ-4), in registration order.
#[utoipa::path(
    tag = "providers",
    params(ProviderListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of providers", body = ProviderPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/providers")]
pub async fn provider_list(
    state: web::Data<AppState>,
    _auth: Caller,
    filter: Query<ProviderListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = ProviderFilter {
        q: f.q,
        level: f.level,
        base_no: f.base_no,
    };
    Ok(HttpResponse::Ok().json(ProviderPage::from(
        providers::list(&state, filter, page).await?,
    )))
}

/// View a provider
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Provider id")),
    responses(
        (status = 200, description = "The provider", body = ProviderView,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/providers/{id}")]
pub async fn provider_view(
    state: web::Data<AppState>,
    _auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = providers::get(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(ProviderView::from(p)))
}

/// A qualification application (R-PQ-2).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"series": "nursing", "authority_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"]}))]
pub struct ApplyQualificationRequest {
    /// The professional series to train in.
    pub series: SeriesCode,
    /// The approved authority of that series that reviews it.
    pub authority_id: Uuid,
    /// Supporting documents you uploaded (`POST /api/v1/attachments`).
    #[schema(max_items = 20)]
    #[validate(length(max = 20))]
    pub attachment_ids: Option<Vec<Uuid>>,
}

/// Apply for a qualification
///
/// R-PQ-2: a provider applies per professional series, naming the
/// supervising authority (approved, of that series) and attaching
/// documents. Only the provider's admins may apply.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Provider id")),
    request_body = ApplyQualificationRequest,
    responses(
        (status = 201, description = "Submitted to the authority", body = QualificationView,
            headers(
                ("Location" = String, description = "The new qualification"),
                ("ETag" = String, description = "Its version"),
            )),
        (status = 409, description = "The provider already has an open qualification in this series (`qualification_exists`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `series_unknown`, `authority_not_for_series`, `attachment_unknown`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/providers/{id}/qualifications")]
pub async fn qualification_apply(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<ApplyQualificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let provider_id = id.into_inner();
    let body = body.into_inner();
    body.validate()?;
    let new = NewQualification {
        series: body.series.parse()?,
        authority_id: body.authority_id,
        attachment_ids: body.attachment_ids.unwrap_or_default(),
    };
    let q = qualifications::apply(&state, &auth, provider_id, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/qualifications/{}", q.id)))
        .insert_header(etag(q.version))
        .json(QualificationView::from(q)))
}

/// Filters of the qualification list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualificationListQuery {
    #[param(nullable = false)]
    pub status: Option<ReviewStatus>,
    #[param(nullable = false)]
    pub provider_id: Option<Uuid>,
}

/// List qualifications
///
/// hrss sees all; an authority those addressed to it; a provider admin its
/// provider's. Oldest first.
#[utoipa::path(
    tag = "providers",
    params(QualificationListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of qualifications", body = QualificationPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/qualifications")]
pub async fn qualification_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<QualificationListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = QualificationFilter {
        status: f.status,
        provider_id: f.provider_id,
    };
    Ok(HttpResponse::Ok().json(QualificationPage::from(
        qualifications::list(&state, &auth, filter, page).await?,
    )))
}

/// View a qualification
///
/// With its review history (R-RV-1).
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Qualification id")),
    responses(
        (status = 200, description = "The qualification", body = QualificationDetail,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/qualifications/{id}")]
pub async fn qualification_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let q = qualifications::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(q.qualification.version))
        .json(QualificationDetail::from(q)))
}

/// Review a qualification
///
/// R-PQ-2, R-RV-1: the authority named in the qualification approves it,
/// closes it, or returns it to the provider for changes.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Qualification id"), super::IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the qualification with its new status", body = QualificationView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not submitted, so it cannot be decided (`illegal_transition`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/qualifications/{id}/review")]
pub async fn qualification_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let q = qualifications::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(q.version))
        .json(QualificationView::from(q)))
}

/// Changes to a returned qualification.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a", "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7b"]}))]
pub struct UpdateQualificationRequest {
    /// Another approved authority of the same series.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub authority_id: Option<Uuid>,
    /// The full new list of supporting documents.
    #[schema(max_items = 20)]
    #[validate(length(max = 20))]
    pub attachment_ids: Option<Vec<Uuid>>,
}

/// Change a returned qualification
///
/// R-RV-1: only a `returned` qualification can be changed; send it again
/// with `POST /api/v1/qualifications/{id}/resubmit`.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Qualification id"), super::IfMatchHeader),
    request_body = UpdateQualificationRequest,
    responses(
        (status = 200, description = "Changed", body = QualificationView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not returned, so not editable (`not_editable`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `authority_not_for_series`, `attachment_unknown`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/qualifications/{id}")]
pub async fn qualification_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UpdateQualificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let body = body.into_inner();
    body.validate()?;
    let change = QualificationChange {
        authority_id: body.authority_id,
        attachment_ids: body.attachment_ids,
    };
    let q = qualifications::update(&state, &auth, id.into_inner(), expected, change).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(q.version))
        .json(QualificationView::from(q)))
}

/// Resubmit a returned qualification
///
/// R-RV-1: `returned` → `submitted`, back to the authority.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Qualification id"), super::IfMatchHeader),
    responses(
        (status = 200, description = "Submitted again", body = QualificationView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not returned (`illegal_transition`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/qualifications/{id}/resubmit")]
pub async fn qualification_resubmit(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let q = qualifications::resubmit(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(q.version))
        .json(QualificationView::from(q)))
}
