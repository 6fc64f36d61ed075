//! Notices and policy documents (通知公告 / 政策法规).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::oversight::notices::{self, NoticeKind};
use crate::pagination::Page;
use crate::routes::attachments::{FileBytes, file_response};
use crate::routes::non_blank;
use crate::routes::pagination::PageQuery;
use crate::routes::views::oversight::{NoticePage, NoticeView};
use crate::state::AppState;

/// A notice to publish.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "notice", "title": "关于开展2027年度专业技术人员继续教育工作的通知", "body": "各地级以上市人力资源社会保障局：现就2027年度专业技术人员继续教育工作通知如下……", "attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"]}))]
pub struct NoticeRequest {
    pub kind: NoticeKind,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "关于2026年度公需科目学习的通知"
    )]
    #[validate(length(min = 1, max = 200))]
    pub title: String,
    #[schema(min_length = 1, max_length = 20000, pattern = r"\S")]
    #[validate(length(min = 1, max = 20000))]
    pub body: String,
    /// Attachments hrss uploaded (`POST /attachments`).
    #[serde(default)]
    #[schema(max_items = 20)]
    #[validate(length(max = 20))]
    pub attachment_ids: Vec<Uuid>,
}

/// Publish a notice
///
/// hrss publishes a notice (通知公告) or policy document (政策法规); everyone
/// can read it at once.
#[utoipa::path(
    tag = "notices",
    request_body = NoticeRequest,
    responses(
        (status = 201, description = "The notice", body = NoticeView,
            headers(("Location" = String, description = "The notice"))),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Blank text, or attachments not uploaded by the caller (`attachment_unknown`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notices")]
pub async fn notice_publish(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<NoticeRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let n = notices::publish(
        &state,
        &auth,
        b.kind,
        non_blank(&b.title, "title")?,
        non_blank(&b.body, "body")?,
        b.attachment_ids,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/notices/{}", n.id)))
        .json(NoticeView::from(n)))
}

/// Filters of the notice list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeListQuery {
    #[param(nullable = false)]
    pub kind: Option<NoticeKind>,
}

/// List notices
///
/// Public: notices and policy documents, newest first.
#[utoipa::path(
    tag = "notices",
    params(NoticeListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of notices", body = NoticePage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/notices")]
pub async fn notice_list(
    state: web::Data<AppState>,
    filter: Query<NoticeListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(NoticePage::from(
        notices::list(&state, filter.kind, page).await?,
    )))
}

/// Read a notice
///
/// Public.
#[utoipa::path(
    tag = "notices",
    params(("id" = Uuid, Path, description = "Notice id")),
    responses(
        (status = 200, description = "The notice", body = NoticeView),
        (status = 404, description = "No such notice", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/notices/{id}")]
pub async fn notice_view(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(NoticeView::from(
        notices::get(&state, id.into_inner()).await?,
    )))
}

/// Withdraw a notice
///
/// hrss removes a notice.
#[utoipa::path(
    tag = "notices",
    params(("id" = Uuid, Path, description = "Notice id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/notices/{id}")]
pub async fn notice_withdraw(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    notices::withdraw(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Download a notice's attachment
///
/// Public, for the attachments the notice lists.
#[utoipa::path(
    tag = "notices",
    params(
        ("id" = Uuid, Path, description = "Notice id"),
        ("attachment_id" = Uuid, Path, description = "Attachment id"),
    ),
    responses(
        (status = 200, description = "The file, with the type detected at upload",
            content(
                (FileBytes = "application/pdf"),
                (FileBytes = "image/png"),
                (FileBytes = "image/jpeg"),
            ),
            headers(("Content-Disposition" = String, description = "`attachment; filename*=UTF-8''…`"))),
        (status = 404, description = "No such notice, or not one of its attachments", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many downloads in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[get("/notices/{id}/attachments/{attachment_id}")]
pub async fn notice_attachment(
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, attachment_id) = path.into_inner();
    let place = state.files.enter().await?;
    let (a, bytes) = notices::attachment(&state, id, attachment_id).await?;
    Ok(file_response(a, bytes, place, "public, max-age=300"))
}
