//! Continuing-education records (R-RC-1..3): the scoped reads. Closing a
//! class creates them (R-CL-3); declarations and review extend this.

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::Year;
use crate::domain::oversight::Severity;
use crate::domain::record::{RecordCategory, RecordSource, RecordStatus};
use crate::error::{ApiError, Problem};
use crate::ledger::records::{
    self, ConversionClaim, Declaration, DeclarationChange, Origin, RecordFilter,
};
use crate::oversight::untruthful;
use crate::pagination::Page;
use crate::platforms::push;
use crate::routes::pagination::PageQuery;
use crate::routes::views::ledger::{RecordDetail, RecordPage, RecordView};
use crate::routes::views::oversight::UntruthfulView;
use crate::routes::views::platforms::{BatchOutcome, PushItem};
use crate::routes::views::review::{BatchReviewRequest, BatchReviewResponse, ReviewRequest};
use crate::routes::{IfMatchHeader, etag, if_match, non_blank};
use crate::state::AppState;

/// Filters of the record list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct RecordListQuery {
    #[param(nullable = false)]
    pub person_id: Option<Uuid>,
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    #[param(nullable = false)]
    pub status: Option<RecordStatus>,
    #[param(nullable = false)]
    pub category: Option<RecordCategory>,
    #[param(nullable = false)]
    pub source: Option<RecordSource>,
    /// For platforms: their own id of an item they pushed.
    #[param(
        min_length = 1,
        max_length = 128,
        nullable = false,
        example = "course-42/user-7"
    )]
    #[validate(length(min = 1, max = 128))]
    pub external_id: Option<String>,
    /// The records a push batch's items name (accepted or duplicate);
    /// another platform's batch names none.
    #[param(nullable = false)]
    pub batch_id: Option<Uuid>,
}

impl RecordListQuery {
    /// The filter the list and the export apply.
    pub fn filter(self) -> Result<RecordFilter, ApiError> {
        Ok(RecordFilter {
            person_id: self.person_id,
            year: self.year.map(super::year).transpose()?,
            status: self.status,
            category: self.category,
            source: self.source,
            external_id: self.external_id,
            batch_id: self.batch_id,
            batch_records: None,
        })
    }
}

/// List records
///
/// Scoped to the caller: a person sees their own, a unit admin those sent
/// to the unit for review, a learning platform those it pushed (to read
/// back what became of them: `external_id`, `batch_id`, `status`, `year`),
/// hrss all. Oldest first.
#[utoipa::path(
    tag = "records",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(RecordListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of records", body = RecordPage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/records")]
pub async fn record_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<RecordListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let filter = filter.into_inner().filter()?;
    Ok(HttpResponse::Ok().json(RecordPage::from(
        records::list(&state, &auth, filter, page).await?,
    )))
}

/// View a record
///
/// The person's own, their unit's, or any for hrss; others get 404.
#[utoipa::path(
    tag = "records",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(("id" = Uuid, Path, description = "Record id")),
    responses(
        (status = 200, description = "The record with its review history", body = RecordDetail,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/records/{id}")]
pub async fn record_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let r = records::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.record.version))
        .json(RecordDetail::from(r)))
}

/// Review a record
///
/// R-RC-3, R-RC-4, R-RV-1: an admin of the unit the record was sent to
/// approves it (it counts), returns it to the person for changes, or closes
/// it; an approved record that turns out wrong can still be closed. A
/// record sent to an authority (`authority_id`: a finance department,
/// R-ACC-4, or an education or health authority, R-RC-10) is decided by
/// that authority's account alone, never by the unit. Other units and
/// authorities get 404.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Decided: the record with its new status", body = RecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 409, description = "Not allowed from the current status (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records/{id}/review")]
pub async fn record_review(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let r = records::review(
        &state,
        &auth,
        id.into_inner(),
        expected,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}

/// Review records in batch
///
/// The same decision on each id, each decided on its own: an id that is
/// unknown or not the caller's unit's answers `ok: false, code: not_found`;
/// one that cannot take the decision, `illegal_transition`.
#[utoipa::path(
    tag = "records",
    request_body = BatchReviewRequest,
    responses(
        (status = 200, description = "One result per id, in order", body = BatchReviewResponse),
    )
)]
#[post("/records/reviews")]
pub async fn record_review_batch(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<BatchReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let results = records::review_batch(
        &state,
        &auth,
        &body.ids,
        body.decision,
        body.comment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(BatchReviewResponse {
        results: results.into_iter().map(Into::into).collect(),
    }))
}

/// A person's declaration (R-RC-1).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"year": 2026, "category": "professional", "series": "nursing", "course_name": "急危重症护理新进展", "hours": 12, "provider_name": "广州市护理学会", "base_no": "101", "result": "合格", "attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"]}))]
pub struct DeclareRequest {
    /// The declared year (申报年度), this year or an earlier one (R-RC-5).
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    #[serde(deserialize_with = "super::whole::i32")]
    pub year: i32,
    /// `professional` or `elective`; public hours come from the platforms.
    pub category: RecordCategory,
    /// One of your series for the year; required for professional records.
    #[schema(
        min_length = 1,
        max_length = 64,
        nullable = false,
        example = "engineering"
    )]
    #[validate(length(min = 1, max = 64))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub series: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "结构设计新规范"
    )]
    #[validate(length(min = 1, max = 200))]
    pub course_name: String,
    /// Hours (1 credit = 1 hour), one decimal place at most.
    #[schema(minimum = 0.1, maximum = 1000, multiple_of = 0.1, example = 12)]
    #[validate(range(min = 0.1, max = 1000.0, code = "hours_invalid"))]
    pub hours: f64,
    /// Assessment result (考核结果).
    #[schema(max_length = 100, nullable = false)]
    #[validate(length(max = 100))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub result: Option<String>,
    #[schema(max_length = 100, nullable = false)]
    #[validate(length(max = 100))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub provider_name: Option<String>,
    /// Proof you uploaded.
    #[schema(max_items = 20, nullable = false)]
    #[validate(length(max = 20))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub attachment_ids: Option<Vec<Uuid>>,
    /// Other learning converted into hours: `degree_education` (elective,
    /// at most 72 a year, not in the education or health series, R-RC-7)
    /// or an accounting form (R-ACC-2), whose credits × `quantity` replace
    /// `hours`.
    #[schema(nullable = false)]
    #[validate(nested)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub conversion: Option<ConversionRequest>,
    /// A general-knowledge subject (专业通识知识, R-ACC-1); professional only.
    #[serde(default)]
    #[schema(default = false)]
    pub general_knowledge: bool,
    /// Where professional hours were earned (R-RC-6): a provider qualified
    /// in the series, or a city base its institution runs whose scope
    /// covers it (R-PQ-5). Professional hours other than a conversion name one
    /// origin — `provider_id`, `base_no` or `class_id` — and carry the
    /// training certificate as proof (`attachment_ids`).
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub provider_id: Option<Uuid>,
    /// A city base by the number on its training stamp, for a series its
    /// scope covers (R-PQ-4).
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[0-9]{3}$",
        nullable = false,
        example = "007"
    )]
    #[validate(length(min = 3, max = 3, code = "base_no_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub base_no: Option<String>,
    /// A class of an approved and filed plan (R-CP-5) of the series that did not credit the
    /// hours itself.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub class_id: Option<Uuid>,
    /// Hours of archives initial training (初任培训) in archives
    /// professional subjects; professional hours of the archives series
    /// only (R-ARC-1).
    #[serde(default)]
    #[schema(default = false)]
    pub initial_training: bool,
}

/// A conversion form and how many of its units.
#[derive(Debug, Deserialize, serde::Serialize, ToSchema, Validate)]
pub struct ConversionRequest {
    /// `degree_education`, or a code of the accounting conversion table
    /// (`accounting_qualification_exam_subject`, `paper_sole_or_first_author`, …).
    #[schema(
        min_length = 1,
        max_length = 64,
        example = "accounting_qualification_exam_subject"
    )]
    #[validate(length(min = 1, max = 64))]
    pub code: String,
    /// Days, hours, papers… as the form counts (default 1).
    #[schema(minimum = 0.1, maximum = 1000, multiple_of = 0.1, nullable = false)]
    #[validate(range(min = 0.1, max = 1000.0, code = "quantity_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub quantity: Option<f64>,
    /// For `related_qualification_exam_subject` (and only it): the day the
    /// exam's results were published; the exam counts for the year when
    /// they were published from May 1 of the year to the year's deadline
    /// (2023: 2023-05-01 to 2024-04-30, R-ACC-5).
    #[schema(nullable = false, example = "2023-12-15")]
    #[serde(default, deserialize_with = "super::no_null")]
    pub results_published_on: Option<chrono::NaiveDate>,
}

/// Declare a record
///
/// R-RC-1, R-RC-2, R-RC-5: a verified person bound to a unit declares
/// professional or elective hours with proof, for this year or an earlier
/// one; the record waits for the unit (R-RC-3) — or, instead of the unit,
/// for the district finance department of the person's region when it is
/// an accounting conversion the person applies for (R-ACC-4), and for the
/// education or health authority of the person's series and region when
/// the person holds such a series (R-RC-10); see the record's
/// `authority_id`. Routing to an authority needs the person's region
/// (`PATCH /persons/{id}` `region`, 信息采集所属区): until it is set, such a
/// declaration is refused with 409 `region_required` and nothing is stored —
/// the unit never reviews it in the authority's stead. Accounting credits of a year close with its deadline
/// (R-ACC-5). Professional hours need an
/// approved origin (R-RC-6, 问答 九, 十六): a provider qualified in the
/// series (`provider_id`), a city base whose scope covers it (`base_no`)
/// or a class of an approved and filed plan of it (`class_id`), with the training
/// certificate as proof — a course name found in the catalogue is not an
/// origin; or an accounting conversion. Without one: 422
/// `origin_required`, and the hours may be declared as elective.
#[utoipa::path(
    tag = "records",
    request_body = DeclareRequest,
    responses(
        (status = 201, description = "The record, pending review by the unit or by the authority it is routed to (`authority_id`)", body = RecordView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The record"))),
        (status = 403, description = "Not a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not verified (`not_verified`), bound to no unit (`not_bound`), reviewed by an authority (education or health series, R-RC-10; a conversion the district finance department confirms, R-ACC-4) while the person has not set their region (`region_required`: `PATCH /persons/{id}` first), or no authority registered for the person's region to review it (`reviewer_missing`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Accounting credits after the year's deadline (`accounting_deadline_passed`), a related exam without or outside its results window (`results_published_required`, `results_published_outside`, `results_published_invalid`), initial training outside the archives series (`initial_training_invalid`), future year (`year_in_future`), public category (`public_not_declarable`), series not held that year (`series_not_held`), no approved origin (`origin_required`), an origin not of the series (`origin_not_qualified`), no proof (`proof_required`), a conversion that is unknown (`conversion_unknown`), of the wrong category (`conversion_category`) or not for the person's series (`conversion_not_allowed`), worth more than 1000 hours (`quantity_invalid`), unknown attachment, or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records")]
pub async fn record_declare(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<DeclareRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let year = super::year(b.year)?;
    if year.value() > Year::current_in_shanghai(chrono::Utc::now()) {
        return Err(ApiError::invalid_field(
            "year_in_future",
            "year",
            "hours are declared for this year or an earlier one (R-RC-5)",
        ));
    }
    let d = Declaration {
        year,
        category: b.category,
        series: super::optional_text(b.series),
        course_name: super::non_blank(&b.course_name, "course_name")?,
        hours: super::hours(b.hours)?,
        result: super::optional_text(b.result),
        provider_name: super::optional_text(b.provider_name),
        attachment_ids: b.attachment_ids.unwrap_or_default(),
        conversion: b
            .conversion
            .map(|c| -> Result<ConversionClaim, ApiError> {
                Ok(ConversionClaim {
                    code: c.code.trim().to_string(),
                    quantity: super::hours(c.quantity.unwrap_or(1.0))?,
                    results_published_on: c.results_published_on,
                })
            })
            .transpose()?,
        general_knowledge: b.general_knowledge,
        initial_training: b.initial_training,
        origin: match (b.provider_id, super::optional_text(b.base_no), b.class_id) {
            (None, None, None) => None,
            (Some(p), None, None) => Some(Origin::Provider(p)),
            (None, Some(n), None) => Some(Origin::Base(n)),
            (None, None, Some(c)) => Some(Origin::Class(c)),
            _ => {
                return Err(ApiError::invalid_field(
                    "origin_ambiguous",
                    "provider_id",
                    "name one origin: provider_id, base_no or class_id",
                ));
            }
        },
    };
    let r = records::declare(&state, &auth, d).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/records/{}", r.id)))
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}

/// Changes to a returned record; absent fields stay.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"hours": 10, "result": "合格", "attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"]}))]
pub struct UpdateRecordRequest {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", nullable = false)]
    #[validate(length(min = 1, max = 200))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub course_name: Option<String>,
    #[schema(minimum = 0.1, maximum = 1000, multiple_of = 0.1, nullable = false)]
    #[validate(range(min = 0.1, max = 1000.0, code = "hours_invalid"))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub hours: Option<f64>,
    #[schema(max_length = 100, nullable = false)]
    #[validate(length(max = 100))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub result: Option<String>,
    #[schema(max_length = 100, nullable = false)]
    #[validate(length(max = 100))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub provider_name: Option<String>,
    /// The full new list of proof.
    #[schema(max_items = 20, nullable = false)]
    #[validate(length(max = 20))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub attachment_ids: Option<Vec<Uuid>>,
}

/// Change a returned record
///
/// R-RC-4: a record is changed only after the unit returned it (409
/// `under_review` while it waits), by whoever answers for it (R-RC-2): the
/// person their declaration; the class's owner (provider, unit or
/// authority admin) the `hours` and `result` of its class's record; the
/// platform the `hours`, `course_name` and `result` of what it pushed. The
/// person may add proof (`attachment_ids`) to those, not change them (409
/// `source_owned`). Then it is resubmitted.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    request_body = UpdateRecordRequest,
    responses(
        (status = 200, description = "The changed record", body = RecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Neither a person nor the source of records (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Under review (`under_review`), approved or closed (`not_editable`), or the content of a class's or platform's record changed by its person (`source_owned`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Course not professional (`not_professional`), a field the caller does not change (`field_not_changeable`), hours below those approved before (`hours_below_approved`), unknown attachment, or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/records/{id}")]
pub async fn record_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UpdateRecordRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let b = body.into_inner();
    let change = DeclarationChange {
        course_name: b
            .course_name
            .map(|c| super::non_blank(&c, "course_name"))
            .transpose()?,
        hours: b.hours.map(super::hours).transpose()?,
        result: b.result.map(|t| t.trim().to_string()),
        provider_name: b.provider_name.map(|t| t.trim().to_string()),
        attachment_ids: b.attachment_ids,
    };
    let r = records::update(&state, &auth, id.into_inner(), expected, change).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}

/// Resubmit a returned record
///
/// R-RC-4: whoever answers for the record (the person their declaration,
/// the class's owner or the platform theirs) sends it to the person's
/// current unit again; the person cannot resend a class's or platform's
/// record (409 `source_owned`).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    responses(
        (status = 200, description = "The record, pending the unit's review", body = RecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Neither a person nor the source of records (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not returned (`illegal_transition`), or a class's or platform's record resent by its person (`source_owned`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records/{id}/resubmit")]
pub async fn record_resubmit(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let r = records::resubmit(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}

/// Withdraw a pushed record
///
/// R-RC-2, R-RC-4: the platform that pushed a record withdraws it (it was
/// wrong, or the unit returned it and it will not be corrected): it
/// becomes `closed` and nothing of it counts; the person's standing and
/// certificate follow. Its `external_id` stays taken, so the item never
/// counts twice (pushing it again answers `duplicate` or `conflict`).
/// Other callers: 403; another platform's record: 404.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    responses(
        (status = 200, description = "The record, closed", body = RecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not a platform (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Closed already (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records/{id}/withdraw")]
pub async fn record_withdraw(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let r = records::withdraw(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}

/// hrss's finding that a record is untruthful (R-RC-12).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "核查发现培训未实际举办，学时记载不真实", "severity": "serious", "published": true}))]
pub struct UntruthfulRequest {
    /// Why the record is untruthful: kept on the record, the credit record
    /// and the audit trail.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"\S",
        example = "核查发现培训未实际举办，学时记载不真实"
    )]
    #[validate(length(min = 1, max = 500))]
    pub reason: String,
    /// How serious the credit record is (警告: `minor`, the default).
    #[serde(default, deserialize_with = "super::no_null")]
    #[schema(nullable = false)]
    pub severity: Option<Severity>,
    /// Whether the credit record is on the public list (organisations'
    /// only: a person's never shows there). Default `false`.
    #[serde(default)]
    pub published: bool,
}

/// Declare a record untruthful
///
/// R-RC-12 (条例 第三十四条: 记载不真实的，其记载内容无效): hrss finds a record
/// untruthful. In one change the record becomes `invalidated` and stops
/// counting; a certificate whose year is no longer complete without it is
/// revoked with the reason `record_untruthful` (verification says so);
/// and a credit record (rule `条例 第三十四条`) is written against whoever
/// recorded it — the person for a declaration or conversion, the platform
/// for a push, the provider or unit for a class it ran. A
/// `record.invalidated` event goes to the unit's and the platform's
/// webhooks. hrss only; an invalidated record stays so (409).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Record id"), IfMatchHeader),
    request_body = UntruthfulRequest,
    responses(
        (status = 200, description = "The record invalidated, the credit record, the certificates revoked", body = UntruthfulView,
            headers(("ETag" = String, description = "The record's new version"))),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalidated already (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank or too long reason (`text_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/records/{id}/untruthful")]
pub async fn record_declare_untruthful(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<UntruthfulRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let b = body.into_inner();
    let finding = untruthful::Finding {
        reason: non_blank(&b.reason, "reason")?,
        severity: b.severity.unwrap_or(Severity::Minor),
        published: b.published,
    };
    let v = untruthful::declare(&state, &auth, id.into_inner(), expected, finding).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(v.record.version))
        .json(UntruthfulView::from(v)))
}

/// A platform push: up to 1,000 completions.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"items": [{"external_id": "course-42/user-7", "id_card_no": "440106199003071231", "name": "陈晓红", "year": 2026, "category": "professional", "series": "engineering", "course_name": "建筑工程施工安全管理", "hours": 8, "result": "合格", "completed_at": "2026-06-18T10:30:00+08:00"}]}))]
pub struct PushRequest<'a> {
    /// Each item is checked on its own: one that does not fit `PushItem`
    /// is rejected (`item_invalid`) and the others still count. Kept as
    /// the raw text of each item, borrowed from the body.
    #[schema(value_type = Vec<PushItem>, min_items = 1, max_items = 1000)]
    #[serde(borrow)]
    pub items: Vec<&'a serde_json::value::RawValue>,
}

/// The `Idempotency-Key` header of a push.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Any unique string per batch (a UUID, say): a retry with the same key
    /// and body replays the stored outcome instead of pushing again; the
    /// same key with another body is 409 `idempotency_key_reused`.
    #[param(
        rename = "Idempotency-Key",
        required = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[\x21-\x7E]+$",
        example = "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79"
    )]
    pub idempotency_key: String,
}

/// Push completed hours
///
/// R-RC-2, R-RC-8, R-RC-9, R-ACC-3: a learning platform (token with
/// `records:push`) sends up to 1,000 completions. Each item is `accepted`,
/// a `duplicate` of one sent before under the same `external_id` (never
/// counted twice), or `rejected` with a `code`; one bad item never loses
/// the others. Public courses and sector platforms (education, health,
/// accounting) arrive approved, and the push that completes a year issues
/// its certificate; other platforms' hours wait for the unit. The outcome
/// is stored (`GET /records/batch/{batch_id}`); retry with the same
/// `Idempotency-Key` to get it again.
#[utoipa::path(
    tag = "records",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(IdempotencyKeyHeader),
    request_body = PushRequest,
    responses(
        (status = 200, description = "Each item's outcome (also when replayed: see `Idempotency-Replayed`)", body = BatchOutcome,
            headers(("Idempotency-Replayed" = String, description = "`true` when this is the stored outcome of an earlier request with the same key"))),
        (status = 400, description = "Malformed JSON or `Idempotency-Key` (`malformed_request`, `idempotency_key_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform, no `records:push`, or revoked (`forbidden`, `scope_missing`, `platform_revoked`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 1,000 items (`batch_too_large`) or over the body limit (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The `Idempotency-Key` was used for another body (`idempotency_key_reused`), or a request with it is still being answered (`idempotency_key_in_use`: retry)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No items or not a list (`body_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many pushes and uploads in flight (`server_busy`): retry the same request, with the same `Idempotency-Key`, after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/records/batch")]
pub async fn record_push(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Who may push is answered before the body is read.
    push::require_pusher(&auth)?;
    let key = super::idempotency::key_of(req.headers())?;
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    // A place among the bulk requests before the body is read: what the
    // pushes in flight hold together is bounded (README: resources).
    let _bulk = state.bulk.enter().await?;
    let body = super::read_body(&req, payload, state.settings.limits.batch_body_bytes).await?;
    let parsed: PushRequest =
        serde_json::from_slice(&body).map_err(|e| crate::error::extractors::json_body(&e))?;
    if parsed.items.len() > push::MAX_ITEMS {
        return Err(ApiError::new(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "a batch carries at most {} items, this one {}: split it",
                push::MAX_ITEMS,
                parsed.items.len()
            ),
        ));
    }
    if parsed.items.is_empty() {
        return Err(ApiError::invalid_field(
            "body_invalid",
            "items",
            "send at least one item",
        ));
    }
    let (outcome, replayed) = push::push(
        &state,
        &auth,
        push::Push {
            items: parsed.items,
            body_hash: push::body_hash(&body),
            idempotency_key: key,
        },
    )
    .await?;
    let mut ok = HttpResponse::Ok();
    if replayed {
        ok.insert_header(("Idempotency-Replayed", "true"));
    }
    Ok(ok.json(BatchOutcome::from(outcome)))
}

/// Read a push's outcome
///
/// The stored outcome of a batch, item by item: for the platform that
/// pushed it, and hrss; 404 for anyone else.
#[utoipa::path(
    tag = "records",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    params(("batch_id" = Uuid, Path, description = "The `batch_id` of the push")),
    responses(
        (status = 200, description = "The outcome", body = BatchOutcome),
    )
)]
#[get("/records/batch/{batch_id}")]
pub async fn record_push_outcome(
    state: web::Data<AppState>,
    auth: Caller,
    batch_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BatchOutcome::from(
        push::outcome(&state, &auth, batch_id.into_inner()).await?,
    )))
}

/// An exam subject passed in Guangdong (R-ACC-4).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"year": 2026, "code": "accounting_qualification_exam_subject", "subject": "中级会计实务"}))]
pub struct ExamPassRequest {
    /// The year the subject was passed; it completes that year (90
    /// credits, public included, R-ACC-2).
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    #[serde(deserialize_with = "super::whole::i32")]
    pub year: i32,
    /// The conversion form: `accounting_qualification_exam_subject` (the
    /// national accounting qualification or the CPA exam, one subject).
    #[schema(
        min_length = 1,
        max_length = 64,
        example = "accounting_qualification_exam_subject"
    )]
    #[validate(length(min = 1, max = 64))]
    pub code: String,
    /// The subject passed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "中级会计实务"
    )]
    #[validate(length(min = 1, max = 200))]
    pub subject: String,
}

/// Record an exam subject passed in Guangdong
///
/// R-ACC-4: exam subjects passed in Guangdong are recorded by the
/// provincial finance department, with no application (由省财政厅录入，会计人员
/// 无需申请): the account of an approved province-level authority of the
/// accounting series records one for a person of its region; the record
/// is approved at once (source `conversion`, 90 credits, the whole year
/// including public, R-ACC-2) and the standing and certificate follow.
/// Others get 403; a person outside the authority's region 404.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = ExamPassRequest,
    responses(
        (status = 201, description = "The record, approved", body = RecordView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The record"))),
        (status = 403, description = "Not the provincial finance department (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person in the authority's region (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The person has not set their region (`region_required`), or the subject is recorded already (`exam_recorded`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a form the province records (`conversion_not_allowed`), no accounting series held that year (`series_not_held`), after the year's deadline (`accounting_deadline_passed`), or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/persons/{id}/accounting-exams")]
pub async fn accounting_exam_record(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<ExamPassRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let e = records::ExamPass {
        year: super::year(b.year)?,
        code: b.code.trim().to_string(),
        subject: super::non_blank(&b.subject, "subject")?,
    };
    let r = records::record_exam(&state, &auth, id.into_inner(), e).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/records/{}", r.id)))
        .insert_header(etag(r.version))
        .json(RecordView::from(r)))
}
