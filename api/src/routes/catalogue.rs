//! Reference data and the professional-subject catalogue (R-CP-2).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::reference::series;
use crate::routes::pagination::PageQuery;
use crate::routes::views::training::{CoursePage, CourseView};
use crate::routes::year;
use crate::state::AppState;
use crate::training::catalogue::{self, NewCourse};

use super::non_blank;

/// List the professional series
///
/// Every series with its family, public-course platform (R-RC-9) and
/// requirement group (R-REQ-1). Public reference data, which only
/// migrations write: answered from the process's memory.
#[utoipa::path(
    tag = "catalogue",
    responses((status = 200, description = "All series", body = SeriesList)),
    security(())
)]
#[get("/series")]
pub async fn series_list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(SeriesList::from(state.reference.series().clone())))
}

/// Filters of the catalogue.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CourseListQuery {
    /// Only this series.
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub series: Option<String>,
}

/// List a year's catalogue
///
/// The professional-subject courses published for the year (R-CP-2), for
/// any signed-in caller.
#[utoipa::path(
    tag = "catalogue",
    params(
        ("year" = i32, Path, minimum = 2017, maximum = 2100, description = "The year"),
        CourseListQuery,
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of courses", body = CoursePage),
        (status = 422, description = "Year out of range (`year_invalid`) or a bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalogue/{year}/courses")]
pub async fn catalogue_list(
    state: web::Data<AppState>,
    _auth: Caller,
    path: web::Path<i32>,
    filter: Query<CourseListQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    page.validate()?;
    let y = year(path.into_inner())?;
    let page = Page::try_from(&*page)?;
    Ok(HttpResponse::Ok().json(CoursePage::from(
        catalogue::list(&state, y, filter.series.as_deref(), page).await?,
    )))
}

/// A course to publish.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"series": "nursing", "name": "急危重症护理新进展", "hours": 12}))]
pub struct CourseCreateRequest {
    /// Series code.
    #[schema(min_length = 1, max_length = 64, example = "nursing")]
    #[validate(length(min = 1, max = 64))]
    pub series: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "\\S",
        example = "护理安全管理"
    )]
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Suggested hours (one decimal place at most).
    #[schema(minimum = 0, maximum = 10000, multiple_of = 0.1)]
    #[validate(range(min = 0.0, max = 10000.0))]
    pub hours: Option<f64>,
}

/// Publish a catalogue course
///
/// The approved provincial authority of the series (省行业主管部门) adds a
/// professional-subject course to the year's catalogue (R-CP-2). A city or
/// district authority of the series, or a provincial one of other series,
/// gets 403: the catalogue is public, so the refusal hides nothing.
#[utoipa::path(
    tag = "catalogue",
    params(("year" = i32, Path, minimum = 2017, maximum = 2100, description = "The year")),
    request_body = CourseCreateRequest,
    responses(
        (status = 201, description = "Published", body = CourseView),
        (status = 403, description = "Not an authority (`forbidden`), not of this series (`series_not_supervised`), or not a provincial one (`provincial_authority_only`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The year and series list this name already (`course_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown series (`series_unknown`), bad hours or year", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/catalogue/{year}/courses")]
pub async fn catalogue_publish(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i32>,
    body: Json<CourseCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let y = year(path.into_inner())?;
    let hours = body.hours.map(super::hours).transpose()?;
    let new = NewCourse {
        series: body.series.trim().to_string(),
        name: non_blank(&body.name, "name")?,
        hours,
    };
    let c = catalogue::publish(&state, &auth, y, new).await?;
    Ok(HttpResponse::Created().json(CourseView::from(c)))
}

/// A professional series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesView {
    /// Stable code used everywhere else (`engineering`, `nursing`, …).
    #[schema(max_length = 64, example = "nursing")]
    pub code: String,
    #[schema(max_length = 100, example = "护理专业")]
    pub name: String,
    /// Family (`education`, `health`, `accounting`, …): what platforms are allowed to push for.
    #[schema(max_length = 64, example = "health")]
    pub family: String,
    /// Where its persons take public courses (R-RC-9): `provincial` or a sector platform.
    #[schema(max_length = 64, example = "health")]
    pub public_course_platform: String,
    /// Which annual requirement applies (R-REQ-1): `general`, `accounting`, `archives`.
    #[schema(max_length = 64, example = "general")]
    pub requirement_group: String,
}

impl From<series::Series> for SeriesView {
    fn from(v: series::Series) -> Self {
        Self {
            code: v.code,
            name: v.name,
            family: v.family,
            public_course_platform: v.public_course_platform,
            requirement_group: v.requirement_group,
        }
    }
}

/// All series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesList {
    pub items: Vec<SeriesView>,
}

impl From<series::SeriesList> for SeriesList {
    fn from(v: series::SeriesList) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}
