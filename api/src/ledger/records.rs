//! Continuing-education records (继续教育记录, R-RC-1..3). This module
//! holds what closing a class needs (R-CL-3, R-CL-4), parking records of a
//! person with no unit until they bind, and the scoped reads; declarations,
//! unit review and platform push extend it.

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use ce_entity::{
    authority, class, course_plan, enrollment, provider, record, record_contribution, unit,
};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs, require_any};
use crate::domain::Hours;
use crate::domain::Year;
use crate::domain::class::EnrollmentStatus;
use crate::domain::plan::{Owner, OwnerType};
use crate::domain::record::{
    RecordCategory, RecordEvent, RecordSource, RecordStatus, RecordTransitions,
};
use crate::domain::review::Decision;
use crate::domain::routing::{self, Route, SeriesRef};
use crate::error::ServiceError;
use crate::ledger::standing::Ledger;
use crate::pagination::Page;
use crate::parties::persons::{current_unit, current_units};
use crate::review::{
    self as reviews, BatchReviewResult, Decided, Review, Reviewed, Reviewer, Versioned,
};
use crate::state::AppState;

/// A record of hours.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub person_id: Uuid,
    /// The declared year (申报年度) the hours count for.
    pub year: i32,
    pub category: RecordCategory,
    /// Series code; `null` for public subjects.
    pub series: Option<String>,
    pub course_name: String,
    pub hours: f64,
    /// Assessment result (考核结果).
    pub result: Option<String>,
    pub source: RecordSource,
    pub provider_id: Option<Uuid>,
    /// Who ran the training.
    pub provider_name: Option<String>,
    /// The class that created the record (source `class_closure`).
    pub class_id: Option<Uuid>,
    /// The unit that reviews the record; `null` while the person has no
    /// unit: the record waits as `pending_unit_review` and goes to the unit
    /// the person binds to next.
    pub unit_id: Option<Uuid>,
    /// The authority that reviews the record instead of a unit: the
    /// district finance department of an accounting conversion the person
    /// applied for (R-ACC-4), or the education or health authority of the
    /// person's series and region (R-RC-10). `unit_id` is then `null`.
    pub authority_id: Option<Uuid>,
    /// When a related exam's results were published (R-ACC-5).
    pub results_published_on: Option<chrono::NaiveDate>,
    /// Hours of archives initial training (R-ARC-1).
    pub initial_training: bool,
    pub status: RecordStatus,
    /// The platform that pushed the record, and its own id of the item.
    pub platform_id: Option<Uuid>,
    pub external_id: Option<String>,
    /// The conversion form of a `conversion` record (R-RC-7, R-ACC-2).
    pub conversion_code: Option<String>,
    /// A general-knowledge subject (R-ACC-1).
    pub general_knowledge: bool,
    /// hrss's reason when it found the record untruthful (R-RC-12).
    pub invalidated_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A page of records.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub items: Vec<Record>,
    pub next_cursor: Option<String>,
}

/// Filters of the record list.
#[derive(Debug, Default)]
pub struct RecordFilter {
    pub person_id: Option<Uuid>,
    pub year: Option<Year>,
    pub status: Option<RecordStatus>,
    pub category: Option<RecordCategory>,
    pub source: Option<RecordSource>,
    /// A platform's own id of an item it pushed.
    pub external_id: Option<String>,
    /// The records a push batch's items name (accepted or duplicate).
    pub batch_id: Option<Uuid>,
    /// `batch_id`'s records, read by [`resolve`].
    pub batch_records: Option<Vec<Uuid>>,
}

pub fn view(m: record::Model) -> Record {
    Record {
        id: m.id,
        person_id: m.person_id,
        year: m.year,
        category: RecordCategory::parse(&m.category).unwrap_or(RecordCategory::Elective),
        series: m.series_code,
        course_name: m.course_name,
        hours: Hours::from_tenths(u32::try_from(m.hours_tenths).unwrap_or(0)).as_f64(),
        result: m.result,
        source: RecordSource::parse(&m.source).unwrap_or(RecordSource::SelfDeclared),
        provider_id: m.provider_id,
        provider_name: m.provider_name,
        class_id: m.class_id,
        unit_id: m.unit_id,
        authority_id: m.authority_id,
        results_published_on: m.results_published_on,
        initial_training: m.initial_training,
        status: m.status,
        platform_id: m.platform_id,
        external_id: m.external_id,
        conversion_code: m.conversion_code,
        general_knowledge: m.general_knowledge,
        invalidated_reason: m.invalidated_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// The name of the organisation that ran a plan's classes.
async fn owner_name<C: ConnectionTrait>(conn: &C, owner: Owner) -> Result<String, ServiceError> {
    let name = match owner.kind {
        OwnerType::Provider => provider::Entity::find_by_id(owner.id)
            .one(conn)
            .await?
            .map(|m| m.name),
        OwnerType::Unit => unit::Entity::find_by_id(owner.id)
            .one(conn)
            .await?
            .map(|m| m.name),
        OwnerType::Authority => authority::Entity::find_by_id(owner.id)
            .one(conn)
            .await?
            .map(|m| m.name),
    };
    Ok(name.unwrap_or_default())
}

/// The owner of a stored plan (a class's record answers to it).
fn plan_owner(p: &course_plan::Model) -> Result<Owner, ServiceError> {
    Owner::parse(&p.owner_type, p.owner_id)
        .ok_or_else(|| anyhow::anyhow!("plan {} has owner type {:?}", p.id, p.owner_type).into())
}

/// What an assessment says on the record.
fn result_text(score: Option<i32>) -> String {
    match score {
        Some(s) => format!("passed ({s})"),
        None => "passed".into(),
    }
}

/// R-CL-3, R-CL-4: inside the closing transaction, gives every accepted
/// learner who passed the class's hours: added to their live professional
/// record of the same course name and year, or in a new record. Either way
/// the record goes (back) to the learner's current unit for review
/// (R-RC-3). A contribution row per class and learner, unique, means a
/// class can never give the same learner its hours twice.
pub async fn from_closed_class<C: ConnectionTrait>(
    conn: &C,
    ledger: &mut Ledger,
    c: &class::Model,
    p: &course_plan::Model,
) -> Result<u32, ServiceError> {
    let owner = plan_owner(p)?;
    let provider_name = owner_name(conn, owner).await?;
    let provider_id = (owner.kind == OwnerType::Provider).then_some(owner.id);
    let learners = enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(c.id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Accepted))
        .filter(enrollment::Column::Passed.eq(true))
        .order_by_asc(enrollment::Column::Id)
        .all(conn)
        .await?;
    let live = [
        RecordStatus::PendingUnitReview.as_str(),
        RecordStatus::Approved.as_str(),
        RecordStatus::Returned.as_str(),
    ];
    // Read what every learner needs in three queries, not three per learner.
    let persons: Vec<Uuid> = learners.iter().map(|e| e.person_id).collect();
    let credited_before: HashSet<Uuid> = record_contribution::Entity::find()
        .filter(record_contribution::Column::ClassId.eq(c.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.person_id)
        .collect();
    let units = current_units(conn, &persons).await?;
    let mut existing: HashMap<Uuid, record::Model> = HashMap::new();
    for r in record::Entity::find()
        .filter(record::Column::PersonId.is_in(persons.iter().copied()))
        .filter(record::Column::Year.eq(p.year))
        .filter(record::Column::Category.eq(RecordCategory::Professional.as_str()))
        .filter(record::Column::CourseName.eq(&p.course_name))
        .filter(record::Column::Status.is_in(live))
        .order_by_asc(record::Column::Id)
        // What the ledger takes away must be what the row holds: the rows
        // stay as read until this transaction ends (PostgreSQL; SQLite's
        // write transaction excludes other writers anyway).
        .lock_exclusive()
        .all(conn)
        .await?
    {
        // The oldest live record of the course takes the hours.
        existing.entry(r.person_id).or_insert(r);
    }
    let now = Utc::now();
    let mut credited = 0;
    for e in learners {
        if credited_before.contains(&e.person_id) {
            continue;
        }
        let unit_id = units.get(&e.person_id).copied();
        let record_id = match existing.remove(&e.person_id) {
            // R-CL-4: the same course and year accumulate; the added hours
            // are new to the unit and wait for its review, while the hours
            // it approved before keep counting.
            Some(r) => {
                let approved_part = if r.status == RecordStatus::Approved {
                    r.hours_tenths
                } else {
                    r.approved_tenths
                };
                let after = record::Model {
                    hours_tenths: r.hours_tenths + c.hours_tenths,
                    approved_tenths: approved_part,
                    status: RecordStatus::PendingUnitReview,
                    unit_id: unit_id.or(r.unit_id),
                    version: r.version + 1,
                    updated_at: now,
                    ..r.clone()
                };
                record::Entity::update_many()
                    .col_expr(record::Column::HoursTenths, Expr::value(after.hours_tenths))
                    .col_expr(
                        record::Column::ApprovedTenths,
                        Expr::value(after.approved_tenths),
                    )
                    .col_expr(record::Column::Status, Expr::value(after.status))
                    .col_expr(record::Column::Version, Expr::value(after.version))
                    .col_expr(record::Column::UpdatedAt, Expr::value(now))
                    .col_expr(record::Column::UnitId, Expr::value(after.unit_id))
                    .filter(record::Column::Id.eq(r.id))
                    .exec(conn)
                    .await?;
                ledger.record(Some(&r), Some(&after))?;
                r.id
            }
            None => {
                let m = record::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    person_id: Set(e.person_id),
                    year: Set(p.year),
                    category: Set(RecordCategory::Professional.as_str().into()),
                    series_code: Set(Some(p.series_code.clone())),
                    course_name: Set(p.course_name.clone()),
                    hours_tenths: Set(c.hours_tenths),
                    approved_tenths: Set(0),
                    result: Set(Some(result_text(e.score))),
                    source: Set(RecordSource::ClassClosure.as_str().into()),
                    provider_id: Set(provider_id),
                    provider_name: Set(Some(provider_name.clone())),
                    class_id: Set(Some(c.id)),
                    platform_id: Set(None),
                    external_id: Set(None),
                    unit_id: Set(unit_id),
                    status: Set(RecordStatus::PendingUnitReview),
                    attachment_ids: Set(serde_json::json!([])),
                    completed_at: Set(Some(now)),
                    conversion_code: Set(None),
                    general_knowledge: Set(false),
                    topic: Set(None),
                    origin: Set(None),
                    invalidated_reason: Set(None),
                    authority_id: Set(None),
                    results_published_on: Set(None),
                    initial_training: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                }
                .insert(conn)
                .await?;
                ledger.record(None, Some(&m))?;
                m.id
            }
        };
        record_contribution::ActiveModel {
            id: Set(Uuid::now_v7()),
            record_id: Set(record_id),
            // Both arms' record is of the plan's year.
            record_year: Set(p.year),
            class_id: Set(c.id),
            person_id: Set(e.person_id),
            hours_tenths: Set(c.hours_tenths),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
        credited += 1;
    }
    Ok(credited)
}

/// Whether the caller administers the unit the record was sent to and the
/// person is bound to that unit now (R-RC-3: a unit sees the records of its
/// own persons only).
async fn unit_sees<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
    r: &record::Model,
) -> Result<bool, ServiceError> {
    if r.authority_id.is_some() {
        return Ok(false);
    }
    let Some(unit) = r.unit_id.filter(|u| holds(auth, Role::UnitAdmin, *u)) else {
        return Ok(false);
    };
    Ok(current_unit(conn, r.person_id).await? == Some(unit))
}

const READERS: &[Role] = &[
    Role::Hrss,
    Role::UnitAdmin,
    Role::Person,
    Role::Platform,
    Role::Authority,
];

/// Whether the caller is the authority the record was sent to for review
/// (R-ACC-4, R-RC-10).
fn authority_sees(auth: &Caller, r: &record::Model) -> bool {
    r.authority_id
        .is_some_and(|a| holds(auth, Role::Authority, a))
}

/// hrss sees every record; a person their own; a unit admin those sent to
/// the unit of persons bound to it now; a platform those it pushed (to read
/// back what became of them).
async fn visible<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
    r: &record::Model,
) -> Result<bool, ServiceError> {
    Ok(auth.has_role(Role::Hrss)
        || holds(auth, Role::Person, r.person_id)
        || pushed_by(auth, r)
        || authority_sees(auth, r)
        || unit_sees(conn, auth, r).await?)
}

/// Whether the caller is the platform that pushed the record.
fn pushed_by(auth: &Caller, r: &record::Model) -> bool {
    auth.has_role(Role::Platform) && r.platform_id == Some(auth.account_id())
}

/// The records a push batch names, when the caller may read the batch
/// (hrss, or the platform that sent it); none otherwise, so that another
/// platform's batch id filters everything out.
pub async fn batch_records<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
    batch_id: Uuid,
) -> Result<Vec<Uuid>, ServiceError> {
    let Some(batch) = ce_entity::record_batch::Entity::find_by_id(batch_id)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    if !auth.has_role(Role::Hrss) && !holds(auth, Role::Platform, batch.platform_id) {
        return Ok(Vec::new());
    }
    Ok(batch
        .items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("record_id")?.as_str()?.parse().ok())
        .collect())
}

/// A page of the records the caller may see, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: RecordFilter,
    page: Page,
) -> Result<RecordPage, ServiceError> {
    let read = list_db(state, &filter);
    let filter = resolve(&state.db, auth, filter).await?;
    let q = listing(auth, &filter, read.get_database_backend())?;
    let (rows, next_cursor) = page
        .load(read, q, record::Column::Id, false, |r| r.id)
        .await?;
    Ok(RecordPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// The records the caller may see that match `filter` (the list's and the
/// export's query); 403 for roles that read no records.
pub fn listing(
    auth: &Caller,
    filter: &RecordFilter,
    backend: sea_orm::DbBackend,
) -> Result<sea_orm::Select<record::Entity>, ServiceError> {
    require_any(auth, READERS)?;
    let mut q = record::Entity::find();
    if auth.has_role(Role::Platform) {
        q = q.filter(record::Column::PlatformId.eq(auth.account_id()));
    } else if !auth.has_role(Role::Hrss) {
        let units = orgs(auth, Role::UnitAdmin);
        let bound_now = sea_orm::sea_query::Query::select()
            .column(ce_entity::binding::Column::PersonId)
            .from(ce_entity::binding::Entity)
            .and_where(ce_entity::binding::Column::UnitId.is_in(units.clone()))
            .and_where(
                ce_entity::binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved),
            )
            .to_owned();
        q = q.filter(
            sea_orm::Condition::any()
                .add(record::Column::PersonId.is_in(orgs(auth, Role::Person)))
                .add(record::Column::AuthorityId.is_in(orgs(auth, Role::Authority)))
                .add(
                    sea_orm::Condition::all()
                        .add(record::Column::UnitId.is_in(units))
                        .add(record::Column::AuthorityId.is_null())
                        .add(record::Column::PersonId.in_subquery(bound_now)),
                ),
        );
    }
    if let Some(p) = filter.person_id {
        q = q.filter(record::Column::PersonId.eq(p));
    }
    if let Some(y) = filter.year {
        q = q.filter(record::Column::Year.eq(y.value()));
    }
    if let Some(s) = filter.status {
        q = q.filter(record::Column::Status.eq(s.as_str()));
    }
    if let Some(c) = filter.category {
        q = q.filter(record::Column::Category.eq(c.as_str()));
    }
    if let Some(s) = filter.source {
        q = q.filter(record::Column::Source.eq(s.as_str()));
    }
    if let Some(x) = &filter.external_id
        && !crate::db::KeysApart::of(backend)
    {
        // SQLite: `records`' own unique index on the platform's items
        // (the platform's id is filtered above).
        q = q.filter(record::Column::ExternalId.eq(x.as_str()));
    } else if let Some(x) = &filter.external_id {
        // Through the items' keys (no index on PostgreSQL's partitioned
        // `records` holds external ids): the records they name, in their
        // years' partitions.
        let mut keys = sea_orm::sea_query::Query::select()
            .column(ce_entity::record_key::Column::RecordId)
            .from(ce_entity::record_key::Entity)
            .and_where(ce_entity::record_key::Column::ExternalId.eq(x.as_str()))
            .to_owned();
        if auth.has_role(Role::Platform) {
            keys.and_where(ce_entity::record_key::Column::PlatformId.eq(auth.account_id()));
        }
        q = q
            .filter(record::Column::Id.in_subquery(keys))
            .filter(record::Column::ExternalId.eq(x.as_str()));
    }
    if let Some(ids) = &filter.batch_records {
        q = q.filter(record::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(q)
}

/// Reads what a filter names in other tables (a batch's records), before
/// [`listing`] builds the query.
/// Where a records list (or its export) reads: a list is a heavy read,
/// the replica's when one serves (`AppState::read_db`) — but one of a
/// push's records (`batch_id`) is a platform reading back what it just
/// pushed, and reads the primary.
pub fn list_db<'a>(state: &'a AppState, filter: &RecordFilter) -> &'a sea_orm::DatabaseConnection {
    if filter.batch_id.is_some() {
        &state.db
    } else {
        state.read_db()
    }
}

pub async fn resolve<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
    mut filter: RecordFilter,
) -> Result<RecordFilter, ServiceError> {
    if let Some(batch) = filter.batch_id {
        filter.batch_records = Some(batch_records(conn, auth, batch).await?);
    }
    Ok(filter)
}

/// One record with its decisions, if the caller may see it.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<RecordDetail, ServiceError> {
    require_any(auth, READERS)?;
    let r = record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    if !visible(&state.db, auth, &r).await? {
        return Err(ServiceError::NotFound("record"));
    }
    Ok(RecordDetail {
        reviews: reviews::history(&state.db, ENTITY, id).await?,
        record: view(r),
    })
}

/// What `reviews.entity_type` says for records.
pub const ENTITY: &str = "record";

const COLS: Versioned<record::Column> = Versioned {
    id: record::Column::Id,
    version: record::Column::Version,
    updated_at: record::Column::UpdatedAt,
};

const REVIEWED: Reviewed<record::Column> = Reviewed {
    entity: ENTITY,
    cols: COLS,
    status: record::Column::Status,
};

/// Applies one decision by whoever the record was sent to: an admin of the
/// person's unit (R-RC-3), or the finance department or sector authority
/// it was routed to (R-ACC-4, R-RC-10); others get 404.
async fn decide(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<record::Model, ServiceError> {
    let r = record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    let role = if authority_sees(auth, &r) {
        Role::Authority
    } else if unit_sees(&state.db, auth, &r).await? {
        Role::UnitAdmin
    } else {
        return Err(ServiceError::NotFound("record"));
    };
    reviews::check_version(expected, r.version)?;
    // R-ACC-4: the unit's approval of its own face-to-face training sends
    // it on to the finance department, whose approval counts.
    if role == Role::UnitAdmin
        && decision == Decision::Approve
        && r.status == RecordStatus::PendingUnitReview
        && rechecked_by_finance(state, &r).await?
    {
        return send_to_finance(state, auth, r, comment).await;
    }
    let from = r.status;
    let to = from
        .transition(RecordEvent::Decide(decision))
        .map_err(|_| reviews::illegal(from.as_str(), decision.as_str()))?;
    // What the record is after the decision. A decision on a record a
    // class added hours to after its approval decides the added hours:
    // the approved ones keep counting (R-CL-4), and closing it refuses
    // only what was added.
    let refuses_addition = to == RecordStatus::Closed
        && from == RecordStatus::PendingUnitReview
        && r.approved_tenths > 0;
    let after = match to {
        RecordStatus::Approved => record::Model {
            approved_tenths: r.hours_tenths,
            ..r.clone()
        },
        RecordStatus::Closed if refuses_addition => record::Model {
            hours_tenths: r.approved_tenths,
            ..r.clone()
        },
        RecordStatus::Closed => record::Model {
            approved_tenths: 0,
            ..r.clone()
        },
        _ => r.clone(),
    };
    let to = if refuses_addition {
        RecordStatus::Approved
    } else {
        to
    };
    let after = record::Model {
        status: to,
        version: r.version + 1,
        ..after
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let decided = Decided {
        decision: decision.as_str(),
        comment,
        reviewer: Reviewer {
            account_id: auth.account_id(),
            role,
        },
    };
    let change = reviews::change(&REVIEWED, r.id, from.as_str(), to.as_str(), &decided)
        .person(r.person_id)
        .unit(r.unit_id);
    reviews::apply::<record::Entity>(&txn, &REVIEWED, r.id, r.version, to.as_str(), decided)
        .await?;
    if (after.hours_tenths, after.approved_tenths) != (r.hours_tenths, r.approved_tenths) {
        record::Entity::update_many()
            .col_expr(record::Column::HoursTenths, Expr::value(after.hours_tenths))
            .col_expr(
                record::Column::ApprovedTenths,
                Expr::value(after.approved_tenths),
            )
            .filter(record::Column::Id.eq(r.id))
            .exec(&txn)
            .await?;
    }
    // R-CE-1: the standing follows, and with it the certificate — issued
    // by the approval that completes the year, revoked or corrected when
    // a closing withdraws hours it stated.
    let mut ledger = Ledger::new();
    ledger.record(Some(&r), Some(&after))?;
    let applied = ledger
        .apply(&txn, &state.reference, &*state.follower)
        .await?;
    let change = applied.note(change);
    crate::audit::record(&txn, change).await?;
    if let Some(event) = crate::outbox::EventType::of_record_status(to) {
        let mut to_whom = vec![];
        to_whom.extend(r.unit_id.map(crate::outbox::Subscriber::Unit));
        to_whom.extend(r.platform_id.map(crate::outbox::Subscriber::Platform));
        crate::outbox::emit(
            &txn,
            event,
            &to_whom,
            serde_json::to_value(crate::domain::event::RecordEventData {
                record_id: r.id,
                person_id: r.person_id,
                year: r.year,
                category: r.category.clone(),
                status: to,
                unit_id: r.unit_id,
                platform_id: r.platform_id,
                external_id: r.external_id.clone(),
            })
            .map_err(anyhow::Error::from)?,
        )
        .await?;
    }
    txn.commit().await?;
    record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))
}

/// Whether the record is of a conversion form the finance department
/// re-checks after the unit (`unit_then_finance_review`, R-ACC-4).
async fn rechecked_by_finance(state: &AppState, r: &record::Model) -> Result<bool, ServiceError> {
    let Some(code) = r.conversion_code.as_deref() else {
        return Ok(false);
    };
    Ok(state
        .reference
        .form(code)
        .is_some_and(|f| f.confirmed_by == routing::FINANCE_RECHECKS))
}

/// R-ACC-4: the unit approved its own face-to-face training; the record
/// waits for the district finance department of the person's region (附件
/// 2 第 1 项: 报财政部门复核), still pending, the unit's decision kept in its
/// history. 409 `region_required` before the person's information
/// collection, `reviewer_missing` when the district has no department.
async fn send_to_finance(
    state: &AppState,
    auth: &Caller,
    r: record::Model,
    comment: Option<&str>,
) -> Result<record::Model, ServiceError> {
    let person = ce_entity::person::Entity::find_by_id(r.person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    let series = r
        .series_code
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("record {} of an accounting form has no series", r.id))?;
    let authority = assign_authority(
        &state.db,
        &person,
        series,
        Some(crate::domain::authority::AuthorityLevel::District),
        routing::AuthorityKind::Finance,
    )
    .await?;
    let status = r.status.as_str();
    let decided = Decided {
        decision: Decision::Approve.as_str(),
        comment,
        reviewer: Reviewer {
            account_id: auth.account_id(),
            role: Role::UnitAdmin,
        },
    };
    let change = reviews::change(&REVIEWED, r.id, status, status, &decided)
        .person(r.person_id)
        .unit(r.unit_id)
        .also("sent_to_authority", json!(authority));
    let txn = crate::db::begin_write(&state.db).await?;
    reviews::apply::<record::Entity>(&txn, &REVIEWED, r.id, r.version, status, decided).await?;
    record::Entity::update_many()
        .col_expr(record::Column::AuthorityId, Expr::value(authority))
        .filter(record::Column::Id.eq(r.id))
        .exec(&txn)
        .await?;
    crate::audit::record(&txn, change).await?;
    txn.commit().await?;
    record::Entity::find_by_id(r.id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))
}

/// Who decides records: units, and the authorities records are routed to.
const DECIDERS: &[Role] = &[Role::UnitAdmin, Role::Authority];

/// R-RC-3, R-RC-4, R-RV-1, R-ACC-4, R-RC-10: the unit, finance department
/// or sector authority the record was sent to decides it.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<Record, ServiceError> {
    require_any(auth, DECIDERS)?;
    decide(state, auth, id, expected, decision, comment)
        .await
        .map(view)
}

/// The same decision on many records, each on its own.
pub async fn review_batch(
    state: &AppState,
    auth: &Caller,
    ids: &[Uuid],
    decision: Decision,
    comment: Option<&str>,
) -> Result<Vec<BatchReviewResult>, ServiceError> {
    require_any(auth, DECIDERS)?;
    reviews::batch(ids, |id| async move {
        decide(state, auth, id, None, decision, comment)
            .await
            .map(|m| m.status.to_string())
    })
    .await
}

/// A record with its review history.
#[derive(Debug, Clone)]
pub struct RecordDetail {
    pub record: Record,
    /// The unit's decisions, oldest first.
    pub reviews: Vec<Review>,
}

/// A person's declaration, shape-checked (R-RC-1, R-RC-5).
#[derive(Debug)]
pub struct Declaration {
    pub year: Year,
    pub category: RecordCategory,
    pub series: Option<String>,
    pub course_name: String,
    pub hours: Hours,
    pub result: Option<String>,
    pub provider_name: Option<String>,
    pub attachment_ids: Vec<Uuid>,
    /// Other learning converted into hours (R-RC-7, R-ACC-2).
    pub conversion: Option<ConversionClaim>,
    /// A general-knowledge subject (R-ACC-1).
    pub general_knowledge: bool,
    /// Hours of archives initial training (R-ARC-1).
    pub initial_training: bool,
    /// Where professional hours were earned (R-RC-6).
    pub origin: Option<Origin>,
}

/// The approved origin a professional declaration names (R-RC-6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A provider qualified in the series.
    Provider(Uuid),
    /// A city base, by its number, for a series its scope covers.
    Base(String),
    /// A class of an approved and filed plan of the series (R-CP-5).
    Class(Uuid),
}

impl Origin {
    /// As stored in `records.origin`.
    fn stored(&self) -> String {
        match self {
            Origin::Provider(id) => format!("provider:{id}"),
            Origin::Base(no) => format!("base:{no}"),
            Origin::Class(id) => format!("class:{id}"),
        }
    }
}

/// The conversion form a declaration claims and how many of its units.
#[derive(Debug, Clone)]
pub struct ConversionClaim {
    pub code: String,
    pub quantity: Hours,
    /// When a related exam's results were published (R-ACC-5).
    pub results_published_on: Option<chrono::NaiveDate>,
}

/// The related-exam form whose results must be published in the year's
/// window (R-ACC-5).
pub const RELATED_EXAM: &str = "related_qualification_exam_subject";

/// Changes to a returned declaration.
#[derive(Debug, Default)]
pub struct DeclarationChange {
    pub course_name: Option<String>,
    pub hours: Option<Hours>,
    pub result: Option<String>,
    pub provider_name: Option<String>,
    pub attachment_ids: Option<Vec<Uuid>>,
}

fn origin_error(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid_field(code, "provider_id", message)
}

/// R-RC-6 (问答 九, 十六): professional hours need an approved origin for
/// their series — a provider qualified in it, a city base whose scope
/// covers it, or a class of an approved and filed plan of it — shown by the training
/// certificate. A course name that happens to be in the catalogue is not
/// one: without an origin the hours are recorded as elective only.
async fn check_origin<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    series: &str,
    origin: Option<&Origin>,
    proof: &[Uuid],
) -> Result<(), ServiceError> {
    let Some(origin) = origin else {
        return Err(origin_error(
            "origin_required",
            format!(
                "professional hours of {series} need an approved origin: a provider qualified in \
                 it (`provider_id`), a city base whose scope covers it (`base_no`) or a class of an \
                 approved and filed plan (`class_id`), with the training certificate as proof; a course in the \
                 catalogue alone is not one. Otherwise declare the hours as `elective` (R-RC-6)"
            ),
        ));
    };
    let ok = match origin {
        // R-PQ-3, R-PQ-5: qualified in the series, or a city base its
        // institution runs whose scope covers it.
        Origin::Provider(id) => {
            crate::parties::qualifications::is_qualified(conn, *id, series).await?
        }
        Origin::Base(no) => {
            ce_entity::city_base_series::Entity::find_by_id((no.clone(), series.to_string()))
                .one(conn)
                .await?
                .is_some()
        }
        Origin::Class(id) => match class::Entity::find_by_id(*id).one(conn).await? {
            Some(c) => course_plan::Entity::find_by_id(c.plan_id)
                .one(conn)
                .await?
                .is_some_and(|p| {
                    p.series_code == series
                        && p.year == year
                        && p.status == crate::domain::plan::PlanStatus::Approved
                        // R-CP-5: and filed with hrss.
                        && p.filed_at.is_some()
                }),
            None => false,
        },
    };
    if !ok {
        return Err(origin_error(
            "origin_not_qualified",
            format!(
                "the origin named is not approved for {series} in {year}: a provider qualified in \
                 the series, a city base whose scope covers it, or a class of an approved and filed plan of \
                 it (R-RC-6, R-PQ-4)"
            ),
        ));
    }
    if proof.is_empty() {
        return Err(ServiceError::invalid_field(
            "proof_required",
            "attachment_ids",
            "attach the training certificate (培训证书) that shows the hours (R-RC-6)",
        ));
    }
    Ok(())
}

/// The series the person holds in the year, with their reference data.
async fn series_held<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    year: i32,
) -> Result<Vec<ce_entity::professional_series::Model>, ServiceError> {
    use ce_entity::{person_series, professional_series};
    let codes = person_series::Entity::find()
        .filter(person_series::Column::PersonId.eq(person_id))
        .filter(person_series::Column::Year.eq(year))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.series_code);
    Ok(professional_series::Entity::find()
        .filter(professional_series::Column::Code.is_in(codes))
        .all(conn)
        .await?)
}

fn conversion_error(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid_field(code, "conversion", message)
}

/// An accounting form a declaration claims, as checked.
struct ClaimedForm {
    /// What the form is worth; it replaces the declared hours.
    credits: Hours,
    /// Who confirms it (`accounting_credit_conversions.confirmed_by`),
    /// which decides who reviews the record (R-ACC-4).
    confirmed_by: String,
}

/// R-RC-7, R-ACC-2: whether the person may claim the conversion for this
/// record; for an accounting form, what it is worth and who confirms it.
async fn check_conversion(
    state: &AppState,
    series_rows: &[ce_entity::professional_series::Model],
    d: &Declaration,
    claim: &ConversionClaim,
) -> Result<Option<ClaimedForm>, ServiceError> {
    if claim.code == crate::ledger::conversions::DEGREE_EDUCATION {
        if d.category != RecordCategory::Elective {
            return Err(conversion_error(
                "conversion_category",
                "degree education converts to elective hours (R-RC-7)",
            ));
        }
        if let Some(s) = series_rows
            .iter()
            .find(|s| s.family == "education" || s.family == "health")
        {
            return Err(conversion_error(
                "conversion_not_allowed",
                format!(
                    "degree education does not convert in the {} series (R-RC-7)",
                    s.code
                ),
            ));
        }
        return Ok(None);
    }
    let Some(form) = state.reference.form(&claim.code) else {
        return Err(conversion_error(
            "conversion_unknown",
            format!(
                "no conversion form {:?}: use `degree_education` or a code of the accounting table",
                claim.code
            ),
        ));
    };
    let accounting = d.series.as_ref().is_some_and(|code| {
        series_rows
            .iter()
            .any(|s| &s.code == code && s.requirement_group == "accounting")
    });
    if !accounting || d.category != RecordCategory::Professional {
        return Err(conversion_error(
            "conversion_not_allowed",
            "accounting forms convert to professional credits of an accounting series you hold that year (R-ACC-2)",
        ));
    }
    // R-ACC-5: accounting credits close with the year's deadline, and a
    // related exam counts in the year its results were published.
    let deadline = crate::ledger::policies::accounting_deadline(&state.db, d.year.value()).await?;
    if let Some(deadline) = deadline {
        crate::domain::public::check_accounting_received(
            d.year.value(),
            state.clock.now(),
            deadline,
        )
        .map_err(|e| ServiceError::invalid_field(e.code, "year", e.message))?;
    }
    if claim.code == RELATED_EXAM {
        let Some(published) = claim.results_published_on else {
            return Err(conversion_error(
                "results_published_required",
                "a related exam names the day its results were published (`results_published_on`, R-ACC-5)",
            ));
        };
        if let Some(deadline) = deadline {
            crate::domain::public::check_results_published(d.year.value(), published, deadline)
                .map_err(|e| conversion_error(e.code, e.message))?;
        }
    } else if claim.results_published_on.is_some() {
        return Err(conversion_error(
            "results_published_invalid",
            format!("`results_published_on` belongs to {RELATED_EXAM} only (R-ACC-5)"),
        ));
    }
    let credits = crate::ledger::conversions::credits(form, claim.quantity);
    // The same ceiling as declared hours: a quantity cannot make a year of
    // thousands of hours.
    if credits.as_f64() > MAX_DECLARED_HOURS {
        return Err(conversion_error(
            "quantity_invalid",
            format!("the form's credits × quantity exceed {MAX_DECLARED_HOURS} hours"),
        ));
    }
    Ok(Some(ClaimedForm {
        credits,
        confirmed_by: form.confirmed_by.clone(),
    }))
}

/// R-RC-10, R-ACC-4: the authority a routed record goes to — an approved
/// authority of the route's series whose region covers the person's
/// region (信息采集所属区), of the route's level or else the most specific.
/// 409 `region_required` when the person has not set their region, 409
/// `reviewer_missing` when no such authority is registered.
pub async fn assign_authority<C: ConnectionTrait>(
    conn: &C,
    person: &ce_entity::person::Model,
    series: &str,
    level: Option<crate::domain::authority::AuthorityLevel>,
    kind: crate::domain::routing::AuthorityKind,
) -> Result<Uuid, ServiceError> {
    use crate::domain::authority::Region;
    use crate::domain::routing::AuthorityKind;
    let who = match kind {
        AuthorityKind::Finance => {
            "the finance department of the person's district (信息采集所属区级财政部门)"
        }
        AuthorityKind::Sector => "the authority of the person's series",
    };
    let Some(region) = person.region.as_deref() else {
        return Err(ServiceError::conflict(
            "region_required",
            format!(
                "the person has not set their region (the district of their information collection, `PATCH /persons/{{id}}`): {who} reviews this record (R-ACC-4, R-RC-10)"
            ),
        ));
    };
    let covering = Region::parse_any(region)
        .map(|(r, _)| r.covering())
        .map_err(|e| anyhow::anyhow!("person {} has region {region:?}: {e}", person.id))?;
    let of_series = sea_orm::sea_query::Query::select()
        .column(ce_entity::authority_series::Column::AuthorityId)
        .from(ce_entity::authority_series::Entity)
        .and_where(ce_entity::authority_series::Column::SeriesCode.eq(series))
        .to_owned();
    let mut q = authority::Entity::find()
        .filter(
            authority::Column::Status.eq(crate::domain::review::ReviewStatus::Approved.as_str()),
        )
        .filter(authority::Column::Region.is_in(covering.iter().cloned()))
        .filter(authority::Column::Id.in_subquery(of_series))
        .order_by_asc(authority::Column::Id);
    if let Some(l) = level {
        q = q.filter(authority::Column::Level.eq(l.as_str()));
    }
    let found = q.all(conn).await?;
    // The most specific region first; the oldest authority of a region.
    covering
        .iter()
        .find_map(|code| found.iter().find(|a| &a.region == code))
        .map(|a| a.id)
        .ok_or_else(|| {
            ServiceError::conflict(
                "reviewer_missing",
                format!(
                    "{who} is not registered in the system for {series} in region {region}; it must register first (R-ACC-4, R-RC-10)"
                ),
            )
        })
}

/// The most hours one declaration may carry (the schema's `hours` maximum).
pub const MAX_DECLARED_HOURS: f64 = 1000.0;

/// R-RC-1, R-RC-2, R-RC-5: a verified person bound to a unit declares a
/// professional or elective record with proof; it waits for the unit, or
/// for the authority it is routed to (R-RC-10, R-ACC-4; 409
/// `region_required` before the person has set their region).
pub async fn declare(
    state: &AppState,
    auth: &Caller,
    d: Declaration,
) -> Result<Record, ServiceError> {
    let person_id = crate::authz::person_of(auth, "declares and changes records")?;
    let p = ce_entity::person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    if !p.verified {
        return Err(ServiceError::conflict(
            "not_verified",
            "pass real-name verification before declaring records (R-ID-2)",
        ));
    }
    let Some(unit_id) = current_unit(&state.db, person_id).await? else {
        return Err(ServiceError::conflict(
            "not_bound",
            "bind to your unit first: it reviews your records (R-RC-3)",
        ));
    };
    if d.category == RecordCategory::Public {
        return Err(ServiceError::invalid_field(
            "public_not_declarable",
            "category",
            "public-subject hours come from the public-course platforms, not declarations (R-RC-2)",
        ));
    }
    let held = series_held(&state.db, person_id, d.year.value()).await?;
    if let Some(series) = &d.series
        && !held.iter().any(|s| &s.code == series)
    {
        return Err(ServiceError::invalid_field(
            "series_not_held",
            "series",
            format!(
                "you hold no series {series:?} in {}; set your series for the year first (R-PU-4)",
                d.year.value()
            ),
        ));
    }
    if d.category == RecordCategory::Professional && d.series.is_none() {
        return Err(ServiceError::invalid_field(
            "series_required",
            "series",
            "a professional record names the series it counts for (R-REQ-3)",
        ));
    }
    if d.initial_training
        && (d.category != RecordCategory::Professional
            || !d.series.as_ref().is_some_and(|code| {
                held.iter()
                    .any(|s| &s.code == code && s.requirement_group == "archives")
            }))
    {
        return Err(ServiceError::invalid_field(
            "initial_training_invalid",
            "initial_training",
            "initial training is professional hours of the archives series (R-ARC-1)",
        ));
    }
    if d.general_knowledge && d.category != RecordCategory::Professional {
        return Err(ServiceError::invalid_field(
            "general_knowledge_invalid",
            "general_knowledge",
            "general-knowledge subjects are professional hours (R-ACC-1)",
        ));
    }
    let mut hours = d.hours;
    let mut confirmed_by: Option<String> = None;
    match (&d.conversion, &d.series) {
        (None, Some(series)) if d.category == RecordCategory::Professional => {
            // R-ACC-5: accounting professional credits close with the
            // year's deadline too.
            if held
                .iter()
                .any(|s| &s.code == series && s.requirement_group == "accounting")
            {
                crate::ledger::policies::check_accounting_window(
                    &state.db,
                    d.year.value(),
                    state.clock.now(),
                )
                .await?;
            }
            check_origin(
                &state.db,
                d.year.value(),
                series,
                d.origin.as_ref(),
                &d.attachment_ids,
            )
            .await?;
        }
        (None, _) => {}
        (Some(claim), _) => {
            if let Some(form) = check_conversion(state, &held, &d, claim).await? {
                hours = form.credits;
                confirmed_by = Some(form.confirmed_by);
            }
        }
    }
    let attachment_ids = crate::parties::qualifications::dedup(d.attachment_ids);
    crate::parties::attachments::require_uploaded_by(state, auth.account_id(), &attachment_ids)
        .await?;
    // R-RC-3, R-RC-10, R-ACC-4: the unit, or the authority the record is
    // routed to.
    let refs: Vec<SeriesRef<'_>> = held
        .iter()
        .map(|s| SeriesRef {
            code: &s.code,
            family: &s.family,
        })
        .collect();
    let own = d
        .series
        .as_deref()
        .and_then(|code| refs.iter().find(|s| s.code == code).copied());
    // A routed record is never the unit's, whether or not the person has set
    // their region (信息采集所属区): without it `assign_authority` answers 409
    // `region_required` and nothing is stored (用人单位审核认定（教育、卫生除外）;
    // 由会计人员自行申请，信息采集所属区级财政部门确认).
    let (unit_id, authority_id) = match routing::route(own, &refs, confirmed_by.as_deref()) {
        Route::Authority {
            series,
            level,
            kind,
        } => (
            None,
            Some(assign_authority(&state.db, &p, &series, level, kind).await?),
        ),
        _ => (Some(unit_id), None),
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = record::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        year: Set(d.year.value()),
        category: Set(d.category.as_str().into()),
        series_code: Set(d.series),
        course_name: Set(d.course_name),
        hours_tenths: Set(i32::try_from(hours.tenths()).map_err(anyhow::Error::from)?),
        approved_tenths: Set(0),
        result: Set(d.result),
        source: Set(if d.conversion.is_some() {
            RecordSource::Conversion.as_str().into()
        } else {
            RecordSource::SelfDeclared.as_str().into()
        }),
        provider_id: Set(match &d.origin {
            Some(Origin::Provider(p)) => Some(*p),
            _ => None,
        }),
        provider_name: Set(d.provider_name),
        class_id: Set(None),
        platform_id: Set(None),
        external_id: Set(None),
        unit_id: Set(unit_id),
        authority_id: Set(authority_id),
        results_published_on: Set(d.conversion.as_ref().and_then(|c| c.results_published_on)),
        initial_training: Set(d.initial_training),
        origin: Set(d.origin.as_ref().map(Origin::stored)),
        invalidated_reason: Set(None),
        status: Set(RecordStatus::PendingUnitReview),
        attachment_ids: Set(serde_json::to_value(&attachment_ids).map_err(anyhow::Error::from)?),
        completed_at: Set(None),
        conversion_code: Set(d.conversion.as_ref().map(|c| c.code.clone())),
        general_knowledge: Set(d.general_knowledge),
        topic: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    count_new(state, &txn, &m, "declared").await?;
    txn.commit().await?;
    Ok(view(m))
}

/// A record just inserted in `txn` starts counting: its hours go to the
/// person's standing through the [`Ledger`] (certificates follow), and its
/// audit event `action` is written — what a declaration and the province's
/// exam recording both do with the record they make.
async fn count_new(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    m: &record::Model,
    action: &'static str,
) -> Result<(), ServiceError> {
    let mut ledger = Ledger::new();
    ledger.record(None, Some(m))?;
    let applied = ledger
        .apply(txn, &state.reference, &*state.follower)
        .await?;
    audit::record(
        txn,
        applied.note(record_change(m, action).after(summary(m))),
    )
    .await?;
    Ok(())
}

/// A change of the record `r`: the person's, and their unit's.
fn record_change(r: &record::Model, action: &'static str) -> Change {
    Change::new(ENTITY, r.id, action)
        .person(r.person_id)
        .unit(r.unit_id)
}

/// A record as the audit trail keeps it.
fn summary(r: &record::Model) -> serde_json::Value {
    json!({
        "status": r.status,
        "year": r.year,
        "category": r.category,
        "series": r.series_code,
        "course_name": r.course_name,
        "hours_tenths": r.hours_tenths,
        "result": r.result,
        "provider_name": r.provider_name,
        "attachment_ids": r.attachment_ids,
        "unit_id": r.unit_id,
        "authority_id": r.authority_id,
        "source": r.source,
    })
}

/// `changes` to the record `r` and their audit event, in one transaction;
/// answers the record as it is now.
async fn change_audited(
    state: &AppState,
    r: &record::Model,
    changes: Vec<(record::Column, sea_orm::sea_query::SimpleExpr)>,
    action: &'static str,
) -> Result<record::Model, ServiceError> {
    let txn = crate::db::begin_write(&state.db).await?;
    reviews::write_versioned::<record::Entity, _>(&txn, COLS, r.id, r.version, changes).await?;
    let after = record::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    let mut ledger = Ledger::new();
    ledger.record(Some(r), Some(&after))?;
    let applied = ledger
        .apply(&txn, &state.reference, &*state.follower)
        .await?;
    audit::record(
        &txn,
        applied.note(
            record_change(&after, action)
                .before(summary(r))
                .after(summary(&after)),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Who answers for a record's content (R-RC-2, R-RC-4): the person for
/// what they declared; the class's owner for a class's record; the
/// platform for what it pushed. A unit's return goes back to it (不同意并
/// 退案 … 退回原单位（机构）修改).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Person,
    Class(Owner),
    Platform(Uuid),
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Person => "the person",
            Source::Class(_) => "the class's owner",
            Source::Platform(_) => "the platform that pushed it",
        }
    }
}

/// The source of a stored record.
pub async fn source_of<C: ConnectionTrait>(
    conn: &C,
    r: &record::Model,
) -> Result<Source, ServiceError> {
    if let Some(platform) = r.platform_id {
        return Ok(Source::Platform(platform));
    }
    if let Some(class_id) = r.class_id {
        let c = class::Entity::find_by_id(class_id)
            .one(conn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("record {} names a missing class", r.id))?;
        let p = course_plan::Entity::find_by_id(c.plan_id)
            .one(conn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("class {} names a missing plan", c.id))?;
        return Ok(Source::Class(plan_owner(&p)?));
    }
    Ok(Source::Person)
}

/// Who the caller is to a record they want to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Acting {
    /// The record's person.
    Holder,
    /// The record's source (for a declaration: also the person).
    Source,
}

/// The roles that change or resubmit records: persons, and the sources of
/// class and platform records.
const CHANGERS: &[Role] = &[
    Role::Person,
    Role::ProviderAdmin,
    Role::UnitAdmin,
    Role::Authority,
    Role::Platform,
];

/// A record the caller may change as its person or its source, or 404.
async fn load_changeable(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(record::Model, Source, Acting), ServiceError> {
    require_any(auth, CHANGERS)?;
    let r = record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    let source = source_of(&state.db, &r).await?;
    let is_source = match source {
        Source::Person => holds(auth, Role::Person, r.person_id),
        Source::Class(owner) => crate::authz::holds(auth, owner.kind.role(), owner.id),
        Source::Platform(p) => holds(auth, Role::Platform, p),
    };
    if is_source {
        return Ok((r, source, Acting::Source));
    }
    if holds(auth, Role::Person, r.person_id) {
        return Ok((r, source, Acting::Holder));
    }
    Err(ServiceError::NotFound("record"))
}

fn source_owned(source: Source, what: &str) -> ServiceError {
    ServiceError::conflict(
        "source_owned",
        format!(
            "this record's {what} come from its source: {} corrects it and sends it again; \
             you may add proof (R-RC-2, R-RC-4)",
            source.name()
        ),
    )
}

/// R-RC-4: a returned record is changed by whoever answers for it — the
/// person for a declaration; the class's owner (hours, result) or the
/// platform (hours, course, result) for theirs, while the person may still
/// add proof to those. One under review is returned by the unit first
/// (409 `under_review`).
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    change: DeclarationChange,
) -> Result<Record, ServiceError> {
    let (r, source, acting) = load_changeable(state, auth, id).await?;
    reviews::check_version(expected, r.version)?;
    match r.status {
        RecordStatus::Returned => {}
        RecordStatus::PendingUnitReview => {
            return Err(ServiceError::conflict(
                "under_review",
                "the record is under the unit's review: it can be changed once returned (R-RC-4)",
            ));
        }
        _ => {
            return Err(ServiceError::conflict(
                "not_editable",
                format!(
                    "a record that is {} cannot be changed; declare again",
                    r.status
                ),
            ));
        }
    }
    // What each may change: the holder of a class's or platform's record
    // only its proof; a class's owner its hours and result; a platform its
    // hours, course and result; the person all of a declaration.
    let content = change.course_name.is_some()
        || change.hours.is_some()
        || change.result.is_some()
        || change.provider_name.is_some();
    match (source, acting) {
        (Source::Person, _) => {}
        (_, Acting::Holder) if content => {
            return Err(source_owned(source, "hours, course and result"));
        }
        (Source::Class(_), Acting::Source)
            if change.course_name.is_some()
                || change.provider_name.is_some()
                || change.attachment_ids.is_some() =>
        {
            return Err(ServiceError::invalid_field(
                "field_not_changeable",
                "course_name",
                "a class's owner corrects the hours and the result of its record; the course is the class's",
            ));
        }
        (Source::Platform(_), Acting::Source)
            if change.provider_name.is_some() || change.attachment_ids.is_some() =>
        {
            return Err(ServiceError::invalid_field(
                "field_not_changeable",
                "provider_name",
                "a platform corrects the hours, the course and the result of what it pushed",
            ));
        }
        _ => {}
    }
    let mut changes = Vec::new();
    if let Some(name) = change.course_name {
        // The origin named when declared stays what makes the hours
        // professional (R-RC-6); the course's name is the person's to fix.
        changes.push((record::Column::CourseName, Expr::value(name)));
    }
    if let Some(h) = change.hours {
        if r.conversion_code
            .as_deref()
            .is_some_and(|c| c != crate::ledger::conversions::DEGREE_EDUCATION)
        {
            return Err(ServiceError::invalid_field(
                "hours_from_conversion",
                "hours",
                "an accounting form's credits follow from the form (R-ACC-2); declare again instead",
            ));
        }
        let t = i32::try_from(h.tenths()).map_err(anyhow::Error::from)?;
        // Hours a unit approved before stay approved (R-CL-4): a
        // correction below them is not a correction of what was returned.
        if t < r.approved_tenths {
            return Err(ServiceError::invalid_field(
                "hours_below_approved",
                "hours",
                format!(
                    "{} hours of this record were approved before; the correction cannot go below them",
                    f64::from(r.approved_tenths) / 10.0
                ),
            ));
        }
        changes.push((record::Column::HoursTenths, Expr::value(t)));
    }
    if let Some(v) = change.result {
        changes.push((record::Column::Result, Expr::value(v)));
    }
    if let Some(v) = change.provider_name {
        changes.push((record::Column::ProviderName, Expr::value(v)));
    }
    if let Some(ids) = change.attachment_ids {
        let ids = crate::parties::qualifications::dedup(ids);
        crate::parties::attachments::require_uploaded_by(state, auth.account_id(), &ids).await?;
        changes.push((
            record::Column::AttachmentIds,
            Expr::value(serde_json::to_value(&ids).map_err(anyhow::Error::from)?),
        ));
    }
    change_audited(state, &r, changes, "updated")
        .await
        .map(view)
}

/// R-RC-4: whoever answers for a returned record sends it to the person's
/// current unit again — the person their declaration, the class's owner
/// or the platform theirs (the person cannot resend those: 409
/// `source_owned`).
pub async fn resubmit(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Record, ServiceError> {
    let (r, source, acting) = load_changeable(state, auth, id).await?;
    if acting == Acting::Holder {
        return Err(source_owned(source, "corrections"));
    }
    reviews::check_version(expected, r.version)?;
    let from = r.status;
    let to = from
        .transition(RecordEvent::Resubmit)
        .map_err(|_| reviews::illegal(from.as_str(), "resubmit"))?;
    let mut changes = vec![(record::Column::Status, Expr::value(to.as_str()))];
    // A record routed to an authority goes back to it (R-ACC-4, R-RC-10).
    if r.authority_id.is_none()
        && let Some(u) = current_unit(&state.db, r.person_id).await?
    {
        changes.push((record::Column::UnitId, Expr::value(u)));
    }
    change_audited(state, &r, changes, "resubmitted")
        .await
        .map(view)
}

/// R-RC-2, R-RC-4: the platform that pushed a record withdraws it — it was
/// wrong, or the unit returned it and it will not be sent again. Nothing
/// of it counts any more (the standing and the certificate follow); its
/// `external_id` stays taken, so the item never counts twice: a push of it
/// again answers `duplicate` or `conflict`. Pending, returned or approved
/// records; 409 once closed or invalidated (R-RC-12).
pub async fn withdraw(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Record, ServiceError> {
    require_any(auth, &[Role::Platform])?;
    let r = record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|r| r.platform_id == Some(auth.account_id()))
        .ok_or(ServiceError::NotFound("record"))?;
    reviews::check_version(expected, r.version)?;
    if matches!(r.status, RecordStatus::Closed | RecordStatus::Invalidated) {
        return Err(reviews::illegal(r.status.as_str(), "withdraw"));
    }
    let changes = vec![
        (
            record::Column::Status,
            Expr::value(RecordStatus::Closed.as_str()),
        ),
        (record::Column::ApprovedTenths, Expr::value(0)),
    ];
    change_audited(state, &r, changes, "withdrawn")
        .await
        .map(view)
}

/// A record found untruthful, inside the transaction that found it.
#[derive(Debug)]
pub struct Invalidated {
    /// The record as it is now (`invalidated`).
    pub record: record::Model,
    /// Who recorded it: the subject of the credit record (R-RC-12).
    pub source: Source,
    /// What happened to certificates.
    pub applied: crate::ports::ledger::Applied,
    /// The audit event of the change, for the caller to complete (the
    /// credit record) and write: one event for the request.
    pub change: Change,
}

/// R-RC-12 (条例 第三十四条: 记载不真实的，其记载内容无效): hrss finds the
/// record `r` untruthful for `reason`, inside `txn`. It stops counting —
/// the standing follows through the [`Ledger`], and a certificate whose
/// year is no longer complete is revoked with the reason
/// `record_untruthful` — and a `record.invalidated` event is written. 409
/// `illegal_transition` once invalid. The caller (hrss's oversight) writes
/// the credit record against [`Invalidated::source`] and the audit event
/// [`Invalidated::change`].
pub async fn invalidate(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    r: &record::Model,
    reason: &str,
) -> Result<Invalidated, ServiceError> {
    let to = r
        .status
        .transition(RecordEvent::Invalidate)
        .map_err(|_| reviews::illegal(r.status.as_str(), "invalidate"))?;
    let source = source_of(txn, r).await?;
    reviews::write_versioned::<record::Entity, _>(
        txn,
        COLS,
        r.id,
        r.version,
        vec![
            (record::Column::Status, Expr::value(to.as_str())),
            (record::Column::ApprovedTenths, Expr::value(0)),
            (record::Column::InvalidatedReason, Expr::value(reason)),
        ],
    )
    .await?;
    let after = record::Entity::find_by_id(r.id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    let mut ledger = Ledger::new();
    ledger.because(crate::domain::certificate::RECORD_UNTRUTHFUL);
    ledger.record(Some(r), Some(&after))?;
    let applied = ledger
        .apply(txn, &state.reference, &*state.follower)
        .await?;
    let change = applied.note(
        record_change(&after, "invalidated")
            .before(summary(r))
            .after(summary(&after))
            .also("reason", json!(reason)),
    );
    if let Some(event) = crate::outbox::EventType::of_record_status(to) {
        let mut to_whom = vec![];
        to_whom.extend(r.unit_id.map(crate::outbox::Subscriber::Unit));
        to_whom.extend(r.platform_id.map(crate::outbox::Subscriber::Platform));
        crate::outbox::emit(
            txn,
            event,
            &to_whom,
            serde_json::to_value(crate::domain::event::RecordEventData {
                record_id: r.id,
                person_id: r.person_id,
                year: r.year,
                category: r.category.clone(),
                status: to,
                unit_id: r.unit_id,
                platform_id: r.platform_id,
                external_id: r.external_id.clone(),
            })
            .map_err(anyhow::Error::from)?,
        )
        .await?;
    }
    Ok(Invalidated {
        record: after,
        source,
        applied,
        change,
    })
}

/// An exam subject passed in Guangdong, as the provincial finance
/// department records it (R-ACC-4).
#[derive(Debug)]
pub struct ExamPass {
    pub year: Year,
    /// `accounting_qualification_exam_subject` (national accounting
    /// qualification or CPA exam).
    pub code: String,
    /// The subject passed (e.g. 中级会计实务).
    pub subject: String,
}

/// The conversion forms the province records without an application
/// (R-ACC-4: 在广东省省内参加考试的，由省财政厅录入，会计人员无需申请).
pub const PROVINCE_RECORDS: &str = "province_records_or_person_applies";

/// The approved provincial authority of an accounting series among the
/// caller's: the provincial finance department (R-ACC-4).
async fn provincial_finance<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
) -> Result<Option<authority::Model>, ServiceError> {
    let mine = orgs(auth, Role::Authority);
    if mine.is_empty() {
        return Ok(None);
    }
    let accounting = sea_orm::sea_query::Query::select()
        .column(ce_entity::authority_series::Column::AuthorityId)
        .from(ce_entity::authority_series::Entity)
        .and_where(
            ce_entity::authority_series::Column::SeriesCode.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(ce_entity::professional_series::Column::Code)
                    .from(ce_entity::professional_series::Entity)
                    .and_where(
                        ce_entity::professional_series::Column::RequirementGroup.eq("accounting"),
                    )
                    .to_owned(),
            ),
        )
        .to_owned();
    let found = authority::Entity::find()
        .filter(authority::Column::Id.is_in(mine))
        .filter(
            authority::Column::Level
                .eq(crate::domain::authority::AuthorityLevel::Province.as_str()),
        )
        .filter(
            authority::Column::Status.eq(crate::domain::review::ReviewStatus::Approved.as_str()),
        )
        .filter(authority::Column::Id.in_subquery(accounting))
        .order_by_asc(authority::Column::Id)
        .one(conn)
        .await?;
    if let Some(a) = &found {
        // The grant that decided, for the audit event.
        holds(auth, Role::Authority, a.id);
    }
    Ok(found)
}

/// R-ACC-4: the provincial finance department records an exam subject a
/// person passed in Guangdong — no application, approved at once, 90
/// credits for the whole year, public included (R-ACC-2). 403 for anyone
/// but the province authority of an accounting series; 404 for a person
/// outside its region; 409 `region_required` for a person who has not
/// completed their information collection (需完成信息采集), `exam_recorded`
/// for a subject recorded before; 422 `series_not_held`,
/// `conversion_not_allowed`, `accounting_deadline_passed` (R-ACC-5).
pub async fn record_exam(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
    e: ExamPass,
) -> Result<Record, ServiceError> {
    require_any(auth, &[Role::Authority])?;
    let Some(province) = provincial_finance(&state.db, auth).await? else {
        return Err(ServiceError::forbidden(
            "forbidden",
            "exam subjects passed in Guangdong are recorded by the provincial finance department: \
             the approved province-level authority of the accounting series (R-ACC-4)",
        ));
    };
    let p = ce_entity::person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let Some(region) = p.region.as_deref() else {
        return Err(ServiceError::conflict(
            "region_required",
            "the person has not set their region (信息采集): the exam is recorded once they have (R-ACC-4)",
        ));
    };
    let within = crate::domain::authority::Region::parse_any(region).is_ok_and(|(r, _)| {
        r.within(
            &province.region,
            crate::domain::authority::AuthorityLevel::Province,
        )
    });
    if !within {
        return Err(ServiceError::NotFound("person"));
    }
    let Some(form) = state
        .reference
        .form(&e.code)
        .filter(|f| f.confirmed_by == PROVINCE_RECORDS)
    else {
        return Err(conversion_error(
            "conversion_not_allowed",
            format!(
                "the province records the forms confirmed by {PROVINCE_RECORDS} (exam subjects), not {:?} (R-ACC-4)",
                e.code
            ),
        ));
    };
    let held = series_held(&state.db, person_id, e.year.value()).await?;
    let Some(series) = held.iter().find(|s| s.requirement_group == "accounting") else {
        return Err(ServiceError::invalid_field(
            "series_not_held",
            "year",
            format!(
                "the person holds no accounting series in {}; it must be set first (R-PU-4)",
                e.year.value()
            ),
        ));
    };
    crate::ledger::policies::check_accounting_window(&state.db, e.year.value(), state.clock.now())
        .await?;
    let credits = crate::ledger::conversions::credits(form, Hours::from_tenths(10));
    let tenths = i32::try_from(credits.tenths()).map_err(anyhow::Error::from)?;
    let txn = crate::db::begin_write(&state.db).await?;
    // One recording a person at a time: the check below and the insert are
    // one step (PostgreSQL holds the person's row until the commit; SQLite's
    // write transaction excludes other writers anyway).
    ce_entity::person::Entity::find_by_id(person_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let before = record::Entity::find()
        .filter(record::Column::PersonId.eq(person_id))
        .filter(record::Column::Year.eq(e.year.value()))
        .filter(record::Column::ConversionCode.eq(&e.code))
        .filter(record::Column::CourseName.eq(&e.subject))
        .filter(record::Column::Status.ne(RecordStatus::Closed.as_str()))
        .one(&txn)
        .await?;
    if before.is_some() {
        return Err(ServiceError::conflict(
            "exam_recorded",
            "this subject is recorded for the person and year already",
        ));
    }
    let now = Utc::now();
    let m = record::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        year: Set(e.year.value()),
        category: Set(RecordCategory::Professional.as_str().into()),
        series_code: Set(Some(series.code.clone())),
        course_name: Set(e.subject),
        hours_tenths: Set(tenths),
        approved_tenths: Set(tenths),
        result: Set(Some("合格".into())),
        source: Set(RecordSource::Conversion.as_str().into()),
        provider_id: Set(None),
        provider_name: Set(Some(province.name.clone())),
        class_id: Set(None),
        platform_id: Set(None),
        external_id: Set(None),
        unit_id: Set(None),
        invalidated_reason: Set(None),
        authority_id: Set(Some(province.id)),
        results_published_on: Set(None),
        initial_training: Set(false),
        origin: Set(None),
        status: Set(RecordStatus::Approved),
        attachment_ids: Set(serde_json::json!([])),
        completed_at: Set(None),
        conversion_code: Set(Some(e.code)),
        general_knowledge: Set(false),
        topic: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    count_new(state, &txn, &m, "recorded").await?;
    txn.commit().await?;
    Ok(view(m))
}
