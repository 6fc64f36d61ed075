//! Statistics (R-ST-1) as JSON and as CSV, and the CSV exports of the
//! records list and a unit's compliance list: streamed, a keyset page of
//! rows at a time, UTF-8 with a byte-order mark.

use crate::routes::extract::Query;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::oversight::exports::{self, Chunks};
use crate::oversight::statistics::{self, GroupBy};
use crate::routes::views::oversight::StatisticsView;
use crate::state::AppState;

/// CSV text (UTF-8 with a byte-order mark): a string, so that generated
/// clients read it as text.
#[derive(Debug, ToSchema)]
#[schema(value_type = String)]
pub struct CsvFile(pub Vec<u8>);

/// Which year and grouping.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// Default: the current year in China time.
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    /// `series`, `unit` or `region`.
    pub group_by: GroupBy,
}

/// Statistics of a year
///
/// R-ST-1: per professional series, unit (bound now) or region (the
/// division code of the unit's credit code), the persons, how many
/// completed the year (the compliance calculator's rule), their approved
/// hours per category and valid certificates. hrss sees all; an industry
/// authority the persons of its series (a city or district authority only
/// those whose unit lies in its region). Aggregated in the database.
#[utoipa::path(
    tag = "statistics",
    params(StatisticsQuery),
    responses(
        (status = 200, description = "The figures per group", body = StatisticsView),
        (status = 400, description = "An unreadable query, e.g. an unknown `group_by` or a year that is not a number (`query_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not hrss or an industry authority (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No requirement is in force for the year (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/statistics")]
pub async fn statistics_view(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let y = super::year_or_current(query.year)?;
    // A heavy read: the replica's when one serves (`AppState::read_db`).
    let v = statistics::of_year(state.read_db(), &auth, y, query.group_by).await?;
    Ok(HttpResponse::Ok().json(StatisticsView::from(v)))
}

/// The streamed CSV response: headers now, chunks as the pages are read.
/// A failure after the first chunk can no longer change the status: it is
/// logged and the connection closed, so the download is visibly cut short.
fn csv_response(filename: &str, chunks: Chunks) -> HttpResponse {
    let body = chunks.map(|c| {
        c.map(actix_web::web::Bytes::from).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "export failed while streaming");
            std::io::Error::other("export failed")
        })
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// Statistics of a year as CSV
///
/// The figures of `GET /statistics` (same scope), one line per group, as
/// a CSV download.
#[utoipa::path(
    tag = "statistics",
    params(StatisticsQuery),
    responses(
        (status = 200, description = "CSV with a header line: year, group_by, key, name, persons, persons_complete, public_hours, professional_hours, elective_hours, valid_certificates, persons_exempt (added last, so readers of the earlier columns keep working)", content((CsvFile = "text/csv")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"statistics-<year>-<group_by>.csv\"`"))),
        (status = 400, description = "An unreadable query, e.g. an unknown `group_by` (`query_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not hrss or an industry authority (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No requirement is in force for the year (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/statistics/export")]
pub async fn statistics_export(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let y = super::year_or_current(query.year)?;
    let chunks = exports::statistics(&state, &auth, y, query.group_by).await?;
    Ok(csv_response(
        &format!("statistics-{}-{}.csv", y.value(), query.group_by.as_str()),
        chunks,
    ))
}

/// Export records as CSV
///
/// The records `GET /records` lists to the caller with the same filters
/// and scope (a person their own, a unit admin those of the unit's
/// persons, hrss all), oldest first, with the person's name and masked ID
/// number.
#[utoipa::path(
    tag = "records",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(super::records::RecordListQuery),
    responses(
        (status = 200, description = "CSV with a header line: id, person_id, person_name, id_card_masked, year, category, series, course_name, hours, source, status, provider_name, unit_id, result, created_at", content((CsvFile = "text/csv")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"records.csv\"`"))),
        (status = 400, description = "An unreadable query (`query_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A role that reads no records (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/records/export")]
pub async fn record_export(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<super::records::RecordListQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let filter = query.into_inner().filter()?;
    let filename = match filter.year {
        Some(y) => format!("records-{}.csv", y.value()),
        None => "records.csv".to_string(),
    };
    let filter = crate::ledger::records::resolve(&state.db, &auth, filter).await?;
    let chunks = exports::records(&state, &auth, filter)?;
    Ok(csv_response(&filename, chunks))
}

/// Which year and persons.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UnitComplianceExportQuery {
    /// Default: the current year in China time.
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    /// Only the persons whose year is complete (`true`) or behind (`false`:
    /// incomplete; a year that owes nothing, R-ACC-6, is neither).
    #[param(nullable = false)]
    pub complete: Option<bool>,
}

/// Export the unit's compliance list as CSV
///
/// The rows of `GET /units/{id}/compliance` for a year, by person: name,
/// masked ID number, each category's required, approved and missing hours,
/// and whether the year is complete. Admins of the unit and hrss.
#[utoipa::path(
    tag = "compliance",
    params(("id" = Uuid, Path, description = "Unit id"), UnitComplianceExportQuery),
    responses(
        (status = 200, description = "CSV with a header line: person_id, person_name, id_card_masked, year, then required, approved and missing of public, professional and elective, complete, and exempt_reason (R-ACC-6; empty when the year is owed)", content((CsvFile = "text/csv")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"unit-compliance-<year>.csv\"`"))),
        (status = 400, description = "An unreadable query or path (`query_invalid`, `path_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a unit admin or hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit, or not the caller's (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{id}/compliance/export")]
pub async fn unit_compliance_export(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<UnitComplianceExportQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let y = super::year_or_current(query.year)?;
    let chunks =
        exports::unit_compliance(&state, &auth, id.into_inner(), y, query.complete).await?;
    Ok(csv_response(
        &format!("unit-compliance-{}.csv", y.value()),
        chunks,
    ))
}
