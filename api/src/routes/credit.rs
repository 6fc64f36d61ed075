//! Credit records (R-CR-1): findings, their public list, their end.

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::oversight::credit::{self, FindingChange, NewFinding, Severity, SubjectType};
use crate::pagination::Page;
use crate::routes::pagination::PageQuery;
use crate::routes::views::oversight::{CreditRecordPage, CreditRecordView, PublicCreditPage};
use crate::routes::{IfMatchHeader, etag, if_match, non_blank};
use crate::state::AppState;

/// A finding to record.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject_type": "provider", "subject_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "severity": "serious", "rule": "《专业技术人员继续教育规定》第二十四条", "reason": "虚报培训学时，未按备案计划组织教学", "found_on": "2026-11-20", "published": true, "expires_on": "2029-12-31", "attachment_ids": ["0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a7a"]}))]
pub struct CreditRecordRequest {
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    /// What happened.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"\S",
        example = "虚报继续教育学时"
    )]
    #[validate(length(min = 1, max = 1000))]
    pub reason: String,
    /// The rule broken.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "条例 第二十七条"
    )]
    #[validate(length(min = 1, max = 200))]
    pub rule: String,
    pub severity: Severity,
    /// Evidence: attachments the caller uploaded.
    #[serde(default)]
    #[schema(max_items = 20)]
    #[validate(length(max = 20))]
    pub attachment_ids: Vec<Uuid>,
    pub found_on: NaiveDate,
    /// The last day it counts; leave out for "until lifted".
    #[serde(default, deserialize_with = "super::no_null")]
    #[schema(nullable = false)]
    pub expires_on: Option<NaiveDate>,
    /// Whether it is on the public list (organisations only) and, for a
    /// provider, blocks its plan submissions.
    #[serde(default)]
    pub published: bool,
}

/// Record a credit finding
///
/// R-CR-1: hrss on any person, unit, provider or learning platform
/// (`platform`, an addition of issue 20: a platform answers for the
/// records it pushes, R-RC-12); an industry authority on a provider it
/// qualified. A published finding on a provider blocks its
/// plan submissions (409 `credit_blocked`) until it expires.
#[utoipa::path(
    tag = "credit",
    request_body = CreditRecordRequest,
    responses(
        (status = 201, description = "The finding", body = CreditRecordView,
            headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Not hrss or an authority of the provider (`forbidden`, `not_supervised`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such subject (`subject_unknown`), ends before it was found (`expires_before_found`), or attachments not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-records")]
pub async fn credit_record_create(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<CreditRecordRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let f = NewFinding {
        subject_type: b.subject_type,
        subject_id: b.subject_id,
        reason: non_blank(&b.reason, "reason")?,
        rule: non_blank(&b.rule, "rule")?,
        severity: b.severity,
        attachment_ids: b.attachment_ids,
        found_on: b.found_on,
        expires_on: b.expires_on,
        published: b.published,
    };
    let v = credit::create(&state, &auth, f).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(v.version))
        .json(CreditRecordView::from(v)))
}

/// Filters of the finding list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditListQuery {
    #[param(nullable = false)]
    pub subject_type: Option<SubjectType>,
    #[param(nullable = false)]
    pub subject_id: Option<Uuid>,
}

/// List credit findings
///
/// hrss all; an authority those it recorded; a person their own; a unit or
/// provider admin those on their organisation; a platform those on
/// itself. Oldest first.
#[utoipa::path(
    tag = "credit",
    params(CreditListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of findings", body = CreditRecordPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-records")]
pub async fn credit_record_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<CreditListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(CreditRecordPage::from(
        credit::list(&state, &auth, filter.subject_type, filter.subject_id, page).await?,
    )))
}

/// Published credit findings
///
/// Public: findings on units, providers and platforms that are published
/// and in force. Findings on persons are never listed.
#[utoipa::path(
    tag = "credit",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of public findings", body = PublicCreditPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/credit-records/public")]
pub async fn credit_record_public(
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(PublicCreditPage::from(credit::public(&state, page).await?)))
}

/// A change to a finding.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"published": true, "expires_on": "2029-12-31"}))]
pub struct CreditRecordChange {
    /// A new last day (e.g. yesterday, to end it now).
    #[serde(default, deserialize_with = "super::no_null")]
    #[schema(nullable = false)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "super::no_null")]
    #[schema(nullable = false)]
    pub published: Option<bool>,
}

/// Change a credit finding
///
/// hrss or the recording authority moves its end or (un)publishes it.
#[utoipa::path(
    tag = "credit",
    params(("id" = Uuid, Path, description = "Finding id"), IfMatchHeader),
    request_body = CreditRecordChange,
    responses(
        (status = 200, description = "The finding", body = CreditRecordView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Its subject, who may read but not change it (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Ends before it was found (`expires_before_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/credit-records/{id}")]
pub async fn credit_record_update(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<CreditRecordChange>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let change = FindingChange {
        expires_on: b.expires_on.map(Some),
        published: b.published,
    };
    let v = credit::update(&state, &auth, id.into_inner(), expected, change).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(v.version))
        .json(CreditRecordView::from(v)))
}
