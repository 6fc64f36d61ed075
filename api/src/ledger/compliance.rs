//! A person's standing in a year (R-REQ-1..3), live from their approved and
//! pending records: what the seed makes people press "manual recount" for.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use ce_entity::unit;

use crate::auth::{Caller, Role};
use crate::domain::compliance::{
    Assessment, ComplianceStatus, ExemptReason, Group, INITIAL_TRAINING_HOURS,
    InitialTrainingStatus, Line, SeriesHeld, UnitComplianceSort, initial_training,
};
use crate::domain::record::RecordStatus;
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use crate::ledger::standing;
use crate::pagination::Page;
use crate::state::AppState;

/// Hours of one line (one decimal place).
#[derive(Debug, Clone)]
pub struct LineHours {
    pub required: f64,
    /// Approved by the unit (or arrived recognised).
    pub approved: f64,
    /// Waiting for the unit: not counted yet.
    pub pending: f64,
    /// Still to earn: required − approved, never below 0.
    pub missing: f64,
}

/// One series' professional line (R-REQ-3).
#[derive(Debug, Clone)]
pub struct SeriesLine {
    pub series: String,
    pub required: f64,
    pub approved: f64,
    pub pending: f64,
    /// Still to earn, counting a general-knowledge shortfall too.
    pub missing: f64,
    /// Of the professional hours, how many must be general-knowledge
    /// subjects (R-ACC-1; 0 where the policy asks for none).
    pub general_knowledge_required: f64,
    pub general_knowledge_approved: f64,
}

/// The three categories.
#[derive(Debug, Clone)]
pub struct CategoryLines {
    pub public: LineHours,
    pub professional: LineHours,
    pub elective: LineHours,
}

/// A person's standing in a year.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub person_id: Uuid,
    pub year: i32,
    /// Every category and series has its approved minimum.
    pub complete: bool,
    /// `complete`, `incomplete`, or `exempt` (R-ACC-6).
    pub status: ComplianceStatus,
    /// Why nothing is owed, when `exempt`.
    pub exempt_reason: Option<ExemptReason>,
    /// Archives initial training, for a person in their first year in the
    /// post without an archives degree (R-ARC-1).
    pub initial_training: Option<InitialTraining>,
    pub categories: CategoryLines,
    /// Professional hours per series held that year; empty when none is
    /// declared (then the general minimum applies to all professional hours).
    pub series: Vec<SeriesLine>,
}

/// Archives initial training in the first year in the post (R-ARC-1).
#[derive(Debug, Clone)]
pub struct InitialTraining {
    pub series: String,
    pub started_on: chrono::NaiveDate,
    /// The last day of the first year in the post.
    pub due_by: chrono::NaiveDate,
    pub required: f64,
    /// Approved hours of initial training in archives professional
    /// subjects, over the calendar years the first year spans.
    pub approved: f64,
    pub pending: f64,
    pub status: InitialTrainingStatus,
}

/// R-ARC-1: the initial training of a person who started in an archives
/// post without an archives degree, shown in the compliance of the
/// calendar years their first year spans (among those they hold the
/// series in). Reads the records only for such a person.
async fn initial_training_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    year: i32,
    held: &[SeriesHeld],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<InitialTraining>, ServiceError> {
    use ce_entity::record;
    use chrono::Datelike;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some((code, started_on)) = held.iter().find_map(|s| {
        (s.group == Group::Archives && s.terms.has_degree == Some(false))
            .then_some(s.terms.started_on.map(|d| (s.code.clone(), d)))
            .flatten()
    }) else {
        return Ok(None);
    };
    let today = crate::domain::year::date_in_shanghai(now);
    let (due_by, _) = initial_training(started_on, Hours::ZERO, today);
    if year < started_on.year() || year > due_by.year() {
        return Ok(None);
    }
    let mut approved = 0i64;
    let mut pending = 0i64;
    for r in record::Entity::find()
        .filter(record::Column::PersonId.eq(person_id))
        .filter(record::Column::SeriesCode.eq(&code))
        .filter(record::Column::InitialTraining.eq(true))
        .filter(record::Column::Year.between(started_on.year(), due_by.year()))
        .all(conn)
        .await?
    {
        match r.status {
            RecordStatus::Approved => approved += i64::from(r.hours_tenths),
            RecordStatus::PendingUnitReview => {
                approved += i64::from(r.approved_tenths);
                pending += i64::from(r.hours_tenths - r.approved_tenths);
            }
            RecordStatus::Returned => approved += i64::from(r.approved_tenths),
            RecordStatus::Closed | RecordStatus::Invalidated => {}
        }
    }
    let approved = Hours::from_tenths(u32::try_from(approved).unwrap_or(0));
    let (due_by, status) = initial_training(started_on, approved, today);
    Ok(Some(InitialTraining {
        series: code,
        started_on,
        due_by,
        required: f64::from(INITIAL_TRAINING_HOURS),
        approved: approved.as_f64(),
        pending: Hours::from_tenths(u32::try_from(pending).unwrap_or(0)).as_f64(),
        status,
    }))
}

fn line(l: Line) -> LineHours {
    LineHours {
        required: l.required.as_f64(),
        approved: l.approved.as_f64(),
        pending: l.pending.as_f64(),
        missing: l.missing.as_f64(),
    }
}

/// R-REQ-2, R-REQ-3: the person's standing; the person, their unit's
/// admins and hrss may ask, other readers get 404, other roles 403.
pub async fn of_person(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
    year: Year,
) -> Result<Compliance, ServiceError> {
    crate::authz::require_any(auth, &[Role::Person, Role::UnitAdmin, Role::Hrss])?;
    let policy = state.policies.get(&state.db, year).await?;
    // Two queries (issue 21): the person with their unit and series, then
    // their lines; the policy and the reference data are in memory.
    let y = standing::read_person_year(
        &state.db,
        &state.reference,
        year.value(),
        person_id,
        |unit| crate::parties::persons::may_see_in_full(auth, person_id, unit),
    )
    .await?
    .flatten()
    .ok_or(ServiceError::NotFound("person"))?;
    let a = crate::domain::compliance::assess(&policy, &y.series, &y.facts);
    let mut v = view(person_id, a);
    v.initial_training = initial_training_of(
        &state.db,
        person_id,
        year.value(),
        &y.series,
        state.clock.now(),
    )
    .await?;
    Ok(v)
}

fn view(person_id: Uuid, a: Assessment) -> Compliance {
    Compliance {
        person_id,
        year: a.year,
        complete: a.complete,
        status: match (a.exempt, a.complete) {
            (Some(_), _) => ComplianceStatus::Exempt,
            (None, true) => ComplianceStatus::Complete,
            (None, false) => ComplianceStatus::Incomplete,
        },
        exempt_reason: a.exempt,
        initial_training: None,
        categories: CategoryLines {
            public: line(a.public),
            professional: line(a.professional),
            elective: line(a.elective),
        },
        series: a
            .series
            .into_iter()
            .map(|s| SeriesLine {
                series: s.code,
                required: s.line.required.as_f64(),
                approved: s.line.approved.as_f64(),
                pending: s.line.pending.as_f64(),
                missing: s.line.missing.as_f64(),
                general_knowledge_required: s.general_knowledge_required.as_f64(),
                general_knowledge_approved: s.general_knowledge_approved.as_f64(),
            })
            .collect(),
    }
}

/// One person of the unit's list.
#[derive(Debug, Clone)]
pub struct UnitComplianceItem {
    pub person_name: String,
    /// Missing hours over all categories and series.
    pub missing: f64,
    pub standing: Compliance,
}

/// A page of the unit's persons and their standing.
#[derive(Debug, Clone)]
pub struct UnitCompliancePage {
    pub year: i32,
    pub items: Vec<UnitComplianceItem>,
    /// The last person of this page; pass it as `cursor` for the next.
    pub next_cursor: Option<String>,
}

/// The unit's live list of who is behind and by how much: every person
/// bound to the unit now, optionally only the (in)complete, ordered by
/// person or by most missing. Admins of the unit and hrss; others 404/403.
pub async fn of_unit(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    year: Year,
    complete: Option<bool>,
    sort: UnitComplianceSort,
    page: Page,
) -> Result<UnitCompliancePage, ServiceError> {
    crate::authz::require_scoped(auth, Role::UnitAdmin, unit_id, true, "unit")?;
    if unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("unit"));
    }
    let policy = state.policies.get(&state.db, year).await?;
    // The unit's persons with their standing, ordered and paged in the
    // database: the judgement is the ledger's (`standings`), so a page
    // costs the same however many persons the unit has. A person with no
    // hours in the year has no standing yet: incomplete, and first when
    // sorted by what is missing. A dashboard is a heavy read: the
    // replica's when one serves (`AppState::read_db`); the unit's check
    // above stays on the primary, so a unit just created has its (empty)
    // dashboard at once.
    let db = state.read_db();
    let backend = db.get_database_backend();
    let mut values: Vec<sea_orm::Value> = vec![unit_id.into(), year.value().into()];
    let mut conds = Vec::new();
    // `complete=false` lists who is behind: a year that owes nothing
    // (R-ACC-6, `standings.exempt`) is neither.
    match complete {
        Some(true) => conds.push("s.complete = TRUE".to_string()),
        Some(false) => {
            conds.push("COALESCE(s.complete, FALSE) = FALSE AND s.exempt IS NULL".to_string())
        }
        None => {}
    }
    let missing = "COALESCE(s.missing_tenths, 2147483647)";
    if let Some(after) = page.after {
        match sort {
            UnitComplianceSort::Person => {
                conds.push("p.id > ?".into());
                values.push(after.into());
            }
            UnitComplianceSort::MostMissing => {
                // The cursor's place: its missing hours, then its id.
                let m: i64 = crate::ledger::standing::missing_tenths(db, after, year.value())
                    .await?
                    .unwrap_or(2_147_483_647);
                conds.push(format!("({missing} < ? OR ({missing} = ? AND p.id > ?))"));
                values.push(m.into());
                values.push(m.into());
                values.push(after.into());
            }
        }
    }
    let order = match sort {
        UnitComplianceSort::Person => "p.id".to_string(),
        UnitComplianceSort::MostMissing => format!("{missing} DESC, p.id"),
    };
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT p.id AS id, p.name AS name FROM persons p
         JOIN bindings b ON b.person_id = p.id AND b.unit_id = ? AND b.status = '{}'
         LEFT JOIN standings s ON s.person_id = p.id AND s.year = ?
         {where_} ORDER BY {order} LIMIT {}",
        ce_entity::state::BindingStatus::Approved.as_str(),
        page.fetch()
    );
    let rows = db
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await?;
    let mut persons: Vec<(Uuid, String)> = Vec::with_capacity(rows.len());
    for r in rows {
        persons.push((r.try_get("", "id")?, r.try_get("", "name")?));
    }
    let ids: Vec<Uuid> = persons.iter().map(|(id, _)| *id).collect();
    let mut assessed = standing::assess_many(db, &state.reference, &policy, &ids).await?;
    let rows: Vec<(Uuid, String, Assessment)> = persons
        .into_iter()
        .filter_map(|(id, name)| assessed.remove(&id).map(|a| (id, name, a)))
        .collect();
    let (rows, next_cursor) = page.finish(rows, |(id, _, _)| *id);
    Ok(UnitCompliancePage {
        year: year.value(),
        items: rows
            .into_iter()
            .map(|(id, person_name, a)| UnitComplianceItem {
                person_name,
                missing: Hours::from_tenths(standing::missing_of(&a)).as_f64(),
                standing: view(id, a),
            })
            .collect(),
        next_cursor,
    })
}
