//! Attachments: raw uploads whose type is read from the bytes.

use crate::routes::extract::Query;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::attachment::{Filename, content_disposition};
use crate::error::{ApiError, Problem};
use crate::parties::attachments;
use crate::routes::read_body;
use crate::routes::views::parties::AttachmentView;
use crate::state::AppState;

/// The raw bytes of a file.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// The name to keep with an upload.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, without a path: 1–200 characters, no `/`, `\` or control characters.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^/\\\u0000-\u001F\u007F-\u009F]*[^/\\\s.\u0000-\u001F\u007F-\u009F][^/\\\u0000-\u001F\u007F-\u009F]*$",
        example = "资格证明.pdf"
    )]
    #[validate(length(min = 1, max = 200, code = "filename_invalid"))]
    pub filename: String,
}

/// Upload an attachment
///
/// The raw body is the file. Its type is detected from the bytes: PDF, PNG
/// or JPEG; anything else is refused with 415. Up to
/// `limits.attachment_bytes` (10 MiB by default).
#[utoipa::path(
    tag = "attachments",
    params(UploadQuery),
    request_body(content = FileBytes, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = AttachmentView,
            headers(("Location" = String, description = "Where to download it"))),
        (status = 413, description = "Larger than the limit (`payload_too_large`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, PNG or JPEG file (`attachment_type_not_allowed`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty file (`attachment_empty`) or bad file name (`filename_invalid`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many uploads and pushes in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/attachments")]
pub async fn attachment_upload(
    state: web::Data<AppState>,
    auth: Caller,
    req: actix_web::HttpRequest,
    query: Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    attachments::may_handle_files(&auth)?;
    query.validate()?;
    let filename = Filename::parse(&query.filename).map_err(|e| ApiError::domain("filename", e))?;
    let _bulk = state.bulk.enter().await?;
    let bytes = read_body(&req, payload, state.settings.limits.attachment_bytes).await?;
    let a = attachments::upload(&state, &auth, filename, bytes).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/attachments/{}", a.id)))
        .json(AttachmentView::from(a)))
}

/// Download an attachment
///
/// For the uploader, hrss, and the reviewing authority and the provider
/// admins of a qualification that lists it; 404 for anyone else.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, with the type detected at upload",
            content(
                (FileBytes = "application/pdf"),
                (FileBytes = "image/png"),
                (FileBytes = "image/jpeg"),
            ),
            headers(("Content-Disposition" = String, description = "`attachment; filename*=UTF-8''…`"))),
        (status = 503, description = "Too many downloads in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[get("/attachments/{id}")]
pub async fn attachment_download(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let place = state.files.enter().await?;
    let (a, bytes) = attachments::download(&state, &auth, id.into_inner()).await?;
    Ok(file_response(a, bytes, place, "private, no-store"))
}

/// A file being sent, holding its place among the downloads
/// (`pools.file_downloads`) until the last byte is written or the client
/// goes away, so the files held in memory are bounded.
struct PlacedFile {
    bytes: web::Bytes,
    _place: tokio::sync::OwnedSemaphorePermit,
}

impl actix_web::body::MessageBody for PlacedFile {
    type Error = std::convert::Infallible;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Sized(self.bytes.len() as u64)
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes, Self::Error>>> {
        /// Written a slice at a time (zero-copy), so the place is held
        /// while the rest waits.
        const CHUNK: usize = 64 * 1024;
        if self.bytes.is_empty() {
            return std::task::Poll::Ready(None);
        }
        let n = CHUNK.min(self.bytes.len());
        std::task::Poll::Ready(Some(Ok(self.bytes.split_to(n))))
    }
}

/// A stored file as a download: its detected type, its name, no sniffing.
pub fn file_response(
    a: crate::parties::views::Attachment,
    bytes: Vec<u8>,
    place: tokio::sync::OwnedSemaphorePermit,
    cache_control: &str,
) -> HttpResponse {
    let body = PlacedFile {
        bytes: web::Bytes::from(bytes),
        _place: place,
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, a.content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&a.filename),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, cache_control.to_string()))
        .body(body)
}
