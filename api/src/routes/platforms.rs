//! Learning-platform clients, managed by hrss.

use crate::routes::extract::{Json, Query};
use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::views::Category;
use crate::platforms::clients::{self, NewPlatform};
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{PlatformCreated, PlatformPage, PlatformView};
use crate::state::AppState;

/// A new platform client.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "广东省专业技术人员继续教育网络学习平台", "categories": ["public", "professional"], "series_families": ["engineering", "health"]}))]
pub struct CreatePlatformRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        example = "广东省专业技术人员继续教育公需课平台"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// Record categories it may push.
    #[schema(min_items = 1, max_items = 3)]
    #[validate(length(min = 1, max = 3))]
    pub categories: Vec<Category>,
    /// Series families it may push for (`education`, `health`, `accounting`, … from `GET /series`).
    #[schema(min_items = 1, max_items = 32, inline)]
    #[validate(length(min = 1, max = 32))]
    pub series_families: Vec<FamilyCode>,
}

/// A series family code.
#[derive(Debug, serde::Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 64, example = "health")]
pub struct FamilyCode(pub String);

impl TryFrom<CreatePlatformRequest> for NewPlatform {
    type Error = ApiError;

    fn try_from(r: CreatePlatformRequest) -> Result<Self, Self::Error> {
        let name = r.name.trim().to_string();
        if name.is_empty() {
            return Err(ApiError::invalid_field(
                "name_invalid",
                "name",
                "the name must not be blank",
            ));
        }
        if let Some(bad) = r
            .series_families
            .iter()
            .find(|f| f.0.is_empty() || f.0.len() > 64)
        {
            return Err(ApiError::invalid_field(
                "series_family_unknown",
                "series_families",
                format!("{:?} is not a series family", bad.0),
            ));
        }
        Ok(NewPlatform {
            name,
            categories: r.categories.into_iter().collect(),
            series_families: r
                .series_families
                .into_iter()
                .map(|f| f.0)
                .collect::<BTreeSet<_>>(),
        })
    }
}

/// Create a platform client
///
/// hrss registers a learning platform and says which record categories and
/// series families it may push. The `client_secret` is shown only in this
/// answer and stored hashed.
#[utoipa::path(
    tag = "platforms",
    request_body = CreatePlatformRequest,
    responses(
        (status = 201, description = "Created, with the secret shown this once", body = PlatformCreated,
            headers(("Location" = String, description = "The new platform"))),
        (status = 422, description = "Invalid field, e.g. an unknown series family (`series_family_unknown`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/platforms")]
pub async fn platform_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<CreatePlatformRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let created = clients::create(&state, &auth, body.try_into()?).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/platforms/{}", created.platform.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PlatformCreated::from(created)))
}

/// List platform clients
///
/// Oldest first, revoked ones included (with `revoked_at`).
#[utoipa::path(
    tag = "platforms",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of platforms", body = PlatformPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/platforms")]
pub async fn platform_list(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(PlatformPage::from(
        clients::list(&state, &auth, page).await?,
    )))
}

/// View a platform client
#[utoipa::path(
    tag = "platforms",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(("id" = Uuid, Path, description = "Platform id")),
    responses(
        (status = 200, description = "The platform", body = PlatformView),
    )
)]
#[get("/platforms/{id}")]
pub async fn platform_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PlatformView::from(
        clients::get(&state, &auth, id.into_inner()).await?,
    )))
}

/// Revoke a platform client
///
/// No new tokens are issued to it from now on. Revoking a revoked client
/// succeeds and changes nothing.
#[utoipa::path(
    tag = "platforms",
    params(("id" = Uuid, Path, description = "Platform id")),
    responses(
        (status = 204, description = "Revoked"),
    )
)]
#[delete("/platforms/{id}")]
pub async fn platform_revoke(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    clients::revoke(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
