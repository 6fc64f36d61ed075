//! City bases claimed by their own institutions (R-PQ-5).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::CreditCode;
use crate::domain::review::ReviewStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::base_claims::{self, BaseClaimChange, BaseClaimFilter, NewBaseClaim};
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{BaseClaimDetail, BaseClaimPage, BaseClaimView};
use crate::routes::views::review::ReviewRequest;
use crate::routes::{etag, if_match, non_blank};
use crate::state::AppState;

fn base_no(no: &str) -> Result<String, ApiError> {
    if no.len() == 3 && no.bytes().all(|b| b.is_ascii_digit()) {
        Ok(no.to_string())
    } else {
        Err(ApiError::invalid_field(
            "base_no_invalid",
            "base_no",
            "a base number is three digits, e.g. 001",
        ))
    }
}

fn credit_code(s: &str) -> Result<CreditCode, ApiError> {
    CreditCode::parse(s).map_err(|e| ApiError::domain("credit_code", e))
}

/// An institution's claim to the city base the list names it for.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"base_no": "007", "name": "广州卫生职业技术学院", "credit_code": "12440100455414213L"}))]
pub struct CreateBaseClaimRequest {
    /// The base's three-digit number, as on its training stamp (R-PQ-4).
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[0-9]{3}$",
        example = "007"
    )]
    #[validate(length(min = 3, max = 3, code = "base_no_invalid"))]
    pub base_no: String,
    /// The institution's name, as the city's list of bases gives it.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "广州卫生职业技术学院"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// The institution's 18-character unified social credit code (GB 32100).
    #[schema(min_length = 18, max_length = 18, example = "12440100455414213L")]
    #[validate(length(min = 18, max = 18, code = "credit_code_invalid"))]
    pub credit_code: String,
}

/// Claim a city base
///
/// R-PQ-5: a person acting for the institution a Guangzhou city base names
/// claims it by number, with the institution's name as the list gives it
/// and its unified social credit code. hrss or the Guangzhou city
/// authority of a series the base covers confirms it (`POST
/// /api/v1/base-claims/{id}/review`); the claimant then administers the
/// base, whose courses count as professional in the series its scope
/// covers. Nobody else takes a base number.
#[utoipa::path(
    tag = "providers",
    request_body = CreateBaseClaimRequest,
    responses(
        (status = 201, description = "Submitted", body = BaseClaimView,
            headers(
                ("Location" = String, description = "The claim"),
                ("ETag" = String, description = "Its version"),
            )),
        (status = 403, description = "Not a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The base is run by its institution already (`base_claimed`), the credit code is another provider's (`credit_code_taken`), or the caller's claim to the base is open (`claim_pending`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `base_no_invalid`, `base_no_unknown` (not a base of the list), `base_name_mismatch` (not the base's institution), `credit_code_invalid`, `name_invalid`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/base-claims")]
pub async fn base_claim_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<CreateBaseClaimRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    b.validate()?;
    let new = NewBaseClaim {
        base_no: base_no(&b.base_no)?,
        name: non_blank(&b.name, "name")?,
        credit_code: credit_code(&b.credit_code)?,
    };
    let c = base_claims::create(&state, &auth, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/base-claims/{}", c.id)))
        .insert_header(etag(c.version))
        .json(BaseClaimView::from(c)))
}

/// Filters of the claims.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct BaseClaimListQuery {
    #[param(nullable = false)]
    pub status: Option<ReviewStatus>,
    /// A base's number, e.g. `001`.
    #[param(max_length = 3, nullable = false)]
    #[validate(length(max = 3))]
    pub base_no: Option<String>,
}

/// List base claims
///
/// R-PQ-5: hrss sees every claim; a Guangzhou city authority those to the
/// bases of its series; a person its own. Oldest first.
#[utoipa::path(
    tag = "providers",
    params(BaseClaimListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of claims", body = BaseClaimPage),
        (status = 403, description = "Not hrss, an authority or a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/base-claims")]
pub async fn base_claim_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<BaseClaimListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = BaseClaimFilter {
        status: f.status,
        base_no: f.base_no,
    };
    Ok(HttpResponse::Ok().json(BaseClaimPage::from(
        base_claims::list(&state, &auth, filter, page).await?,
    )))
}

/// View a base claim
///
/// With its review history (R-RV-1): to hrss, the authority that decides
/// it, and its claimant.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim", body = BaseClaimDetail,
            headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Not hrss, an authority or a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such claim, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/base-claims/{id}")]
pub async fn base_claim_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = base_claims::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.claim.version))
        .json(BaseClaimDetail::from(c)))
}

/// Review a base claim
///
/// R-PQ-5, R-RV-1: hrss, or the approved Guangzhou city-level authority of
/// a series the base covers, approves the claim (the base takes the
/// institution's credit code and the claimant becomes its
/// `provider_admin`), closes it, or returns it for correction. Other
/// authorities get 404.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Claim id"), super::IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the claim with its new status", body = BaseClaimView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not hrss or an authority (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such claim, or not the caller's to decide", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted (`illegal_transition`), the base is run already (`base_claimed`), or its credit code is another provider's (`credit_code_taken`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/base-claims/{id}/review")]
pub async fn base_claim_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let c = base_claims::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(BaseClaimView::from(c)))
}

/// Corrections to a returned claim; absent fields stay.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"credit_code": "12440100MB2C91234H"}))]
pub struct ResubmitBaseClaimRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S", nullable = false)]
    #[validate(length(min = 1, max = 100))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub name: Option<String>,
    #[schema(min_length = 18, max_length = 18, nullable = false)]
    #[validate(length(min = 18, max = 18, code = "credit_code_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub credit_code: Option<String>,
}

/// Resubmit a returned base claim
///
/// R-RV-1: the claimant corrects a `returned` claim and sends it back
/// (`submitted`); it is checked again as when it was made.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "Claim id"), super::IfMatchHeader),
    request_body = ResubmitBaseClaimRequest,
    responses(
        (status = 200, description = "Submitted again", body = BaseClaimView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such claim, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not returned (`illegal_transition`), the base is run already (`base_claimed`), or the credit code is another provider's (`credit_code_taken`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `base_name_mismatch`, `credit_code_invalid`, `name_invalid`",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/base-claims/{id}/resubmit")]
pub async fn base_claim_resubmit(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ResubmitBaseClaimRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let b = body.into_inner();
    b.validate()?;
    let change = BaseClaimChange {
        name: b.name.map(|n| non_blank(&n, "name")).transpose()?,
        credit_code: b.credit_code.as_deref().map(credit_code).transpose()?,
    };
    let c = base_claims::resubmit(&state, &auth, id.into_inner(), expected, change).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(BaseClaimView::from(c)))
}
