//! Legacy data from the old city system (历史(旧系统)数据): hrss imports
//! it from CSV; the person and their unit read it as history; its
//! certificates verify at `GET /verify/{number}` with `legacy: true`.

use crate::routes::extract::Query;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::oversight::legacy::{self, LegacyKind};
use crate::routes::views::oversight::{LegacyHistory, LegacyImportReport};
use crate::state::AppState;

/// A CSV file, UTF-8 with or without BOM, comma-separated, a header line
/// naming the columns (any order), fields quoted as RFC 4180 when they
/// hold commas, quotes or line breaks.
#[derive(Debug, ToSchema)]
#[schema(
    value_type = String,
    format = Binary,
    example = "legacy_id,id_card_no,name,year,category,course_name,hours\nGZ2018-000123,440106199003071231,陈晓红,2018,elective,护理管理与沟通,10\n"
)]
pub struct CsvBytes(pub Vec<u8>);

/// Which layout the file has.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub kind: LegacyKind,
}

fn is_csv_body(req: &HttpRequest) -> bool {
    match req.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| matches!(m.as_str(), "application/octet-stream" | "text/csv")),
    }
}

/// Import legacy data from CSV
///
/// hrss imports the old city system's records or certificates (years up to
/// `legacy.last_year`, 2018 by default) from a CSV sent as the raw body
/// (`application/octet-stream`, or `text/csv`), up to
/// `limits.legacy_import_bytes` (8 MiB) and 10,000 rows.
///
/// `kind=records` columns: `legacy_id` (the old system's record id, the
/// key), `id_card_no`, `name`, `year`, `category` (`public`,
/// `professional`, `elective` or 公需科目, 专业科目, 个人选修科目),
/// `course_name`, `hours` (0–1000, one decimal), and optionally `series`
/// (a series code; required for professional), `result`, `provider_name`,
/// `unit_name`, `completed_on` (YYYY-MM-DD).
///
/// `kind=certificates` columns: `number` (as printed, 4–40 of `0-9A-Z-`,
/// never of the current `YYYY-XXXX-XXXX-XXXX` form; the key), `id_card_no`,
/// `name`, `year`, `public_hours`, `professional_hours`, `elective_hours`,
/// `issued_on` (YYYY-MM-DD), and optionally `unit_name`.
///
/// Each row is checked on its own and a bad one is reported with its line,
/// `code` and detail while the good ones are imported, all in one
/// transaction. A key imported before with the same content counts as
/// `unchanged` (importing a file twice changes nothing); with other
/// content it is rejected as `conflict`, never overwritten.
#[utoipa::path(
    tag = "legacy",
    params(ImportQuery),
    request_body(content = CsvBytes, content_type = "application/octet-stream",
        description = "The CSV file's bytes"),
    responses(
        (status = 200, description = "The import's counts and every rejected row", body = LegacyImportReport),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the body limit (`payload_too_large`) or over 10,000 rows (`import_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither `application/octet-stream` nor `text/csv` (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not UTF-8 (`csv_encoding_invalid`), or a header that lacks a required column, names an unknown one or one twice (`csv_header_invalid`, the columns in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many uploads and pushes in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/legacy/imports")]
pub async fn legacy_import(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Who may import is answered before the body is read.
    legacy::require_importer(&auth)?;
    if !is_csv_body(&req) {
        return Err(ApiError::unsupported_media_type(
            "application/octet-stream or text/csv",
        ));
    }
    let _bulk = state.bulk.enter().await?;
    let body = super::read_body(&req, payload, state.settings.limits.legacy_import_bytes).await?;
    let report = legacy::import(&state, &auth, query.kind, &body).await?;
    Ok(HttpResponse::Ok().json(LegacyImportReport::from(report)))
}

/// A person's legacy history
///
/// 历史记录查询, 历史证书查询: the records and certificates the old city
/// system holds for the person's ID number, read-only, oldest year first.
/// For the person, an admin of the unit they are bound to now, and hrss;
/// other units get 404. They never count towards compliance or
/// certificates of this system.
#[utoipa::path(
    tag = "legacy",
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "The person's legacy records and certificates", body = LegacyHistory),
        (status = 403, description = "A role that does not see persons' hours (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/persons/{id}/legacy-history")]
pub async fn person_legacy_history(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(LegacyHistory::from(
        legacy::history(&state, &auth, id.into_inner()).await?,
    )))
}
