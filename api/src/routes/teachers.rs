//! Teacher rosters of units and providers (R-T-1).

use crate::routes::extract::{Json, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::teachers::{self, OwnerType, TeacherChange};
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{TeacherPage, TeacherView};
use crate::state::AppState;

use super::{etag, if_match, non_blank};

/// A teacher to add.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "李建华", "title": "主任护师"}))]
pub struct TeacherCreateRequest {
    #[schema(min_length = 1, max_length = 50, pattern = "\\S")]
    #[validate(length(min = 1, max = 50))]
    pub name: String,
    /// Professional title.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    #[validate(length(min = 1, max = 64))]
    pub title: Option<String>,
}

async fn create(
    state: &AppState,
    auth: &Caller,
    owner: OwnerType,
    owner_id: Uuid,
    body: TeacherCreateRequest,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let name = non_blank(&body.name, "name")?;
    let title = body
        .title
        .as_deref()
        .map(|t| non_blank(t, "title"))
        .transpose()?;
    let t = teachers::create(state, auth, owner, owner_id, name, title).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(t.version))
        .json(TeacherView::from(t)))
}

/// List a unit's teachers
#[utoipa::path(
    tag = "teachers",
    params(("id" = Uuid, Path, description = "Unit id"), PageQuery),
    responses((status = 200, description = "A page of teachers", body = TeacherPage))
)]
#[get("/units/{id}/teachers")]
pub async fn unit_teacher_list(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(TeacherPage::from(
        teachers::list(&state, &auth, OwnerType::Unit, id.into_inner(), page).await?,
    )))
}

/// Add a teacher to a unit's roster
#[utoipa::path(
    tag = "teachers",
    params(("id" = Uuid, Path, description = "Unit id")),
    request_body = TeacherCreateRequest,
    responses((status = 201, description = "Added, enabled", body = TeacherView))
)]
#[post("/units/{id}/teachers")]
pub async fn unit_teacher_create(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<TeacherCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    create(
        &state,
        &auth,
        OwnerType::Unit,
        id.into_inner(),
        body.into_inner(),
    )
    .await
}

/// List a provider's teachers
#[utoipa::path(
    tag = "teachers",
    params(("id" = Uuid, Path, description = "Provider id"), PageQuery),
    responses((status = 200, description = "A page of teachers", body = TeacherPage))
)]
#[get("/providers/{id}/teachers")]
pub async fn provider_teacher_list(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(TeacherPage::from(
        teachers::list(&state, &auth, OwnerType::Provider, id.into_inner(), page).await?,
    )))
}

/// Add a teacher to a provider's roster
#[utoipa::path(
    tag = "teachers",
    params(("id" = Uuid, Path, description = "Provider id")),
    request_body = TeacherCreateRequest,
    responses((status = 201, description = "Added, enabled", body = TeacherView))
)]
#[post("/providers/{id}/teachers")]
pub async fn provider_teacher_create(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<TeacherCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    create(
        &state,
        &auth,
        OwnerType::Provider,
        id.into_inner(),
        body.into_inner(),
    )
    .await
}

/// A teacher change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"title": "主任护师", "enabled": true}))]
pub struct TeacherUpdateRequest {
    #[schema(min_length = 1, max_length = 50, pattern = "\\S")]
    #[validate(length(min = 1, max = 50))]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    #[validate(length(min = 1, max = 64))]
    pub title: Option<String>,
    /// Disable a teacher who must not be chosen for new classes (R-T-1).
    pub enabled: Option<bool>,
}

/// Enable, disable or rename a teacher
#[utoipa::path(
    tag = "teachers",
    params(
        ("id" = Uuid, Path, description = "Teacher id"),
        super::IfMatchHeader,
    ),
    request_body = TeacherUpdateRequest,
    responses(
        (status = 200, description = "Updated", body = TeacherView, headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "Changed by someone else first (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/teachers/{id}")]
pub async fn teacher_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TeacherUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let change = TeacherChange {
        name: body
            .name
            .as_deref()
            .map(|n| non_blank(n, "name"))
            .transpose()?,
        title: body
            .title
            .as_deref()
            .map(|t| non_blank(t, "title"))
            .transpose()?,
        enabled: body.enabled,
    };
    let t = teachers::update(&state, &auth, id.into_inner(), change, if_match(&req)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(t.version))
        .json(TeacherView::from(t)))
}

/// Delete a teacher
///
/// A teacher a class refers to is disabled instead (R-T-1).
#[utoipa::path(
    tag = "teachers",
    params(("id" = Uuid, Path, description = "Teacher id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "A class refers to the teacher (`teacher_in_use`); disable instead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/teachers/{id}")]
pub async fn teacher_delete(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    teachers::delete(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
