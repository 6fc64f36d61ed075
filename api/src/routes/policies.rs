//! Annual policies (R-REQ-1, R-REQ-4, R-RC-8) and a person's standing
//! against them (R-REQ-2, R-REQ-3).

use crate::routes::extract::{Json, Query};
use actix_web::{HttpResponse, get, put, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::compliance::Group;
use crate::domain::compliance::UnitComplianceSort;
use crate::error::{ApiError, Problem};
use crate::ledger::compliance;
use crate::ledger::policies::{self, GroupMinimums, PolicyChange, PublicTopic};
use crate::pagination::Page;
use crate::routes::pagination::PageQuery;
use crate::routes::views::ledger::{
    ComplianceView, PolicyDefaultsView, PolicyView, UnitCompliancePage,
};
use crate::routes::year;
use crate::state::AppState;

/// The policy in force for a year
///
/// R-REQ-1: per requirement group, the latest rule effective in or before
/// the year (a group with none is judged by the general group's), with the
/// year's public-subject topics and deadline (R-RC-8). Public.
#[utoipa::path(
    tag = "catalogue",
    params(("year" = i32, Path, minimum = 2017, maximum = 2100, description = "The year")),
    responses(
        (status = 200, description = "The policy", body = PolicyView),
        (status = 404, description = "No rule is in force for the year (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/policies/{year}")]
pub async fn policy_view(
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let y = year(path.into_inner())?;
    Ok(HttpResponse::Ok().json(PolicyView::from(policies::get(&state.db, y).await?)))
}

/// The policy defaults
///
/// What applies to a year that has not published its own: the public
/// deadline's month and day of the next year (R-RC-8). Public.
#[utoipa::path(
    tag = "catalogue",
    responses(
        (status = 200, description = "The defaults", body = PolicyDefaultsView),
    ),
    security(())
)]
#[get("/policies/defaults")]
pub async fn policy_defaults_view(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PolicyDefaultsView::from(
        policies::defaults(&state.db).await?,
    )))
}

/// The defaults hrss changes.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"default_public_deadline": "04-30"}))]
pub struct PolicyDefaultsRequest {
    /// `MM-DD` of the next year, a day of every year (not `02-29`).
    #[schema(
        min_length = 5,
        max_length = 5,
        pattern = r"^((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$",
        example = "04-30"
    )]
    #[validate(length(min = 5, max = 5, code = "month_day_invalid"))]
    pub default_public_deadline: String,
}

/// Change the policy defaults
///
/// hrss sets the public deadline of years that publish none (R-RC-8): the
/// month and day of the next year. Pushes received after it are refused.
#[utoipa::path(
    tag = "catalogue",
    request_body = PolicyDefaultsRequest,
    responses(
        (status = 200, description = "The defaults now", body = PolicyDefaultsView),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a day of every year as `MM-DD` (`month_day_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/policies/defaults")]
pub async fn policy_defaults_set(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<PolicyDefaultsRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let d = crate::domain::public::MonthDay::parse(&body.default_public_deadline)
        .map_err(|e| ApiError::domain("default_public_deadline", e))?;
    Ok(HttpResponse::Ok().json(PolicyDefaultsView::from(
        policies::set_defaults(&state, &auth, d).await?,
    )))
}

/// A group's minimum hours (whole hours); the total is their sum.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct GroupMinimumsRequest {
    #[schema(minimum = 0, maximum = 1000)]
    #[validate(range(max = 1000))]
    pub public_min: u32,
    #[schema(minimum = 0, maximum = 1000)]
    #[validate(range(max = 1000))]
    pub professional_min: u32,
    #[schema(minimum = 0, maximum = 1000)]
    #[validate(range(max = 1000))]
    pub elective_min: u32,
    /// At most `professional_min`.
    #[schema(minimum = 0, maximum = 1000, nullable = false)]
    #[validate(range(max = 1000))]
    #[serde(default, deserialize_with = "super::no_null")]
    pub professional_general_knowledge_min: Option<u32>,
}

/// The groups to set; absent groups keep their rules.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PolicyGroupsRequest {
    #[schema(nullable = false)]
    #[validate(nested)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub general: Option<GroupMinimumsRequest>,
    #[schema(nullable = false)]
    #[validate(nested)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub accounting: Option<GroupMinimumsRequest>,
    #[schema(nullable = false)]
    #[validate(nested)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub archives: Option<GroupMinimumsRequest>,
}

/// A public topic to publish.
#[derive(Debug, Deserialize, serde::Serialize, ToSchema, Validate)]
pub struct PublicTopicRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "中国式现代化"
    )]
    #[validate(length(min = 1, max = 100))]
    pub topic: String,
    #[schema(minimum = 1, maximum = 1000, example = 30)]
    #[validate(range(min = 1, max = 1000))]
    pub hours_to_complete: u32,
}

/// What hrss sets for a year.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"groups": {"general": {"public_min": 30, "professional_min": 42, "elective_min": 18}, "accounting": {"public_min": 30, "professional_min": 60, "elective_min": 0, "professional_general_knowledge_min": 10}}, "public_deadline": "2028-04-30", "public_topics": [{"topic": "中国式现代化", "hours_to_complete": 30}]}))]
pub struct PolicyUpdateRequest {
    #[validate(nested)]
    pub groups: PolicyGroupsRequest,
    /// Replaces the year's public topics; needs `public_deadline`.
    #[schema(max_items = 20, nullable = false)]
    #[validate(length(max = 20), nested)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub public_topics: Option<Vec<PublicTopicRequest>>,
    /// The last day public hours of the year are received (R-RC-8); may
    /// be set alone, and topics need it.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "super::no_null")]
    pub public_deadline: Option<NaiveDate>,
}

fn minimums(r: GroupMinimumsRequest, field: &str) -> Result<GroupMinimums, ApiError> {
    let gk = r.professional_general_knowledge_min.unwrap_or(0);
    if gk > r.professional_min {
        return Err(ApiError::invalid_field(
            "general_knowledge_invalid",
            field,
            "the general-knowledge minimum is part of the professional minimum",
        ));
    }
    Ok(GroupMinimums {
        public_min: r.public_min,
        professional_min: r.professional_min,
        elective_min: r.elective_min,
        professional_general_knowledge_min: gk,
    })
}

/// Set a year's policy
///
/// R-REQ-4: hrss sets, for the groups given, the rules effective from this
/// year (until a later one), and optionally the year's public topics and
/// deadline. Verifications made after the change use it; certificates
/// already issued stand.
#[utoipa::path(
    tag = "catalogue",
    params(("year" = i32, Path, minimum = 2017, maximum = 2100, description = "The year the rules take effect")),
    request_body = PolicyUpdateRequest,
    responses(
        (status = 200, description = "The policy now in force for the year", body = PolicyView),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Topics without a deadline (`public_deadline_missing`), general-knowledge above professional, or another invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/policies/{year}")]
pub async fn policy_set(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i32>,
    body: Json<PolicyUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let y = year(path.into_inner())?;
    let b = body.into_inner();
    let mut groups = Vec::new();
    for (g, r) in [
        (Group::General, b.groups.general),
        (Group::Accounting, b.groups.accounting),
        (Group::Archives, b.groups.archives),
    ] {
        if let Some(r) = r {
            groups.push((g, minimums(r, &format!("groups.{}", g.as_str()))?));
        }
    }
    let topics = match b.public_topics {
        None => None,
        Some(topics) => {
            let mut out: Vec<PublicTopic> = Vec::new();
            for t in topics {
                let topic = super::non_blank(&t.topic, "public_topics")?;
                if out.iter().any(|o| o.topic == topic) {
                    return Err(ApiError::invalid_field(
                        "topic_duplicate",
                        "public_topics",
                        "each topic once",
                    ));
                }
                out.push(PublicTopic {
                    topic,
                    hours_to_complete: t.hours_to_complete,
                });
            }
            Some(out)
        }
    };
    let view = policies::put(
        &state,
        &auth,
        y,
        PolicyChange {
            groups,
            topics,
            deadline: b.public_deadline,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(PolicyView::from(view)))
}

/// Which year.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// Default: the current year in China time.
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
}

/// A person's standing in a year
///
/// R-REQ-1..3, live: per category and per series held that year, the hours
/// required, approved, pending (not counted yet) and missing, and whether
/// the year is complete. The person, the admins of their unit and hrss may
/// ask; others get 404.
#[utoipa::path(
    tag = "compliance",
    params(("id" = Uuid, Path, description = "Person id"), ComplianceQuery),
    responses(
        (status = 200, description = "The standing", body = ComplianceView),
        (status = 422, description = "Year out of range (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/persons/{id}/compliance")]
pub async fn person_compliance(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<ComplianceQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let y = super::year_or_current(query.year)?;
    Ok(HttpResponse::Ok().json(ComplianceView::from(
        compliance::of_person(&state, &auth, id.into_inner(), y).await?,
    )))
}

/// Filters of the unit's list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UnitComplianceQuery {
    /// Default: the current year in China time.
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    /// Only the persons whose year is complete (`true`) or behind (`false`:
    /// incomplete; a year that owes nothing, R-ACC-6, is neither).
    #[param(nullable = false)]
    pub complete: Option<bool>,
    /// Default `person`.
    #[param(nullable = false)]
    pub sort: Option<UnitComplianceSort>,
}

/// Who in the unit is behind
///
/// R-REQ-1..3, live: every person bound to the unit with their standing in
/// the year and their total missing hours; `complete=false` lists who is
/// behind, `sort=most_missing` the furthest behind first. Admins of the
/// unit and hrss.
#[utoipa::path(
    tag = "compliance",
    params(("id" = Uuid, Path, description = "Unit id"), UnitComplianceQuery, PageQuery),
    responses(
        (status = 200, description = "A page of the unit's persons", body = UnitCompliancePage),
        (status = 422, description = "Year out of range, or an invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{id}/compliance")]
pub async fn unit_compliance(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    query: Query<UnitComplianceQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    page.validate()?;
    let page = Page::try_from(&*page)?;
    let y = super::year_or_current(query.year)?;
    let list = compliance::of_unit(
        &state,
        &auth,
        id.into_inner(),
        y,
        query.complete,
        query.sort.unwrap_or_default(),
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UnitCompliancePage::from(list)))
}
