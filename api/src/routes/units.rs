//! Units, their admins, and the bindings they decide (R-ID-4, R-ID-5, R-PU-1).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::{CreditCode, IdCardNo, PersonName};
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::bindings::{self, BindingDecision, BindingStatus};
use crate::parties::units::{self, NewUnit, UnitChange};
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{
    AdminList, AdminView, BindingPage, BindingView, UnitPage, UnitView,
};
use crate::state::AppState;

use super::{etag, if_match, non_blank};

/// A unit's registration.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "广州市第一人民医院", "credit_code": "12440100455403412X", "address": "广州市越秀区盘福路1号", "contact_phone": "020-81048888"}))]
pub struct UnitCreateRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "\\S",
        example = "广州市第一人民医院"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// Unified social credit code (GB 32100, mod-31 check character).
    #[schema(min_length = 18, max_length = 18, example = "91350100M000100Y43")]
    #[validate(length(min = 18, max = 18, code = "credit_code_invalid"))]
    pub credit_code: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    #[validate(length(min = 1, max = 200))]
    pub address: Option<String>,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    #[validate(length(min = 1, max = 20))]
    pub contact_phone: Option<String>,
}

/// Register a unit
///
/// Registers an employer unit by its unified social credit code (R-ID-4);
/// the calling account becomes its first admin (R-ID-5).
#[utoipa::path(
    tag = "units",
    request_body = UnitCreateRequest,
    responses(
        (status = 201, description = "Registered", body = UnitView,
            headers(("Location" = String, description = "The unit"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "The credit code is registered already (`credit_code_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong check character (`credit_code_invalid`) or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units")]
pub async fn unit_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<UnitCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let credit_code =
        CreditCode::parse(&body.credit_code).map_err(|e| ApiError::domain("credit_code", e))?;
    let new = NewUnit {
        name: non_blank(&body.name, "name")?,
        credit_code,
        address: body
            .address
            .as_deref()
            .map(|a| non_blank(a, "address"))
            .transpose()?,
        contact_phone: body
            .contact_phone
            .as_deref()
            .map(|p| non_blank(p, "contact_phone"))
            .transpose()?,
    };
    let u = units::create(&state, &auth, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/units/{}", u.id)))
        .insert_header(etag(u.version))
        .json(UnitView::from(u)))
}

/// Unit search.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UnitListQuery {
    /// Part of the unit's name.
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub q: Option<String>,
}

/// Search units by name
///
/// For a person looking for their employer to bind to.
#[utoipa::path(
    tag = "units",
    params(UnitListQuery, PageQuery),
    responses((status = 200, description = "A page of units", body = UnitPage))
)]
#[get("/units")]
pub async fn unit_list(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<UnitListQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    page.validate()?;
    let page = Page::try_from(&*page)?;
    Ok(HttpResponse::Ok().json(UnitPage::from(
        units::search(&state, &auth, query.q.as_deref(), page).await?,
    )))
}

/// View a unit
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, description = "The unit", body = UnitView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/units/{id}")]
pub async fn unit_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let u = units::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(u.version))
        .json(UnitView::from(u)))
}

/// A change of a unit's details; the credit code never changes.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"address": "广州市越秀区盘福路1号", "contact_phone": "020-81048888"}))]
pub struct UnitUpdateRequest {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    #[validate(length(min = 1, max = 100))]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    #[validate(length(min = 1, max = 200))]
    pub address: Option<String>,
    #[schema(min_length = 1, max_length = 20, pattern = "\\S")]
    #[validate(length(min = 1, max = 20))]
    pub contact_phone: Option<String>,
}

/// Change a unit's details
///
/// By an admin of the unit (R-ID-5), with `If-Match`.
#[utoipa::path(
    tag = "units",
    params(
        ("id" = Uuid, Path, description = "Unit id"),
        super::IfMatchHeader,
    ),
    request_body = UnitUpdateRequest,
    responses(
        (status = 200, description = "The updated unit", body = UnitView, headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "Changed by someone else first (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/units/{id}")]
pub async fn unit_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UnitUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let change = UnitChange {
        name: body
            .name
            .as_deref()
            .map(|n| non_blank(n, "name"))
            .transpose()?,
        address: body
            .address
            .as_deref()
            .map(|a| non_blank(a, "address"))
            .transpose()?,
        contact_phone: body
            .contact_phone
            .as_deref()
            .map(|p| non_blank(p, "contact_phone"))
            .transpose()?,
    };
    let u = units::update(&state, &auth, id.into_inner(), change, if_match(&req)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(u.version))
        .json(UnitView::from(u)))
}

/// List a unit's admins
///
/// Active admins and pending invitations.
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, description = "The admins", body = AdminList))
)]
#[get("/units/{id}/admins")]
pub async fn unit_admin_list(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AdminList::from(
        units::admins(&state, &auth, id.into_inner()).await?,
    )))
}

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"id_card_no": "440106199003071231"}))]
pub struct AdminInviteRequest {
    /// The ID number of the registered person whose account is invited.
    #[schema(min_length = 18, max_length = 18, pattern = "^[0-9]{17}[0-9Xx]$")]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
}

/// Invite an admin sub-account
///
/// An admin invites another person's account (子账号, R-ID-5); the account
/// becomes an admin when it accepts.
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "Unit id")),
    request_body = AdminInviteRequest,
    responses(
        (status = 201, description = "Invited", body = AdminView),
        (status = 409, description = "Already an admin (`already_admin`) or invited (`already_invited`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No registered account with this ID number (`account_unknown`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{id}/admins")]
pub async fn unit_admin_invite(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<AdminInviteRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let id_card_no =
        IdCardNo::parse(&body.id_card_no).map_err(|e| ApiError::domain("id_card_no", e))?;
    let a = units::invite(&state, &auth, id.into_inner(), id_card_no).await?;
    Ok(HttpResponse::Created().json(AdminView::from(a)))
}

/// Accept an admin invitation
///
/// The invited account itself accepts and holds `unit_admin` from its next
/// request on (R-ID-5).
#[utoipa::path(
    tag = "units",
    params(
        ("id" = Uuid, Path, description = "Unit id"),
        ("account_id" = Uuid, Path, description = "The invited account: the caller"),
    ),
    responses((status = 200, description = "Now an admin", body = AdminView))
)]
#[post("/units/{id}/admins/{account_id}/accept")]
pub async fn unit_admin_accept(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (unit_id, account_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(AdminView::from(
        units::accept(&state, &auth, unit_id, account_id).await?,
    )))
}

/// Remove an admin or withdraw an invitation
///
/// Changing admin is: invite the new, then remove the old; the last admin
/// cannot be removed (R-ID-5).
#[utoipa::path(
    tag = "units",
    params(
        ("id" = Uuid, Path, description = "Unit id"),
        ("account_id" = Uuid, Path, description = "The admin's account"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "The unit's last admin (`last_admin`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/units/{id}/admins/{account_id}")]
pub async fn unit_admin_remove(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (unit_id, account_id) = path.into_inner();
    units::remove_admin(&state, &auth, unit_id, account_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Filters of a unit's bindings.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct BindingListQuery {
    pub status: Option<BindingStatus>,
}

/// List a unit's bindings
///
/// `status=pending` gives the requests waiting for the unit (专业技术人员信息确认).
#[utoipa::path(
    tag = "bindings",
    params(("id" = Uuid, Path, description = "Unit id"), BindingListQuery, PageQuery),
    responses((status = 200, description = "A page of bindings", body = BindingPage))
)]
#[get("/units/{id}/bindings")]
pub async fn binding_list(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<BindingListQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    page.validate()?;
    let page = Page::try_from(&*page)?;
    Ok(HttpResponse::Ok().json(BindingPage::from(
        bindings::for_unit(&state, &auth, id.into_inner(), query.status, page).await?,
    )))
}

/// A unit's decision on a binding request.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"decision": "approve", "comment": "已核实在职"}))]
pub struct BindingReviewRequest {
    pub decision: BindingDecision,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub comment: Option<String>,
}

/// Approve or reject a binding request
///
/// With `If-Match`, so two admins cannot both decide (412 for the second).
#[utoipa::path(
    tag = "bindings",
    params(
        ("id" = Uuid, Path, description = "Unit id"),
        ("binding_id" = Uuid, Path, description = "Binding id"),
        super::IfMatchHeader,
    ),
    request_body = BindingReviewRequest,
    responses(
        (status = 200, description = "Decided", body = BindingView, headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "Not pending (`illegal_transition`) or the person is bound elsewhere (`already_bound`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Decided by someone else first (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{id}/bindings/{binding_id}/review")]
pub async fn binding_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<BindingReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let (unit_id, binding_id) = path.into_inner();
    let body = body.into_inner();
    let b = bindings::review(
        &state,
        &auth,
        unit_id,
        binding_id,
        body.decision,
        body.comment,
        if_match(&req)?,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(b.version))
        .json(BindingView::from(b)))
}

/// The person a unit adds.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"id_card_no": "440106199003071231", "name": "陈晓红"}))]
pub struct UnitPersonAddRequest {
    #[schema(min_length = 18, max_length = 18, pattern = "^[0-9]{17}[0-9Xx]$")]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: String,
}

/// Add a person to the unit
///
/// The unit binds a registered person by ID number and name (R-PU-1).
#[utoipa::path(
    tag = "bindings",
    params(("id" = Uuid, Path, description = "Unit id")),
    request_body = UnitPersonAddRequest,
    responses(
        (status = 201, description = "Bound", body = BindingView),
        (status = 409, description = "Bound to a unit already (`already_bound`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not registered (`person_unknown`) or the name does not match (`name_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{id}/persons")]
pub async fn unit_person_add(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<UnitPersonAddRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let id_card_no =
        IdCardNo::parse(&body.id_card_no).map_err(|e| ApiError::domain("id_card_no", e))?;
    let name = PersonName::parse(&body.name).map_err(|e| ApiError::domain("name", e))?;
    let b = bindings::add_person(&state, &auth, id.into_inner(), id_card_no, name).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(b.version))
        .json(BindingView::from(b)))
}

/// Unbind a person
///
/// Ends the person's binding to this unit; the history keeps it (R-PU-1).
#[utoipa::path(
    tag = "bindings",
    params(
        ("id" = Uuid, Path, description = "Unit id"),
        ("person_id" = Uuid, Path, description = "Person id"),
    ),
    responses((status = 204, description = "Unbound"))
)]
#[delete("/units/{id}/persons/{person_id}")]
pub async fn unit_person_remove(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (unit_id, person_id) = path.into_inner();
    bindings::unbind(&state, &auth, unit_id, person_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
