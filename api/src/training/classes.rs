//! Classes (培训班) under a course plan (R-CP-3, R-CP-4), their lifecycle
//! (R-CL-1), enrolment and results (R-CL-2), and closing into records
//! (R-CL-3, R-CL-4).

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use ce_entity::{class, class_teacher, course_plan, enrollment, person, teacher};

use crate::auth::{Caller, Role};
use crate::authz::orgs;
use crate::db::unique;
use crate::domain::Hours;
use crate::domain::class::{
    ClassMode, ClassStatus, ClassTransitions, EnrollmentDecision, EnrollmentStatus,
    EnrollmentTransitions, check_filing_window,
};
use crate::domain::plan::PlanStatus;
use crate::error::{ForeignKeyViolation, ServiceError, UniqueViolation};
use crate::ledger::records;
use crate::pagination::Page;
use crate::review::{self as reviews, Versioned};
use crate::state::AppState;
use crate::training::plans::{self, Owner, OwnerType, Plan};

/// A class with its capacity and enrolled count (R-CP-4).
#[derive(Debug, Clone)]
pub struct Class {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The plan's series.
    pub series: String,
    /// The plan's year: the year the hours count for.
    pub year: i32,
    /// The plan's course: the course name of the learners' records.
    pub course_name: String,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    /// Set when a provider runs the class.
    pub provider_id: Option<Uuid>,
    pub name: String,
    pub mode: ClassMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Hours each learner who passes receives.
    pub hours: f64,
    /// 拟招人数.
    pub capacity: i32,
    /// 已报名人数: pending and accepted enrolments.
    pub enrolled_count: i32,
    pub venue: Option<String>,
    pub content: Option<String>,
    pub teacher_ids: Vec<Uuid>,
    pub head_teacher_id: Option<Uuid>,
    pub status: ClassStatus,
    /// Whether the plan is approved, so the class may take enrolments.
    pub plan_approved: bool,
    /// Whether hrss filed the plan (R-CP-5), so closing credits the
    /// learners' hours.
    pub plan_filed: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A page of classes.
#[derive(Debug, Clone)]
pub struct ClassPage {
    pub items: Vec<Class>,
    pub next_cursor: Option<String>,
}

/// A new class, shape-checked.
#[derive(Debug)]
pub struct NewClass {
    pub name: String,
    pub mode: ClassMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub hours: Hours,
    pub capacity: i32,
    pub venue: Option<String>,
    pub content: Option<String>,
    pub teacher_ids: Vec<Uuid>,
    pub head_teacher_id: Option<Uuid>,
}

/// Filters of the class list.
#[derive(Debug, Default)]
pub struct ClassFilter {
    pub status: Option<ClassStatus>,
    pub series: Option<String>,
    pub provider_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    /// Starting on or after.
    pub from: Option<NaiveDate>,
    /// Starting on or before.
    pub to: Option<NaiveDate>,
}

const COLS: Versioned<class::Column> = Versioned {
    id: class::Column::Id,
    version: class::Column::Version,
    updated_at: class::Column::UpdatedAt,
};

const ENROLLMENT_COLS: Versioned<enrollment::Column> = Versioned {
    id: enrollment::Column::Id,
    version: enrollment::Column::Version,
    updated_at: enrollment::Column::UpdatedAt,
};

fn hours_of(tenths: i32) -> Hours {
    Hours::from_tenths(u32::try_from(tenths).unwrap_or(0))
}

fn view(c: class::Model, plan: &Plan, teacher_ids: Vec<Uuid>) -> Class {
    Class {
        id: c.id,
        plan_id: c.plan_id,
        series: plan.series.clone(),
        year: plan.year,
        course_name: plan.course_name.clone(),
        owner_type: plan.owner_type,
        owner_id: plan.owner_id,
        provider_id: plan.provider_id,
        name: c.name,
        mode: ClassMode::parse(&c.mode).unwrap_or(ClassMode::FaceToFace),
        start_date: c.start_date,
        end_date: c.end_date,
        hours: hours_of(c.hours_tenths).as_f64(),
        capacity: c.capacity,
        enrolled_count: c.enrolled_count,
        venue: c.venue,
        content: c.content,
        teacher_ids,
        head_teacher_id: c.head_teacher_id,
        status: c.status,
        plan_approved: plan.status == PlanStatus::Approved,
        plan_filed: plan.filed_at.is_some(),
        closed_at: c.closed_at,
        created_at: c.created_at,
        updated_at: c.updated_at,
        version: c.version,
    }
}

/// The views of `rows`, with their plans and teachers read in two queries.
async fn views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<class::Model>,
) -> Result<Vec<Class>, ServiceError> {
    let plan_ids: BTreeSet<Uuid> = rows.iter().map(|c| c.plan_id).collect();
    let plans: HashMap<Uuid, Plan> = course_plan::Entity::find()
        .filter(course_plan::Column::Id.is_in(plan_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, plans::view(p)))
        .collect();
    let mut teachers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for t in class_teacher::Entity::find()
        .filter(class_teacher::Column::ClassId.is_in(rows.iter().map(|c| c.id)))
        .all(conn)
        .await?
    {
        teachers.entry(t.class_id).or_default().push(t.teacher_id);
    }
    rows.into_iter()
        .map(|c| {
            let p = plans
                .get(&c.plan_id)
                .ok_or_else(|| anyhow::anyhow!("class {} has no plan {}", c.id, c.plan_id))?;
            let t = teachers.remove(&c.id).unwrap_or_default();
            Ok(view(c, p, t))
        })
        .collect()
}

async fn view_one<C: ConnectionTrait>(conn: &C, c: class::Model) -> Result<Class, ServiceError> {
    views(conn, vec![c])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("class"))
}

/// 422 `teacher_invalid` unless every teacher is an enabled teacher of the
/// owner (R-CP-4). Authorities keep no roster (R-T-1), so an authority's
/// class may name any enabled teacher.
async fn check_teachers<C: ConnectionTrait>(
    conn: &C,
    owner: Owner,
    ids: &[Uuid],
    field: &str,
) -> Result<(), ServiceError> {
    let found = teacher::Entity::find()
        .filter(teacher::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    for id in ids {
        let ok = found.iter().any(|t| {
            t.id == *id
                && t.enabled
                && (owner.kind == OwnerType::Authority
                    || (t.owner_type == owner.kind.as_str() && t.owner_id == owner.id))
        });
        if !ok {
            return Err(ServiceError::invalid_field(
                "teacher_invalid",
                field,
                format!("{id} is not an enabled teacher of the class's organisation"),
            ));
        }
    }
    Ok(())
}

/// R-CP-4: the plan's owner files a class under a plan that is not closed;
/// a face-to-face class within the filing window (R-CP-3).
pub async fn create(
    state: &AppState,
    auth: &Caller,
    plan_id: Uuid,
    new: NewClass,
) -> Result<Class, ServiceError> {
    plans::require_owner_role(auth)?;
    let p = plans::load(&state.db, plan_id).await?;
    let owner = plans::owned(auth, &p, "course plan")?;
    if p.status == PlanStatus::Closed {
        return Err(ServiceError::conflict(
            "plan_closed",
            "the plan was refused for good (reject_close); it cannot hold classes",
        ));
    }
    if new.end_date < new.start_date {
        return Err(ServiceError::invalid_field(
            "dates_invalid",
            "end_date",
            "the end date is before the start date",
        ));
    }
    check_filing_window(
        new.mode,
        new.start_date,
        crate::domain::year::today_in_shanghai(),
        state.settings.training.filing_window_days,
    )
    .map_err(|e| ServiceError::invalid_field(e.code, "start_date", e.message))?;
    let teacher_ids = crate::parties::qualifications::dedup(new.teacher_ids);
    check_teachers(&state.db, owner, &teacher_ids, "teacher_ids").await?;
    if let Some(h) = new.head_teacher_id {
        check_teachers(&state.db, owner, &[h], "head_teacher_id").await?;
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let c = class::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(plan_id),
        name: Set(new.name),
        mode: Set(new.mode.as_str().into()),
        start_date: Set(new.start_date),
        end_date: Set(new.end_date),
        hours_tenths: Set(i32::try_from(new.hours.tenths()).map_err(anyhow::Error::from)?),
        capacity: Set(new.capacity),
        enrolled_count: Set(0),
        venue: Set(new.venue),
        content: Set(new.content),
        head_teacher_id: Set(new.head_teacher_id),
        status: Set(ClassStatus::Accepting),
        created_by: Set(auth.account_id()),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    // The teachers were checked before the transaction: one deleted since
    // is refused by its foreign key, as if it had never been there.
    .on_foreign_key(|| teacher_gone("head_teacher_id"))?;
    for t in &teacher_ids {
        class_teacher::ActiveModel {
            class_id: Set(c.id),
            teacher_id: Set(*t),
        }
        .insert(&txn)
        .await
        .on_foreign_key(|| teacher_gone("teacher_ids"))?;
    }
    audit::record(
        &txn,
        class_change(&c, &p, "created").after(json!({
            "plan_id": c.plan_id,
            "name": c.name,
            "mode": c.mode,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "hours_tenths": c.hours_tenths,
            "capacity": c.capacity,
            "teacher_ids": teacher_ids,
            "status": c.status,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(c, &plans::view(p), teacher_ids))
}

/// A change of the class `c` of plan `p`; a unit's class is the unit's to
/// read.
fn class_change(c: &class::Model, p: &course_plan::Model, action: &'static str) -> Change {
    Change::new("class", c.id, action).unit((p.owner_type == "unit").then_some(p.owner_id))
}

/// Any signed-in caller sees the classes of approved plans (to enrol);
/// owners, their reviewing authority and hrss see the others too.
fn visible(auth: &Caller, p: &course_plan::Model) -> bool {
    p.status == PlanStatus::Approved || plans::visible(auth, p)
}

/// A page of the classes the caller may see, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: ClassFilter,
    page: Page,
) -> Result<ClassPage, ServiceError> {
    let mut plan_q = Query::select();
    plan_q
        .column(course_plan::Column::Id)
        .from(course_plan::Entity);
    if !auth.has_role(Role::Hrss) {
        plan_q.cond_where(
            Condition::any()
                .add(course_plan::Column::Status.eq(PlanStatus::Approved))
                .add(plans::scope_condition(auth)),
        );
    }
    if let Some(s) = &filter.series {
        plan_q.and_where(course_plan::Column::SeriesCode.eq(s.as_str()));
    }
    if let Some(p) = filter.provider_id {
        plan_q.and_where(course_plan::Column::OwnerType.eq(OwnerType::Provider.as_str()));
        plan_q.and_where(course_plan::Column::OwnerId.eq(p));
    }
    let mut q = class::Entity::find().filter(class::Column::PlanId.in_subquery(plan_q));
    if let Some(p) = filter.plan_id {
        q = q.filter(class::Column::PlanId.eq(p));
    }
    if let Some(s) = filter.status {
        q = q.filter(class::Column::Status.eq(s.as_str()));
    }
    if let Some(d) = filter.from {
        q = q.filter(class::Column::StartDate.gte(d));
    }
    if let Some(d) = filter.to {
        q = q.filter(class::Column::StartDate.lte(d));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, class::Column::Id, false, |r| r.id)
        .await?;
    Ok(ClassPage {
        items: views(&state.db, rows).await?,
        next_cursor,
    })
}

async fn load<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<class::Model, ServiceError> {
    class::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("class"))
}

/// A class and its plan, if the caller may see the class.
async fn load_visible(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(class::Model, course_plan::Model), ServiceError> {
    let c = load(&state.db, id).await?;
    let p = plans::load(&state.db, c.plan_id).await?;
    if !visible(auth, &p) {
        return Err(ServiceError::NotFound("class"));
    }
    Ok((c, p))
}

/// One class with capacity and enrolled count.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<Class, ServiceError> {
    let (c, _) = load_visible(state, auth, id).await?;
    view_one(&state.db, c).await
}

/// A class and its plan, if the caller acts for the plan's owner: 403
/// without an owner role, 404 otherwise.
async fn load_owned(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(class::Model, course_plan::Model), ServiceError> {
    plans::require_owner_role(auth)?;
    let c = load(&state.db, id).await?;
    let p = plans::load(&state.db, c.plan_id).await?;
    plans::owned(auth, &p, "class")?;
    Ok((c, p))
}

fn class_status(c: &class::Model) -> Result<ClassStatus, ServiceError> {
    Ok(c.status)
}

fn plan_not_approved() -> ServiceError {
    ServiceError::conflict(
        "plan_not_approved",
        "only classes of an approved plan take enrolments and open (R-CP-1)",
    )
}

/// R-CL-1: moves a class on. Opening needs an approved plan; closing needs
/// it filed (R-CP-5) and creates the learners' records in the same
/// transaction (R-CL-3, R-CL-4).
pub async fn transition(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    to: ClassStatus,
) -> Result<Class, ServiceError> {
    let (c, p) = load_owned(state, auth, id).await?;
    reviews::check_version(expected, c.version)?;
    let from = class_status(&c)?;
    from.transition(to).map_err(|_| {
        ServiceError::conflict(
            "illegal_transition",
            format!(
                "a class cannot go from {} to {} (R-CL-1)",
                from.as_str(),
                to.as_str()
            ),
        )
    })?;
    if to == ClassStatus::Open && p.status != PlanStatus::Approved {
        return Err(plan_not_approved());
    }
    // R-CP-5: the learners' hours are declared automatically only for a
    // plan filed with hrss (问答 十.1: 开班计划经人社部门备案的…自动申报). The
    // class stays open until it is, so no learner loses the hours.
    if to == ClassStatus::Closed && p.filed_at.is_none() {
        return Err(ServiceError::conflict(
            "plan_not_filed",
            "the class's plan is not filed with hrss yet (备案): only classes of a filed plan \
             close and credit their learners' hours (R-CP-5); the class stays open until then",
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut changes = vec![(class::Column::Status, Expr::value(to.as_str()))];
    if to == ClassStatus::Closed {
        changes.push((class::Column::ClosedAt, Expr::value(now)));
    }
    reviews::write_versioned::<class::Entity, _>(&txn, COLS, c.id, c.version, changes).await?;
    let mut change = class_change(&c, &p, "transitioned")
        .before(json!({"status": from.as_str()}))
        .after(json!({"status": to.as_str()}));
    if to == ClassStatus::Closed {
        let mut ledger = crate::ledger::standing::Ledger::new();
        let n = records::from_closed_class(&txn, &mut ledger, &c, &p).await?;
        let applied = ledger
            .apply(&txn, &state.reference, &*state.follower)
            .await?;
        change = applied.note(change.also("records_credited", json!(n)));
    }
    audit::record(&txn, change).await?;
    txn.commit().await?;
    view_one(&state.db, load(&state.db, id).await?).await
}

/// An enrolment.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub id: Uuid,
    pub class_id: Uuid,
    pub person_id: Uuid,
    /// The learner's name (for the class owner's review).
    pub person_name: String,
    pub status: EnrollmentStatus,
    /// Assessment score, entered while the class is open.
    pub score: Option<i32>,
    /// Whether the learner passed; only those who passed get a record.
    pub passed: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A page of enrolments.
#[derive(Debug, Clone)]
pub struct EnrollmentPage {
    pub items: Vec<Enrollment>,
    pub next_cursor: Option<String>,
}

async fn enrollment_views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<enrollment::Model>,
) -> Result<Vec<Enrollment>, ServiceError> {
    let names: HashMap<Uuid, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(rows.iter().map(|e| e.person_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| Enrollment {
            id: e.id,
            class_id: e.class_id,
            person_id: e.person_id,
            person_name: names.get(&e.person_id).cloned().unwrap_or_default(),
            status: e.status,
            score: e.score,
            passed: e.passed,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        })
        .collect())
}

async fn enrollment_view<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Enrollment, ServiceError> {
    let e = enrollment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("enrollment"))?;
    enrollment_views(conn, vec![e])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("enrollment"))
}

/// R-CL-2: a verified person enrols in an accepting class of an approved
/// plan that has room. The place is taken by one conditional update, so
/// two last-minute enrolments cannot both get the last place.
pub async fn enrol(
    state: &AppState,
    auth: &Caller,
    class_id: Uuid,
) -> Result<Enrollment, ServiceError> {
    let person_id = crate::authz::person_of(auth, "enrols in a class")?;
    // Not `load_visible`: a person holding the id of a class whose plan is
    // not approved yet learns why they cannot enrol (409), not a 404.
    let c = load(&state.db, class_id).await?;
    let p = plans::load(&state.db, c.plan_id).await?;
    let me = person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    if !me.verified {
        return Err(ServiceError::conflict(
            "not_verified",
            "pass real-name verification (POST /persons/{id}/verification) before enrolling",
        ));
    }
    if p.status != PlanStatus::Approved {
        return Err(plan_not_approved());
    }
    if class_status(&c)? != ClassStatus::Accepting {
        return Err(ServiceError::conflict(
            "class_not_accepting",
            format!("the class is {}, not accepting enrolments", c.status),
        ));
    }
    let live = enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(class_id))
        .filter(enrollment::Column::PersonId.eq(person_id))
        .filter(enrollment::Column::Status.ne(EnrollmentStatus::Cancelled.as_str()))
        .one(&state.db)
        .await?;
    if live.is_some() {
        return Err(already_enrolled());
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let taken = class::Entity::update_many()
        .col_expr(
            class::Column::EnrolledCount,
            Expr::col(class::Column::EnrolledCount).add(1),
        )
        .filter(class::Column::Id.eq(class_id))
        .filter(class::Column::Status.eq(ClassStatus::Accepting))
        .filter(Expr::col(class::Column::EnrolledCount).lt(Expr::col(class::Column::Capacity)))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        txn.rollback().await?;
        return Err(ServiceError::conflict(
            "class_full",
            format!("all {} places of the class are taken", c.capacity),
        ));
    }
    let now = Utc::now();
    let e = enrollment::ActiveModel {
        id: Set(Uuid::now_v7()),
        class_id: Set(class_id),
        person_id: Set(person_id),
        status: Set(EnrollmentStatus::Pending),
        score: Set(None),
        passed: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .on_unique(&[(&unique::ENROLMENT_LIVE, already_enrolled)])?;
    audit::record(
        &txn,
        Change::new("enrollment", e.id, "created")
            .after(json!({"class_id": class_id, "status": e.status}))
            .person(person_id),
    )
    .await?;
    txn.commit().await?;
    enrollment_view(&state.db, e.id).await
}

fn teacher_gone(field: &'static str) -> ServiceError {
    ServiceError::invalid_field(
        "teacher_invalid",
        field,
        "a teacher named here was deleted meanwhile",
    )
}

fn already_enrolled() -> ServiceError {
    ServiceError::conflict("already_enrolled", "you are enrolled in this class already")
}

/// The class's enrolments: all of them for its owner and hrss, the
/// caller's own for a person.
pub async fn enrollments(
    state: &AppState,
    auth: &Caller,
    class_id: Uuid,
    status: Option<EnrollmentStatus>,
    page: Page,
) -> Result<EnrollmentPage, ServiceError> {
    let (_, p) = load_visible(state, auth, class_id).await?;
    let mut q = enrollment::Entity::find().filter(enrollment::Column::ClassId.eq(class_id));
    // hrss, the owner and the reviewing authority see every enrolment.
    let sees_all = plans::visible(auth, &p);
    if !sees_all {
        let me = orgs(auth, Role::Person);
        if me.is_empty() {
            return Err(ServiceError::NotFound("class"));
        }
        q = q.filter(enrollment::Column::PersonId.is_in(me));
    }
    if let Some(s) = status {
        q = q.filter(enrollment::Column::Status.eq(s.as_str()));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, enrollment::Column::Id, false, |r| r.id)
        .await?;
    Ok(EnrollmentPage {
        items: enrollment_views(&state.db, rows).await?,
        next_cursor,
    })
}

/// An enrolment with its class and plan, if the caller owns the class.
async fn load_enrollment_owned(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(enrollment::Model, class::Model), ServiceError> {
    plans::require_owner_role(auth)?;
    let e = enrollment::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("enrollment"))?;
    let c = load(&state.db, e.class_id).await?;
    let p = plans::load(&state.db, c.plan_id).await?;
    plans::owned(auth, &p, "enrollment")?;
    Ok((e, c))
}

/// R-CL-2 学员审核: the owner accepts or cancels an enrolment while the
/// class is accepting or open. Cancelling frees the place.
pub async fn review_enrollment(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: EnrollmentDecision,
) -> Result<Enrollment, ServiceError> {
    let (e, c) = load_enrollment_owned(state, auth, id).await?;
    reviews::check_version(expected, e.version)?;
    let from = e.status;
    let to = from
        .decide(decision)
        .map_err(|_| reviews::illegal(from.as_str(), decision.as_str()))?;
    if !matches!(
        class_status(&c)?,
        ClassStatus::Accepting | ClassStatus::Open
    ) {
        return Err(ServiceError::conflict(
            "illegal_transition",
            format!("the class is {}: its enrolments are settled", c.status),
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    reviews::write_versioned::<enrollment::Entity, _>(
        &txn,
        ENROLLMENT_COLS,
        e.id,
        e.version,
        vec![(enrollment::Column::Status, Expr::value(to.as_str()))],
    )
    .await?;
    if to == EnrollmentStatus::Cancelled {
        class::Entity::update_many()
            .col_expr(
                class::Column::EnrolledCount,
                Expr::col(class::Column::EnrolledCount).sub(1),
            )
            .filter(class::Column::Id.eq(c.id))
            .filter(class::Column::EnrolledCount.gt(0))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        Change::new("enrollment", e.id, "reviewed")
            .before(json!({"status": from.as_str()}))
            .after(json!({"status": to.as_str(), "decision": decision.as_str()}))
            .person(e.person_id),
    )
    .await?;
    txn.commit().await?;
    enrollment_view(&state.db, id).await
}

/// R-CL-1, R-CL-2: the owner enters an accepted learner's result while the
/// class is open.
pub async fn set_result(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    score: Option<i32>,
    passed: bool,
) -> Result<Enrollment, ServiceError> {
    let (e, c) = load_enrollment_owned(state, auth, id).await?;
    reviews::check_version(expected, e.version)?;
    if class_status(&c)? != ClassStatus::Open {
        return Err(ServiceError::conflict(
            "class_not_open",
            format!(
                "results are entered while the class is open; it is {}",
                c.status
            ),
        ));
    }
    if e.status != EnrollmentStatus::Accepted {
        return Err(ServiceError::conflict(
            "enrollment_not_accepted",
            format!(
                "results are entered for accepted learners; this enrolment is {}",
                e.status
            ),
        ));
    }
    reviews::write_audited::<enrollment::Entity>(
        &state.db,
        ENROLLMENT_COLS,
        e.id,
        e.version,
        vec![
            (enrollment::Column::Score, Expr::value(score)),
            (enrollment::Column::Passed, Expr::value(passed)),
        ],
        Change::new("enrollment", e.id, "result_set")
            .before(json!({"score": e.score, "passed": e.passed}))
            .after(json!({"score": score, "passed": passed}))
            .person(e.person_id),
    )
    .await?;
    enrollment_view(&state.db, id).await
}
