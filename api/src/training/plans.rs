//! Course plans (专业课计划, R-CP-1): owned by a qualified provider
//! (R-PQ-3), a unit or an authority (R-AU-3); drafted, submitted to the
//! authority of their series and region, and decided by it (R-RV-1).

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use ce_entity::{authority, authority_series, course_plan, qualification};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs, require_any, require_scoped};
use crate::domain::Year;
use crate::domain::authority::Region;
use crate::domain::plan::{PlanEvent, PlanStatus, PlanTransitions};
use crate::domain::review::{Decision, ReviewStatus};
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::parties::authorities::approved_for_series;
use crate::parties::qualifications::is_qualified;
use crate::review::{
    self as reviews, BatchReviewResult, Decided, Review, Reviewed, Reviewer, Versioned,
};
use crate::state::AppState;

/// What `reviews.entity_type` says for course plans.
pub const ENTITY: &str = "course_plan";

/// The province whose system this is: the region of a unit's plan unless
/// it names one.
pub const HOME_PROVINCE: &str = "440000";

pub use crate::domain::plan::{Owner, OwnerType};

/// The owner of a stored plan.
pub fn owner_of(p: &course_plan::Model) -> Result<Owner, ServiceError> {
    Owner::parse(&p.owner_type, p.owner_id)
        .ok_or_else(|| anyhow::anyhow!("plan {} has owner type {:?}", p.id, p.owner_type).into())
}

/// A course plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: Uuid,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    /// Set when a provider owns the plan.
    pub provider_id: Option<Uuid>,
    /// Set when a unit owns the plan.
    pub unit_id: Option<Uuid>,
    /// Set when an authority owns the plan (R-AU-3).
    pub authority_id: Option<Uuid>,
    /// Series code.
    pub series: String,
    pub year: i32,
    /// A course of the year's catalogue for the series (R-CP-2).
    pub course_name: String,
    /// Six-digit division code the plan is run in; it chooses the reviewer.
    pub region: String,
    pub description: Option<String>,
    /// The authority the plan was submitted to; `null` while a draft.
    pub reviewer_authority_id: Option<Uuid>,
    pub status: PlanStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    /// When hrss filed the approved plan (备案, R-CP-5).
    pub filed_at: Option<DateTime<Utc>>,
    /// The hrss account that filed it.
    pub filed_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A plan with its review history.
#[derive(Debug, Clone)]
pub struct PlanDetail {
    pub plan: Plan,
    /// Decisions, oldest first.
    pub reviews: Vec<Review>,
}

/// A page of plans.
#[derive(Debug, Clone)]
pub struct PlanPage {
    pub items: Vec<Plan>,
    pub next_cursor: Option<String>,
}

/// A new plan, shape-checked.
#[derive(Debug)]
pub struct NewPlan {
    pub owner: Owner,
    pub series: String,
    pub year: Year,
    pub course_name: String,
    pub region: Option<Region>,
    pub description: Option<String>,
}

/// Changes to a draft or returned plan.
#[derive(Debug, Default)]
pub struct PlanChange {
    pub series: Option<String>,
    pub year: Option<Year>,
    pub course_name: Option<String>,
    pub region: Option<Region>,
    pub description: Option<String>,
}

/// Filters of the list.
#[derive(Debug, Default)]
pub struct PlanFilter {
    pub status: Option<PlanStatus>,
    pub series: Option<String>,
    pub year: Option<Year>,
    pub owner_id: Option<Uuid>,
    /// R-CP-5: filed (`true`) or not yet (`false`); with `status=approved`
    /// the plans awaiting filing.
    pub filed: Option<bool>,
}

pub fn view(m: course_plan::Model) -> Plan {
    let kind = OwnerType::parse(&m.owner_type).unwrap_or(OwnerType::Provider);
    let of = |k: OwnerType| (kind == k).then_some(m.owner_id);
    Plan {
        id: m.id,
        owner_type: kind,
        owner_id: m.owner_id,
        provider_id: of(OwnerType::Provider),
        unit_id: of(OwnerType::Unit),
        authority_id: of(OwnerType::Authority),
        series: m.series_code,
        year: m.year,
        course_name: m.course_name,
        region: m.region,
        description: m.description,
        reviewer_authority_id: m.reviewer_authority_id,
        status: m.status,
        submitted_at: m.submitted_at,
        filed_at: m.filed_at,
        filed_by: m.filed_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

const COLS: Versioned<course_plan::Column> = Versioned {
    id: course_plan::Column::Id,
    version: course_plan::Column::Version,
    updated_at: course_plan::Column::UpdatedAt,
};

const REVIEWED: Reviewed<course_plan::Column> = Reviewed {
    entity: ENTITY,
    cols: COLS,
    status: course_plan::Column::Status,
};

/// 403/404 unless the caller acts for `owner` (R-CP-1: role and scope).
fn require_owner(auth: &Caller, owner: Owner) -> Result<(), ServiceError> {
    let what = match owner.kind {
        OwnerType::Provider => "provider",
        OwnerType::Unit => "unit",
        OwnerType::Authority => "authority",
    };
    require_scoped(auth, owner.kind.role(), owner.id, false, what)
}

/// The checks a plan's content passes whenever it is written: the series
/// exists, the owner may plan in it (R-PQ-3, R-AU-3), and the course is in
/// the year's catalogue (R-CP-2).
async fn check_content<C: ConnectionTrait>(
    conn: &C,
    owner: Owner,
    series: &str,
    year: Year,
    course_name: &str,
) -> Result<(), ServiceError> {
    crate::reference::series::check_known(conn, "series", &BTreeSet::from([series.to_string()]))
        .await?;
    match owner.kind {
        OwnerType::Provider if !is_qualified(conn, owner.id, series).await? => {
            return Err(ServiceError::forbidden(
                "not_qualified",
                format!(
                    "the provider holds no approved qualification in the series {series:?} (R-PQ-3)"
                ),
            ));
        }
        OwnerType::Authority if !approved_for_series(conn, owner.id, series).await? => {
            return Err(ServiceError::forbidden(
                "series_not_supervised",
                format!("the authority does not supervise the series {series:?}"),
            ));
        }
        _ => {}
    }
    if !crate::training::catalogue::lists(conn, year.value(), series, course_name).await? {
        return Err(ServiceError::invalid_field(
            "course_not_in_catalogue",
            "course_name",
            format!(
                "{course_name:?} is not in the {} catalogue of the series {series:?} (R-CP-2)",
                year.value()
            ),
        ));
    }
    Ok(())
}

/// The region a plan runs in when it names none: a provider's is that of
/// the authority that qualified it in the series, an authority's its own,
/// a unit's the province.
async fn default_region<C: ConnectionTrait>(
    conn: &C,
    owner: Owner,
    series: &str,
) -> Result<String, ServiceError> {
    let authority_id = match owner.kind {
        OwnerType::Unit => return Ok(HOME_PROVINCE.into()),
        OwnerType::Authority => Some(owner.id),
        OwnerType::Provider => qualification::Entity::find()
            .filter(qualification::Column::ProviderId.eq(owner.id))
            .filter(qualification::Column::SeriesCode.eq(series))
            .filter(qualification::Column::Status.eq(ReviewStatus::Approved))
            .one(conn)
            .await?
            .map(|q| q.authority_id),
    };
    let region = match authority_id {
        Some(id) => authority::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|a| a.region),
        // R-PQ-5: a Guangzhou city base plans in Guangzhou.
        None if owner.kind == OwnerType::Provider
            && crate::parties::base_claims::base_covers(conn, owner.id, series).await? =>
        {
            Some(crate::parties::base_claims::GUANGZHOU.to_string())
        }
        None => None,
    };
    Ok(region.unwrap_or_else(|| HOME_PROVINCE.into()))
}

/// R-CP-1: files a draft plan.
pub async fn create(state: &AppState, auth: &Caller, new: NewPlan) -> Result<Plan, ServiceError> {
    require_owner(auth, new.owner)?;
    check_content(
        &state.db,
        new.owner,
        &new.series,
        new.year,
        &new.course_name,
    )
    .await?;
    let region = match new.region {
        Some(r) => r.as_ref().to_string(),
        None => default_region(&state.db, new.owner, &new.series).await?,
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = course_plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_type: Set(new.owner.kind.as_str().into()),
        owner_id: Set(new.owner.id),
        series_code: Set(new.series),
        year: Set(new.year.value()),
        course_name: Set(new.course_name),
        region: Set(region),
        description: Set(new.description),
        reviewer_authority_id: Set(None),
        status: Set(PlanStatus::Draft),
        created_by: Set(auth.account_id()),
        submitted_at: Set(None),
        filed_at: Set(None),
        filed_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, plan_change(&m, "created").after(plan_summary(&m))).await?;
    txn.commit().await?;
    Ok(view(m))
}

/// A change of the plan `p`; a unit's plan is the unit's to read.
fn plan_change(p: &course_plan::Model, action: &'static str) -> Change {
    Change::new("course_plan", p.id, action)
        .unit((p.owner_type == OwnerType::Unit.as_str()).then_some(p.owner_id))
}

fn plan_summary(p: &course_plan::Model) -> serde_json::Value {
    json!({
        "owner_type": p.owner_type,
        "owner_id": p.owner_id,
        "series": p.series_code,
        "year": p.year,
        "course_name": p.course_name,
        "region": p.region,
        "status": p.status,
    })
}

pub async fn load<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<course_plan::Model, ServiceError> {
    course_plan::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("course plan"))
}

/// The roles that see plans at all.
const READERS: &[Role] = &[
    Role::Hrss,
    Role::Authority,
    Role::ProviderAdmin,
    Role::UnitAdmin,
];

/// hrss sees every plan; an owner its own; an authority those submitted to it.
pub fn visible(auth: &Caller, p: &course_plan::Model) -> bool {
    auth.has_role(Role::Hrss)
        || owner_of(p).is_ok_and(|o| holds(auth, o.kind.role(), o.id))
        || p.reviewer_authority_id
            .is_some_and(|a| holds(auth, Role::Authority, a))
}

/// The condition "the caller owns or reviews the plan", for lists.
pub fn scope_condition(auth: &Caller) -> Condition {
    let mut any = Condition::any();
    for kind in [OwnerType::Provider, OwnerType::Unit, OwnerType::Authority] {
        let ids = orgs(auth, kind.role());
        if !ids.is_empty() {
            any = any.add(
                Condition::all()
                    .add(course_plan::Column::OwnerType.eq(kind.as_str()))
                    .add(course_plan::Column::OwnerId.is_in(ids)),
            );
        }
    }
    let reviewing = orgs(auth, Role::Authority);
    if !reviewing.is_empty() {
        any = any.add(course_plan::Column::ReviewerAuthorityId.is_in(reviewing));
    }
    // With no grants at all the condition must match nothing.
    any.add(Expr::val(false))
}

/// A page of the plans the caller may see, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: PlanFilter,
    page: Page,
) -> Result<PlanPage, ServiceError> {
    require_any(auth, READERS)?;
    let mut q = course_plan::Entity::find();
    if !auth.has_role(Role::Hrss) {
        q = q.filter(scope_condition(auth));
    }
    if let Some(s) = filter.status {
        q = q.filter(course_plan::Column::Status.eq(s.as_str()));
    }
    if let Some(s) = filter.series {
        q = q.filter(course_plan::Column::SeriesCode.eq(s));
    }
    if let Some(y) = filter.year {
        q = q.filter(course_plan::Column::Year.eq(y.value()));
    }
    if let Some(o) = filter.owner_id {
        q = q.filter(course_plan::Column::OwnerId.eq(o));
    }
    match filter.filed {
        Some(true) => q = q.filter(course_plan::Column::FiledAt.is_not_null()),
        Some(false) => q = q.filter(course_plan::Column::FiledAt.is_null()),
        None => {}
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, course_plan::Column::Id, false, |r| r.id)
        .await?;
    Ok(PlanPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// One plan with its decisions, if the caller may see it.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<PlanDetail, ServiceError> {
    require_any(auth, READERS)?;
    let p = load(&state.db, id).await?;
    if !visible(auth, &p) {
        return Err(ServiceError::NotFound("course plan"));
    }
    Ok(PlanDetail {
        reviews: reviews::history(&state.db, ENTITY, id).await?,
        plan: view(p),
    })
}

/// 403 unless the caller holds a role that can own plans.
pub fn require_owner_role(auth: &Caller) -> Result<(), ServiceError> {
    require_any(
        auth,
        &[Role::ProviderAdmin, Role::UnitAdmin, Role::Authority],
    )
}

/// The plan's owner, if the caller acts for it; else 404 (`what`), so
/// another owner's plans, classes and enrolments stay hidden.
pub fn owned(
    auth: &Caller,
    p: &course_plan::Model,
    what: &'static str,
) -> Result<Owner, ServiceError> {
    let owner = owner_of(p)?;
    if crate::authz::holds(auth, owner.kind.role(), owner.id) {
        Ok(owner)
    } else {
        Err(ServiceError::NotFound(what))
    }
}

/// The plan, if the caller acts for its owner: 403 without the role, 404
/// for another owner's.
async fn load_own(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(course_plan::Model, Owner), ServiceError> {
    require_owner_role(auth)?;
    let p = load(&state.db, id).await?;
    let owner = owned(auth, &p, "course plan")?;
    Ok((p, owner))
}

fn status_of(p: &course_plan::Model) -> Result<PlanStatus, ServiceError> {
    Ok(p.status)
}

/// R-RV-1: the owner changes a draft or returned plan.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    change: PlanChange,
) -> Result<Plan, ServiceError> {
    let (p, owner) = load_own(state, auth, id).await?;
    reviews::check_version(expected, p.version)?;
    let status = status_of(&p)?;
    if !status.editable() {
        return Err(ServiceError::conflict(
            "not_editable",
            format!(
                "only a draft or returned plan can be changed; this one is {}",
                status.as_str()
            ),
        ));
    }
    let year = match change.year {
        Some(y) => y,
        None => Year::new(p.year).map_err(|e| anyhow::anyhow!("stored year: {e}"))?,
    };
    let series = change
        .series
        .clone()
        .unwrap_or_else(|| p.series_code.clone());
    let course_name = change
        .course_name
        .clone()
        .unwrap_or_else(|| p.course_name.clone());
    check_content(&state.db, owner, &series, year, &course_name).await?;
    let mut changes: Vec<(course_plan::Column, SimpleExpr)> = vec![
        (course_plan::Column::SeriesCode, Expr::value(series)),
        (course_plan::Column::Year, Expr::value(year.value())),
        (course_plan::Column::CourseName, Expr::value(course_name)),
    ];
    if let Some(r) = change.region {
        changes.push((course_plan::Column::Region, Expr::value(r.as_ref())));
    }
    if let Some(d) = change.description {
        changes.push((course_plan::Column::Description, Expr::value(d)));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    reviews::write_versioned::<course_plan::Entity, _>(&txn, COLS, p.id, p.version, changes)
        .await?;
    let after = load(&txn, id).await?;
    audit::record(
        &txn,
        plan_change(&p, "updated")
            .before(plan_summary(&p))
            .after(plan_summary(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(view(after))
}

/// R-CP-1: the authority a plan goes to. An authority's own plan is
/// reviewed by itself (本级行业主管部门审核, R-AU-3); any other plan by the
/// approved authority of its series whose region covers the plan's, the
/// most local first (district, then city, then province).
async fn reviewer_for<C: ConnectionTrait>(
    conn: &C,
    p: &course_plan::Model,
    owner: Owner,
) -> Result<Uuid, ServiceError> {
    let none = || {
        ServiceError::conflict(
            "no_reviewing_authority",
            format!(
                "no approved authority of the series {:?} covers the region {}",
                p.series_code, p.region
            ),
        )
    };
    if owner.kind == OwnerType::Authority {
        return if approved_for_series(conn, owner.id, &p.series_code).await? {
            Ok(owner.id)
        } else {
            Err(none())
        };
    }
    let (region, _) = Region::parse_any(&p.region)
        .map_err(|e| anyhow::anyhow!("plan {} has region {:?}: {e}", p.id, p.region))?;
    let covering = region.covering();
    let series_authorities = authority_series::Entity::find()
        .select_only()
        .column(authority_series::Column::AuthorityId)
        .filter(authority_series::Column::SeriesCode.eq(&p.series_code))
        .into_tuple::<Uuid>()
        .all(conn)
        .await?;
    let candidates = authority::Entity::find()
        .filter(authority::Column::Id.is_in(series_authorities))
        .filter(authority::Column::Status.eq(ReviewStatus::Approved))
        .filter(authority::Column::Region.is_in(covering.clone()))
        .order_by_asc(authority::Column::Id)
        .all(conn)
        .await?;
    covering
        .iter()
        .find_map(|code| candidates.iter().find(|a| &a.region == code))
        .map(|a| a.id)
        .ok_or_else(none)
}

/// R-CP-1: the owner sends a draft or returned plan to its authority.
pub async fn submit(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Plan, ServiceError> {
    let (p, owner) = load_own(state, auth, id).await?;
    reviews::check_version(expected, p.version)?;
    let from = status_of(&p)?;
    let to = from
        .transition(PlanEvent::Submit)
        .map_err(|_| reviews::illegal(from.as_str(), "submit"))?;
    if owner.kind == OwnerType::Provider {
        crate::parties::providers::check_provider_may_submit(&state.db, owner.id).await?;
    }
    let reviewer = reviewer_for(&state.db, &p, owner).await?;
    reviews::write_audited::<course_plan::Entity>(
        &state.db,
        COLS,
        p.id,
        p.version,
        vec![
            (course_plan::Column::Status, Expr::value(to.as_str())),
            (
                course_plan::Column::ReviewerAuthorityId,
                Expr::value(reviewer),
            ),
            (course_plan::Column::SubmittedAt, Expr::value(Utc::now())),
        ],
        plan_change(&p, "submitted")
            .before(json!({"status": from.as_str()}))
            .after(json!({"status": to.as_str(), "reviewer_authority_id": reviewer})),
    )
    .await?;
    Ok(view(load(&state.db, id).await?))
}

/// Applies one decision by the authority the plan was submitted to;
/// others get 404.
async fn decide(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<course_plan::Model, ServiceError> {
    let p = load(&state.db, id).await?;
    if !p
        .reviewer_authority_id
        .is_some_and(|a| holds(auth, Role::Authority, a))
    {
        return Err(ServiceError::NotFound("course plan"));
    }
    reviews::check_version(expected, p.version)?;
    let from = status_of(&p)?;
    let to = from
        .transition(PlanEvent::Decide(decision))
        .map_err(|_| reviews::illegal(from.as_str(), decision.as_str()))?;
    let txn = crate::db::begin_write(&state.db).await?;
    let decided = Decided {
        decision: decision.as_str(),
        comment,
        reviewer: Reviewer {
            account_id: auth.account_id(),
            role: Role::Authority,
        },
    };
    let change = reviews::change(&REVIEWED, p.id, from.as_str(), to.as_str(), &decided)
        .unit((p.owner_type == "unit").then_some(p.owner_id));
    reviews::apply::<course_plan::Entity>(&txn, &REVIEWED, p.id, p.version, to.as_str(), decided)
        .await?;
    crate::audit::record(&txn, change).await?;
    txn.commit().await?;
    load(&state.db, id).await
}

/// R-CP-1, R-RV-1: the authority decides one plan.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<Plan, ServiceError> {
    require_any(auth, &[Role::Authority])?;
    decide(state, auth, id, expected, decision, comment)
        .await
        .map(view)
}

/// R-AU-2 批量审核: the same decision on many plans, each on its own.
pub async fn review_batch(
    state: &AppState,
    auth: &Caller,
    ids: &[Uuid],
    decision: Decision,
    comment: Option<&str>,
) -> Result<Vec<BatchReviewResult>, ServiceError> {
    require_any(auth, &[Role::Authority])?;
    reviews::batch(ids, |id| async move {
        decide(state, auth, id, None, decision, comment)
            .await
            .map(|m| m.status.to_string())
    })
    .await
}

/// R-CP-5 (备案): hrss files an approved plan — 办班计划由本级行业主管部门审核后，
/// 报同级人力资源社会保障部门备案 (粤人社规〔2018〕11号 三(二)). Only classes of a
/// filed plan credit their learners' hours on closing (R-CL-3).
///
/// **Reading**: hrss accounts carry no level or region, so the one hrss
/// role files plans of every level (province, city, district).
pub async fn file(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Plan, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "only hrss files course plans (R-CP-5)")?;
    let p = load(&state.db, id).await?;
    reviews::check_version(expected, p.version)?;
    if p.status != PlanStatus::Approved {
        return Err(ServiceError::conflict(
            "plan_not_approved",
            format!(
                "only an approved plan is filed; this one is {} (R-CP-5)",
                p.status.as_str()
            ),
        ));
    }
    if let Some(at) = p.filed_at {
        return Err(ServiceError::conflict(
            "already_filed",
            format!("the plan was filed at {} (R-CP-5)", at.to_rfc3339()),
        ));
    }
    let now = Utc::now();
    reviews::write_audited::<course_plan::Entity>(
        &state.db,
        COLS,
        p.id,
        p.version,
        vec![
            (course_plan::Column::FiledAt, Expr::value(now)),
            (course_plan::Column::FiledBy, Expr::value(auth.account_id())),
        ],
        plan_change(&p, "filed").after(json!({"filed_at": now, "filed_by": auth.account_id()})),
    )
    .await?;
    Ok(view(load(&state.db, id).await?))
}
