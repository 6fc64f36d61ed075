//! Classes under course plans (R-CP-3, R-CP-4), their lifecycle (R-CL-1),
//! enrolments and results (R-CL-2).

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::class::{ClassMode, ClassStatus, EnrollmentDecision, EnrollmentStatus};
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::routes::pagination::PageQuery;
use crate::routes::views::training::{ClassPage, ClassView, EnrollmentPage, EnrollmentView};
use crate::routes::{IfMatchHeader, etag, if_match, non_blank};
use crate::state::AppState;
use crate::training::classes::{self, ClassFilter, NewClass};

/// A class to file under a plan (R-CP-4).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "2027年春季急危重症护理培训班", "mode": "face_to_face", "start_date": "2027-03-01", "end_date": "2027-03-05", "hours": 24, "capacity": 120, "venue": "广州市越秀区中山二路58号", "content": "急危重症护理评估、抢救配合与案例研讨", "teacher_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"], "head_teacher_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"}))]
pub struct CreateClassRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "护理安全管理 2026 第一期"
    )]
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    pub mode: ClassMode,
    /// A face-to-face class starts within the filing window: from today to
    /// 30 days ahead (China time, R-CP-3; the window is a setting).
    pub start_date: NaiveDate,
    /// On or after `start_date`.
    pub end_date: NaiveDate,
    /// Hours each learner who passes receives (one decimal place at most).
    #[schema(minimum = 0.1, maximum = 10000, multiple_of = 0.1, example = 24)]
    #[validate(range(min = 0.1, max = 10000.0, code = "hours_invalid"))]
    pub hours: f64,
    /// 拟招人数.
    #[schema(minimum = 1, maximum = 100000, example = 60)]
    #[validate(range(min = 1, max = 100000, code = "capacity_invalid"))]
    #[serde(deserialize_with = "super::whole::i32")]
    pub capacity: i32,
    #[schema(max_length = 200, nullable = false)]
    #[validate(length(max = 200))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub venue: Option<String>,
    /// What is taught.
    #[schema(max_length = 2000, nullable = false)]
    #[validate(length(max = 2000))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub content: Option<String>,
    /// Enabled teachers of the plan's owner (any enabled teacher for an
    /// authority's class).
    #[schema(min_items = 1, max_items = 20)]
    #[validate(length(min = 1, max = 20, code = "teacher_ids_invalid"))]
    pub teacher_ids: Vec<Uuid>,
    /// 班主任: an enabled teacher of the owner.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub head_teacher_id: Option<Uuid>,
}

/// File a class
///
/// R-CP-4: the plan's owner files a class under a plan that is not closed.
/// A face-to-face class is filed within the window of R-CP-3 (422
/// `filing_window`). It starts `accepting`; it takes enrolments once the
/// plan is approved.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Plan id")),
    request_body = CreateClassRequest,
    responses(
        (status = 201, description = "The class, accepting", body = ClassView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The class"))),
        (status = 409, description = "The plan is closed (`plan_closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Outside the filing window (`filing_window`), end before start (`dates_invalid`), a teacher not of the owner or disabled (`teacher_invalid`), or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/course-plans/{id}/classes")]
pub async fn class_create(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<CreateClassRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let hours = super::hours(b.hours)?;
    let new = NewClass {
        name: non_blank(&b.name, "name")?,
        mode: b.mode,
        start_date: b.start_date,
        end_date: b.end_date,
        hours,
        capacity: b.capacity,
        venue: super::optional_text(b.venue),
        content: super::optional_text(b.content),
        teacher_ids: b.teacher_ids,
        head_teacher_id: b.head_teacher_id,
    };
    let c = classes::create(&state, &auth, id.into_inner(), new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/classes/{}", c.id)))
        .insert_header(etag(c.version))
        .json(ClassView::from(c)))
}

/// Filters of the class list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ClassListQuery {
    #[param(nullable = false)]
    pub status: Option<ClassStatus>,
    /// Series code.
    #[param(max_length = 64, nullable = false)]
    #[validate(length(max = 64))]
    pub series: Option<String>,
    /// Classes run by this provider.
    #[param(nullable = false)]
    pub provider_id: Option<Uuid>,
    /// Classes of this plan.
    #[param(nullable = false)]
    pub plan_id: Option<Uuid>,
    /// Starting on or after this date.
    #[param(nullable = false)]
    pub from: Option<NaiveDate>,
    /// Starting on or before this date.
    #[param(nullable = false)]
    pub to: Option<NaiveDate>,
}

/// List classes
///
/// Every signed-in caller sees the classes of approved plans (to enrol);
/// owners, the reviewing authority and hrss also see those of other plans.
/// Each shows capacity and enrolled count (R-CP-4). Oldest first.
#[utoipa::path(
    tag = "classes",
    params(ClassListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of classes", body = ClassPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/classes")]
pub async fn class_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<ClassListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = ClassFilter {
        status: f.status,
        series: f.series.map(|s| s.trim().to_string()),
        provider_id: f.provider_id,
        plan_id: f.plan_id,
        from: f.from,
        to: f.to,
    };
    Ok(HttpResponse::Ok().json(ClassPage::from(
        classes::list(&state, &auth, filter, page).await?,
    )))
}

/// View a class
///
/// With capacity and enrolled count (R-CP-4).
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Class id")),
    responses(
        (status = 200, description = "The class", body = ClassView,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/classes/{id}")]
pub async fn class_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = classes::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(ClassView::from(c)))
}

/// Where a class can be moved (R-CL-1).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassTarget {
    Open,
    Closed,
    Cancelled,
}

impl From<ClassTarget> for ClassStatus {
    fn from(t: ClassTarget) -> Self {
        match t {
            ClassTarget::Open => ClassStatus::Open,
            ClassTarget::Closed => ClassStatus::Closed,
            ClassTarget::Cancelled => ClassStatus::Cancelled,
        }
    }
}

/// A lifecycle step.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"to": "open"}))]
pub struct TransitionRequest {
    pub to: ClassTarget,
}

/// Move a class on
///
/// R-CL-1: `accepting → open → closed`, `cancelled` from `accepting` or
/// `open`; anything else is 409 `illegal_transition`. Opening needs an
/// approved plan. Closing (R-CL-3, R-CL-4), in one transaction, gives every
/// accepted learner who passed the class's hours as a professional record
/// of the plan's year, series and course, `pending_unit_review` at the
/// learner's current unit, or adds them to the learner's live record of the
/// same course and year. A learner with no unit gets the record with
/// `unit_id: null`; it goes to the unit they bind to next. Closing does not
/// wait for `end_date`, and a class is closed once.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Class id"), IfMatchHeader),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The class in its new state", body = ClassView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not allowed from the current state (`illegal_transition`), or the plan is not approved (`plan_not_approved`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/classes/{id}/transitions")]
pub async fn class_transition(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let c = classes::transition(&state, &auth, id.into_inner(), expected, body.to.into()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(ClassView::from(c)))
}

/// Enrol in a class
///
/// R-CL-2: the signed-in, verified person enrols while the class of an
/// approved plan is accepting and has room. The enrolment is `pending`
/// until the class owner accepts it.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Class id")),
    responses(
        (status = 201, description = "The enrolment, pending", body = EnrollmentView,
            headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Not a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No room (`class_full`), enrolled already (`already_enrolled`), not accepting (`class_not_accepting`), plan not approved (`plan_not_approved`) or person not verified (`not_verified`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/classes/{id}/enrollments")]
pub async fn enrollment_create(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let e = classes::enrol(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(e.version))
        .json(EnrollmentView::from(e)))
}

/// Filters of the enrolment list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentListQuery {
    #[param(nullable = false)]
    pub status: Option<EnrollmentStatus>,
}

/// List a class's enrolments
///
/// The class owner, the authority that reviews its plan and hrss see every
/// enrolment; a person sees their own.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Class id"), EnrollmentListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of enrolments", body = EnrollmentPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/classes/{id}/enrollments")]
pub async fn enrollment_list(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    filter: Query<EnrollmentListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(EnrollmentPage::from(
        classes::enrollments(&state, &auth, id.into_inner(), filter.status, page).await?,
    )))
}

/// The class owner's decision on an enrolment.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"decision": "accept"}))]
pub struct EnrollmentReviewRequest {
    pub decision: EnrollmentDecision,
}

/// Accept or cancel an enrolment
///
/// R-CL-2 学员审核: the class owner accepts a pending enrolment or cancels a
/// pending or accepted one while the class is accepting or open.
/// Cancelling frees the place.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Enrolment id"), IfMatchHeader),
    request_body = EnrollmentReviewRequest,
    responses(
        (status = 200, description = "The enrolment with its new status", body = EnrollmentView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not allowed from the current state, or the class is over (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/{id}/review")]
pub async fn enrollment_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<EnrollmentReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let e =
        classes::review_enrollment(&state, &auth, id.into_inner(), expected, body.decision).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(e.version))
        .json(EnrollmentView::from(e)))
}

/// An assessment result.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"passed": true, "score": 86}))]
pub struct ResultRequest {
    /// Score out of 100, if the class scores.
    #[schema(minimum = 0, maximum = 100, nullable = false)]
    #[validate(range(min = 0, max = 100, code = "score_invalid"))]
    #[serde(default, deserialize_with = "super::whole::opt_i32")]
    pub score: Option<i32>,
    /// Whether the learner passed: only those who passed get a record.
    pub passed: bool,
}

/// Enter a learner's result
///
/// R-CL-1, R-CL-2: while the class is open, the owner enters an accepted
/// learner's score and whether they passed; entering again replaces it.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path, description = "Enrolment id"), IfMatchHeader),
    request_body = ResultRequest,
    responses(
        (status = 200, description = "The enrolment with its result", body = EnrollmentView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "The class is not open (`class_not_open`) or the enrolment not accepted (`enrollment_not_accepted`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Score out of range (`score_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enrollments/{id}/result")]
pub async fn enrollment_result(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ResultRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let e = classes::set_result(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.score,
        body.passed,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(e.version))
        .json(EnrollmentView::from(e)))
}
