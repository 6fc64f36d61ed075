//! Persons: list, view, profile, real-name verification, binding requests
//! and binding history (R-ID-2, R-PU-1, R-PU-2, R-PU-4).

use crate::routes::extract::{Json, Query};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::{IdCardNo, PersonName, Phone, Year};
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::bindings;
use crate::parties::persons::{self, Education, PersonFilter, ProfileChange};
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{BindingPage, BindingView, PersonPage, PersonView};
use crate::state::AppState;

use super::{etag, if_match};

/// Filters of the person list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PersonListQuery {
    /// Persons bound to this unit now.
    pub unit_id: Option<Uuid>,
    /// Persons with this series (in `year`, when given).
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub series: Option<String>,
    #[param(minimum = 2017, maximum = 2100)]
    #[validate(range(min = 2017, max = 2100))]
    pub year: Option<i32>,
    pub verified: Option<bool>,
    /// Exact resident ID number.
    #[param(max_length = 18)]
    #[validate(length(max = 18))]
    pub id_card_no: Option<String>,
    /// Name prefix.
    #[param(max_length = 50)]
    #[validate(length(max = 50))]
    pub name: Option<String>,
}

/// List persons
///
/// Scoped to the caller: hrss sees everyone; a unit admin the persons bound
/// to their units; an authority everyone, with ID and phone numbers masked;
/// a person only themself.
#[utoipa::path(
    tag = "persons",
    params(PersonListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of persons", body = PersonPage),
        (status = 404, description = "`unit_id` names a unit the caller does not administer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/persons")]
pub async fn person_list(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<PersonListQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    page.validate()?;
    let q = query.into_inner();
    let page = Page::try_from(&*page)?;
    let id_card_no = match q.id_card_no.as_deref() {
        Some(s) => Some(IdCardNo::parse(s).map_err(|e| ApiError::domain("id_card_no", e))?),
        None => None,
    };
    let filter = PersonFilter {
        unit_id: q.unit_id,
        series: q.series,
        year: q.year,
        verified: q.verified,
        id_card_no,
        name: q.name,
    };
    Ok(HttpResponse::Ok().json(PersonPage::from(
        persons::list(&state, &auth, filter, page).await?,
    )))
}

/// View a person
///
/// The holder, their unit's admins and hrss see ID and phone numbers; an
/// authority sees them masked; anyone else gets 404.
#[utoipa::path(
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "The person", body = PersonView, headers(("ETag" = String, description = "The version"))),
    )
)]
#[get("/persons/{id}")]
pub async fn person_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = persons::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PersonView::from(p)))
}

/// A profile change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"title": "主管护师", "series": ["nursing"], "series_year": 2026, "region": "440106", "series_terms": [{"series": "accounting", "started_on": "2022-07-15"}]}))]
pub struct PersonUpdateRequest {
    /// A new name must be verified again.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: Option<String>,
    #[schema(min_length = 11, max_length = 20)]
    #[validate(length(min = 11, max = 20, code = "phone_invalid"))]
    pub phone: Option<String>,
    pub education: Option<Education>,
    /// Professional title (职称).
    #[schema(max_length = 64)]
    #[validate(length(max = 64))]
    pub title: Option<String>,
    /// The series of the title the person intends to be promoted in, for
    /// `series_year` (R-PU-2); two or more when the person must satisfy
    /// several (R-PU-4).
    #[schema(min_items = 1, max_items = 5, inline)]
    #[validate(length(min = 1, max = 5))]
    pub series: Option<Vec<SeriesCode>>,
    /// The year `series` applies to; the current year in China by default.
    #[schema(minimum = 2017, maximum = 2100)]
    #[validate(range(min = 2017, max = 2100))]
    pub series_year: Option<i32>,
    /// The district (GB/T 2260, six digits not ending in `00`) of the
    /// person's information collection (信息采集所属区): the finance
    /// department of this district confirms their accounting conversions
    /// (R-ACC-4), the education or health authority covering it reviews
    /// what a person of those series declares (R-RC-10).
    #[schema(
        min_length = 6,
        max_length = 6,
        pattern = "^[0-9]{6}$",
        example = "440106"
    )]
    #[validate(length(min = 6, max = 6, code = "region_invalid"))]
    pub region: Option<String>,
    /// Terms of the person's membership of these series, each replacing
    /// what was set for its series (R-ACC-6, R-ARC-1).
    #[schema(max_items = 5)]
    #[validate(length(max = 5), nested)]
    pub series_terms: Option<Vec<SeriesTermsRequest>>,
}

/// What a person's membership of a series says beyond the years held.
#[derive(Debug, Deserialize, serde::Serialize, ToSchema, Validate)]
#[schema(example = json!({"series": "archives", "started_on": "2026-03-01", "has_degree": false}))]
pub struct SeriesTermsRequest {
    pub series: SeriesCode,
    /// Accounting: the day of the qualification (取得会计专业技术资格) or of the
    /// first accounting job (从事会计工作) — the duty starts the next year
    /// (R-ACC-6). Archives: the first day in the post (上岗, R-ARC-1).
    #[serde(default)]
    pub started_on: Option<chrono::NaiveDate>,
    /// Accounting: a student in accounting degree education who earned a
    /// junior title at school studies until this day (graduation) and owes
    /// nothing in the years before it (在校学习期间无需进行继续教育, R-ACC-6).
    #[serde(default)]
    pub studying_until: Option<chrono::NaiveDate>,
    /// Archives: holds an archives degree (档案专业大专以上学历); without one,
    /// the first year in the post asks for initial training (R-ARC-1).
    #[serde(default)]
    pub has_degree: Option<bool>,
}

/// A professional series code (`GET /api/v1/series`).
#[derive(Debug, serde::Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 64, example = "engineering")]
pub struct SeriesCode(pub String);

impl TryFrom<PersonUpdateRequest> for ProfileChange {
    type Error = ApiError;

    fn try_from(r: PersonUpdateRequest) -> Result<Self, Self::Error> {
        let year = r
            .series_year
            .unwrap_or_else(|| Year::current_in_shanghai(chrono::Utc::now()));
        Ok(ProfileChange {
            name: r
                .name
                .as_deref()
                .map(PersonName::parse)
                .transpose()
                .map_err(|e| ApiError::domain("name", e))?,
            phone: r
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(|e| ApiError::domain("phone", e))?,
            education: r.education,
            title: r.title.map(|t| t.trim().to_string()),
            series: r.series.map(|s| s.into_iter().map(|c| c.0).collect()),
            series_year: Year::new(year).map_err(|e| ApiError::domain("series_year", e))?,
            region: r
                .region
                .as_deref()
                .map(|s| {
                    crate::domain::authority::Region::parse(
                        s,
                        crate::domain::authority::AuthorityLevel::District,
                    )
                })
                .transpose()
                .map_err(|e| ApiError::domain("region", e))?,
            series_terms: r
                .series_terms
                .unwrap_or_default()
                .into_iter()
                .map(|t| persons::SeriesTerms {
                    series: t.series.0,
                    started_on: t.started_on,
                    studying_until: t.studying_until,
                    has_degree: t.has_degree,
                })
                .collect(),
        })
    }
}

/// Change a person's profile and series
///
/// The holder (or hrss) changes name, phone, education, title and the
/// series for a year. Send `If-Match` with the ETag to refuse a lost update.
#[utoipa::path(
    tag = "persons",
    params(
        ("id" = Uuid, Path, description = "Person id"),
        super::IfMatchHeader,
    ),
    request_body = PersonUpdateRequest,
    responses(
        (status = 200, description = "The updated person", body = PersonView, headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "The phone is bound to another account (`phone_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed by someone else first (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field: a region that is no district code (`region_invalid`), an unknown series (`series_unknown`), …", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/persons/{id}")]
pub async fn person_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<PersonUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let expected = if_match(&req)?;
    let p = persons::update(&state, &auth, id.into_inner(), body.try_into()?, expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PersonView::from(p)))
}

/// The name and ID number to check.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"id_card_no": "440106199003071231", "name": "陈晓红"}))]
pub struct VerificationRequest {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: String,
    #[schema(min_length = 18, max_length = 18, pattern = "^[0-9]{17}[0-9Xx]$")]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
}

/// Pass real-name verification
///
/// The holder confirms name and ID number (实名认证, R-ID-2); they must be
/// the registered ones and pass the identity verifier. Binding to a unit and
/// declaring hours need it.
#[utoipa::path(
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = VerificationRequest,
    responses(
        (status = 200, description = "Verified", body = PersonView),
        (status = 422, description = "Not the registered name and number (`identity_mismatch`), or malformed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/persons/{id}/verification")]
pub async fn person_verify(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<VerificationRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let name = PersonName::parse(&body.name).map_err(|e| ApiError::domain("name", e))?;
    let id_card_no =
        IdCardNo::parse(&body.id_card_no).map_err(|e| ApiError::domain("id_card_no", e))?;
    let p = persons::verify(&state, &auth, id.into_inner(), name, id_card_no).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(p.version))
        .json(PersonView::from(p)))
}

/// The unit to bind to.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"unit_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79"}))]
pub struct BindingRequest {
    pub unit_id: Uuid,
}

/// Ask to bind to a unit
///
/// A verified person asks to be bound to their employer unit; the unit
/// approves or rejects (R-PU-1). A person has at most one current unit.
#[utoipa::path(
    tag = "bindings",
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = BindingRequest,
    responses(
        (status = 201, description = "Requested, `pending`", body = BindingView),
        (status = 409, description = "Not verified (`not_verified`), bound already (`already_bound`), or a request to this unit is pending (`binding_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such unit (`unit_unknown`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/persons/{id}/binding")]
pub async fn binding_request(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<BindingRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = bindings::request(&state, &auth, id.into_inner(), body.unit_id).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(b.version))
        .json(BindingView::from(b)))
}

/// A person's binding history
///
/// Every binding the person has had, newest first (R-PU-1).
#[utoipa::path(
    tag = "bindings",
    params(("id" = Uuid, Path, description = "Person id"), PageQuery),
    responses(
        (status = 200, description = "The bindings", body = BindingPage),
    )
)]
#[get("/persons/{id}/bindings")]
pub async fn binding_history(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(BindingPage::from(
        bindings::history(&state, &auth, id.into_inner(), page).await?,
    )))
}
