//! The ledger: one maintained truth of each person's year (年度学时汇总,
//! R-REQ-2), changed in the transaction of every change that moves hours.
//!
//! Every writer of records tells its [`Ledger`] what a record was before
//! and after; [`Ledger::apply`], before the transaction commits,
//!
//! 1. locks the standings of the person-years touched, in key order
//!    (`INSERT … ON CONFLICT DO UPDATE`), so two transactions changing the
//!    same person's year take turns and never wait on each other in a
//!    circle — the lock order is records, then standings, then lines, then
//!    certificates;
//! 2. adds the records' contributions to `standing_lines` by atomic
//!    increments (`hours = hours + excluded.hours`), never read-modify-write;
//! 3. judges each touched year with the compliance calculator and stores
//!    the judgement in `standings` (complete, missing, approved hours);
//! 4. lets the certificates follow (R-CE-1, `certificates::follow`).
//!
//! Compliance, the unit dashboard, statistics and certificate issue read
//! standings, so the completion rule exists once: in `domain::compliance`.
//! [`rebuild`] recomputes every standing from the records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use ce_entity::{maintenance_task, person, person_series, record, standing, standing_line};

use crate::domain::Year;
use crate::domain::compliance::{self, Assessment, Policy};
use crate::domain::record::{RecordCategory, RecordStatus};
use crate::domain::standing::{self as ledger, Deltas, LineKey, RecordHours};
use crate::error::ServiceError;
use crate::ports::ledger::{Applied, Follower, Judged, PersonYear};
use crate::reference::Reference;

/// Rows per multi-row statement (10 columns each: well under the bound
/// parameters SQLite and PostgreSQL take).
const CHUNK: usize = 500;

/// What the ledger reads of a stored record; a stored category or status
/// the code does not know is an error, never a silent default.
pub fn hours_of(m: &record::Model) -> Result<RecordHours<'_>, ServiceError> {
    let category = RecordCategory::parse(&m.category).ok_or_else(|| {
        anyhow::anyhow!("record {} has an unknown category {:?}", m.id, m.category)
    })?;
    let status = m.status;
    Ok(RecordHours {
        person_id: m.person_id,
        year: m.year,
        category,
        series: m.series_code.as_deref(),
        status,
        hours_tenths: i64::from(m.hours_tenths),
        approved_tenths: i64::from(m.approved_tenths),
        conversion: m.conversion_code.as_deref(),
        general_knowledge: m.general_knowledge,
        topic: m.topic.as_deref(),
    })
}

/// The changes of one transaction.
#[derive(Debug, Default)]
pub struct Ledger {
    deltas: Deltas,
    rejudge: BTreeSet<(Uuid, i32)>,
    cause: Option<&'static str>,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// A record changed from `before` to `after` (absent: created, or gone).
    pub fn record(
        &mut self,
        before: Option<&record::Model>,
        after: Option<&record::Model>,
    ) -> Result<(), ServiceError> {
        let before = before.map(hours_of).transpose()?;
        let after = after.map(hours_of).transpose()?;
        self.deltas.replace(before.as_ref(), after.as_ref());
        Ok(())
    }

    /// Says why the changes are made, for the certificates they revoke
    /// (`record_untruthful`, R-RC-12).
    pub fn because(&mut self, cause: &'static str) {
        self.cause = Some(cause);
    }

    /// Judge the person's year again though no hours moved (the series held
    /// changed).
    pub fn rejudge(&mut self, person_id: Uuid, year: i32) {
        self.rejudge.insert((person_id, year));
    }

    /// Applies the changes inside `txn` and lets `follower` (the
    /// certificates) follow; see the module's documentation.
    pub async fn apply(
        self,
        txn: &DatabaseTransaction,
        reference: &Reference,
        follower: &dyn Follower,
    ) -> Result<Applied, ServiceError> {
        self.apply_with(txn, reference, Some(follower)).await
    }

    /// The same, certificates left alone when `follower` is `None` (a new
    /// policy re-judges standings; certificates issued stand, R-REQ-4).
    pub async fn apply_with(
        self,
        txn: &DatabaseTransaction,
        reference: &Reference,
        follower: Option<&dyn Follower>,
    ) -> Result<Applied, ServiceError> {
        let mut touched = self.deltas.person_years();
        touched.extend(self.rejudge.iter().copied());
        if touched.is_empty() {
            return Ok(Applied::default());
        }
        let was_complete = lock(txn, &touched).await?;
        add_lines(txn, &self.deltas).await?;
        let mut by_year: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
        for (p, y) in &touched {
            by_year.entry(*y).or_default().push(*p);
        }
        let mut applied = Applied::default();
        for (year, persons) in by_year {
            let policy = match Year::new(year) {
                Ok(y) => match crate::reference::in_force(txn, y).await {
                    Ok(p) => Some(p),
                    Err(ServiceError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                Err(_) => None,
            };
            for chunk in persons.chunks(CHUNK) {
                let years = read_years(txn, reference, year, chunk).await?;
                let judged: Vec<Judged> = years
                    .into_iter()
                    .map(|y| {
                        let assessment = policy
                            .as_ref()
                            .map(|p| compliance::assess(p, &y.series, &y.facts));
                        Judged {
                            was_complete: was_complete
                                .get(&(y.person_id, year))
                                .copied()
                                .unwrap_or(false),
                            assessment,
                            year: y,
                            cause: self.cause,
                        }
                    })
                    .collect();
                store(txn, year, &judged).await?;
                if let Some(follower) = follower {
                    let more = follower.follow(txn, policy.as_ref(), &judged).await?;
                    applied.issued.extend(more.issued);
                    applied.superseded.extend(more.superseded);
                    applied.revoked.extend(more.revoked);
                }
            }
        }
        Ok(applied)
    }
}

/// Takes the row locks of the standings in key order (creating the rows
/// that do not exist yet) and answers whether each year was complete.
async fn lock(
    txn: &DatabaseTransaction,
    touched: &BTreeSet<(Uuid, i32)>,
) -> Result<HashMap<(Uuid, i32), bool>, ServiceError> {
    let now = Utc::now();
    let mut out = HashMap::with_capacity(touched.len());
    let all: Vec<&(Uuid, i32)> = touched.iter().collect();
    for chunk in all.chunks(CHUNK) {
        let rows = chunk.iter().map(|(p, y)| standing::ActiveModel {
            person_id: Set(*p),
            year: Set(*y),
            complete: Set(false),
            exempt: Set(None),
            public_tenths: Set(0),
            professional_tenths: Set(0),
            elective_tenths: Set(0),
            pending_tenths: Set(0),
            missing_tenths: Set(0),
            updated_at: Set(now),
            version: Set(1),
        });
        let locked = standing::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([standing::Column::PersonId, standing::Column::Year])
                    .value(
                        standing::Column::Version,
                        Expr::col((standing::Entity, standing::Column::Version)).add(1),
                    )
                    .to_owned(),
            )
            .exec_with_returning(txn)
            .await?;
        for s in locked {
            out.insert((s.person_id, s.year), s.complete);
        }
    }
    Ok(out)
}

/// The key columns of a line, in order.
const LINE_KEY: [standing_line::Column; 8] = [
    standing_line::Column::PersonId,
    standing_line::Column::Year,
    standing_line::Column::Category,
    standing_line::Column::SeriesCode,
    standing_line::Column::Counted,
    standing_line::Column::ConversionCode,
    standing_line::Column::GeneralKnowledge,
    standing_line::Column::Topic,
];

fn line_row(k: &LineKey, hours: i64, records: i64) -> standing_line::ActiveModel {
    standing_line::ActiveModel {
        person_id: Set(k.person_id),
        year: Set(k.year),
        category: Set(k.category.as_str().into()),
        series_code: Set(k.series.clone()),
        counted: Set(k.counted),
        conversion_code: Set(k.conversion.clone()),
        general_knowledge: Set(k.general_knowledge),
        topic: Set(k.topic.clone()),
        hours_tenths: Set(hours),
        records: Set(records),
    }
}

/// Adds the deltas to the lines: atomic increments, in key order.
async fn add_lines(txn: &DatabaseTransaction, deltas: &Deltas) -> Result<(), ServiceError> {
    let changes: Vec<(&LineKey, i64, i64)> = deltas.changes().collect();
    for chunk in changes.chunks(CHUNK) {
        let rows = chunk.iter().map(|(k, h, n)| line_row(k, *h, *n));
        standing_line::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns(LINE_KEY)
                    .values([
                        (
                            standing_line::Column::HoursTenths,
                            Expr::cust("standing_lines.hours_tenths + excluded.hours_tenths"),
                        ),
                        (
                            standing_line::Column::Records,
                            Expr::cust("standing_lines.records + excluded.records"),
                        ),
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn line_of(m: standing_line::Model) -> Result<ledger::Line, ServiceError> {
    let category = RecordCategory::parse(&m.category).ok_or_else(|| {
        anyhow::anyhow!("a standing line has an unknown category {:?}", m.category)
    })?;
    let counted = m.counted;
    Ok(ledger::Line {
        key: LineKey {
            person_id: m.person_id,
            year: m.year,
            category,
            series: m.series_code,
            counted,
            conversion: m.conversion_code,
            general_knowledge: m.general_knowledge,
            topic: m.topic,
        },
        hours_tenths: m.hours_tenths,
    })
}

/// The standing lines of `persons` in `year` that hold hours: one query.
async fn read_lines<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    persons: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ledger::Line>>, ServiceError> {
    let mut lines: HashMap<Uuid, Vec<ledger::Line>> = HashMap::new();
    for m in standing_line::Entity::find()
        .filter(standing_line::Column::PersonId.is_in(persons.iter().copied()))
        .filter(standing_line::Column::Year.eq(year))
        .filter(standing_line::Column::HoursTenths.ne(0))
        .all(conn)
        .await?
    {
        let l = line_of(m)?;
        lines.entry(l.key.person_id).or_default().push(l);
    }
    Ok(lines)
}

/// The series a person holds in `year` with their groups and what each
/// membership's terms say (R-ACC-6, R-ARC-1).
fn held_of(
    reference: &Reference,
    year: i32,
    codes: Vec<String>,
    terms: &HashMap<String, compliance::Terms>,
) -> Vec<compliance::SeriesHeld> {
    let mut held = reference.held(codes);
    for s in &mut held {
        if let Some(t) = terms.get(&s.code) {
            s.terms = *t;
            // R-ACC-6: the terms say whether the year is owed.
            if s.group == compliance::Group::Accounting {
                s.exempt = compliance::accounting_exemption(year, t.started_on, t.studying_until);
            }
        }
    }
    held
}

/// One person's year as a compliance read needs it, in two queries:
/// first whether the person exists, the unit they are bound to now (who
/// may read it) and the series they hold; then — only when `may_read`
/// says so of that unit — their lines. `None` when there is no such
/// person, `Some(None)` when the caller may not read it.
pub async fn read_person_year<C: ConnectionTrait>(
    conn: &C,
    reference: &Reference,
    year: i32,
    person_id: Uuid,
    may_read: impl FnOnce(Option<Uuid>) -> bool,
) -> Result<Option<Option<PersonYear>>, ServiceError> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT p.id AS person_id,
           (SELECT b.unit_id FROM bindings b
             WHERE b.person_id = p.id AND b.status = '{}' LIMIT 1) AS unit_id,
           ps.series_code AS series_code, t.started_on AS started_on,
           t.studying_until AS studying_until, t.has_degree AS has_degree
         FROM persons p
         LEFT JOIN person_series ps ON ps.person_id = p.id AND ps.year = ?
         LEFT JOIN person_series_terms t
           ON t.person_id = ps.person_id AND t.series_code = ps.series_code
         WHERE p.id = ?",
        ce_entity::state::BindingStatus::Approved.as_str()
    );
    let rows = conn
        .query_all_raw(crate::db::statement(
            backend,
            &sql,
            vec![year.into(), person_id.into()],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut unit: Option<Uuid> = None;
    let mut codes = Vec::new();
    let mut terms = HashMap::new();
    for r in rows {
        unit = r.try_get("", "unit_id")?;
        let Some(code): Option<String> = r.try_get("", "series_code")? else {
            continue;
        };
        let t = compliance::Terms {
            started_on: r.try_get("", "started_on")?,
            studying_until: r.try_get("", "studying_until")?,
            has_degree: r.try_get("", "has_degree")?,
        };
        if t != compliance::Terms::default() {
            terms.insert(code.clone(), t);
        }
        codes.push(code);
    }
    if !may_read(unit) {
        return Ok(Some(None));
    }
    let mut lines = read_lines(conn, year, &[person_id]).await?;
    Ok(Some(Some(PersonYear {
        person_id,
        year,
        series: held_of(reference, year, codes, &terms),
        facts: reference.facts(&lines.remove(&person_id).unwrap_or_default()),
    })))
}

/// The lines and series of `persons` in `year`: two queries.
pub async fn read_years<C: ConnectionTrait>(
    conn: &C,
    reference: &Reference,
    year: i32,
    persons: &[Uuid],
) -> Result<Vec<PersonYear>, ServiceError> {
    let mut lines = read_lines(conn, year, persons).await?;
    // The series held, with what each membership says (R-ACC-6, R-ARC-1):
    // one query.
    let mut series: HashMap<Uuid, Vec<String>> = HashMap::new();
    let mut terms: HashMap<Uuid, HashMap<String, compliance::Terms>> = HashMap::new();
    {
        use ce_entity::person_series_term as pst;
        use sea_orm::sea_query::{JoinType, Query};
        let ps = person_series::Entity;
        let stmt = Query::select()
            .column((ps, person_series::Column::PersonId))
            .column((ps, person_series::Column::SeriesCode))
            .column((pst::Entity, pst::Column::StartedOn))
            .column((pst::Entity, pst::Column::StudyingUntil))
            .column((pst::Entity, pst::Column::HasDegree))
            .from(ps)
            .join(
                JoinType::LeftJoin,
                pst::Entity,
                Expr::col((pst::Entity, pst::Column::PersonId))
                    .equals((ps, person_series::Column::PersonId))
                    .and(
                        Expr::col((pst::Entity, pst::Column::SeriesCode))
                            .equals((ps, person_series::Column::SeriesCode)),
                    ),
            )
            .and_where(
                Expr::col((ps, person_series::Column::PersonId)).is_in(persons.iter().copied()),
            )
            .and_where(Expr::col((ps, person_series::Column::Year)).eq(year))
            .to_owned();
        let stmt = conn.get_database_backend().build(&stmt);
        for r in conn.query_all_raw(stmt).await? {
            let person: Uuid = r.try_get("", "person_id")?;
            let code: String = r.try_get("", "series_code")?;
            let t = compliance::Terms {
                started_on: r.try_get("", "started_on")?,
                studying_until: r.try_get("", "studying_until")?,
                has_degree: r.try_get("", "has_degree")?,
            };
            if t != compliance::Terms::default() {
                terms.entry(person).or_default().insert(code.clone(), t);
            }
            series.entry(person).or_default().push(code);
        }
    }
    Ok(persons
        .iter()
        .map(|p| {
            let none = HashMap::new();
            let held = held_of(
                reference,
                year,
                series.remove(p).unwrap_or_default(),
                terms.get(p).unwrap_or(&none),
            );
            PersonYear {
                person_id: *p,
                year,
                series: held,
                facts: reference.facts(&lines.remove(p).unwrap_or_default()),
            }
        })
        .collect())
}

/// Sum of the facts' hours of one status and category, in tenths.
fn tenths_of(facts: &[compliance::Fact], status: RecordStatus, c: Option<RecordCategory>) -> i64 {
    facts
        .iter()
        .filter(|f| f.status == status && c.is_none_or(|c| f.category == c))
        .map(|f| i64::from(f.hours.tenths()))
        .sum()
}

/// Writes the judgements into `standings` (their rows are locked): one
/// multi-row upsert per chunk.
async fn store(
    txn: &DatabaseTransaction,
    year: i32,
    judged: &[Judged],
) -> Result<(), ServiceError> {
    let now = Utc::now();
    for chunk in judged.chunks(CHUNK) {
        let rows = chunk.iter().map(|j| {
            let f = &j.year.facts;
            let (complete, missing, exempt) = match &j.assessment {
                Some(a) => (
                    a.complete,
                    i64::from(missing_of(a)),
                    a.exempt.map(|e| e.as_str().to_string()),
                ),
                None => (false, 0, None),
            };
            let approved = |c| tenths_of(f, RecordStatus::Approved, Some(c));
            standing::ActiveModel {
                person_id: Set(j.year.person_id),
                year: Set(year),
                complete: Set(complete),
                exempt: Set(exempt),
                public_tenths: Set(approved(RecordCategory::Public)),
                professional_tenths: Set(approved(RecordCategory::Professional)),
                elective_tenths: Set(approved(RecordCategory::Elective)),
                pending_tenths: Set(tenths_of(f, RecordStatus::PendingUnitReview, None)),
                missing_tenths: Set(missing),
                updated_at: Set(now),
                version: Set(1),
            }
        });
        standing::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([standing::Column::PersonId, standing::Column::Year])
                    .update_columns([
                        standing::Column::Complete,
                        standing::Column::Exempt,
                        standing::Column::PublicTenths,
                        standing::Column::ProfessionalTenths,
                        standing::Column::ElectiveTenths,
                        standing::Column::PendingTenths,
                        standing::Column::MissingTenths,
                        standing::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// What a year still misses over all categories and series, in tenths.
pub fn missing_of(a: &Assessment) -> u32 {
    a.public
        .missing
        .tenths()
        .saturating_add(a.professional.missing.tenths())
        .saturating_add(a.elective.missing.tenths())
}

/// One person's year as the ledger holds it: lines and series (two
/// queries), judged under `policy`.
pub async fn assess<C: ConnectionTrait>(
    conn: &C,
    reference: &Reference,
    policy: &Policy,
    person_id: Uuid,
) -> Result<(PersonYear, Assessment), ServiceError> {
    let y = read_years(conn, reference, policy.year, &[person_id])
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no year read for {person_id}"))?;
    let a = compliance::assess(policy, &y.series, &y.facts);
    Ok((y, a))
}

/// Many persons' years under one policy, in chunks of two queries.
pub async fn assess_many<C: ConnectionTrait>(
    conn: &C,
    reference: &Reference,
    policy: &Policy,
    persons: &[Uuid],
) -> Result<HashMap<Uuid, Assessment>, ServiceError> {
    let mut out = HashMap::with_capacity(persons.len());
    for chunk in persons.chunks(CHUNK) {
        for y in read_years(conn, reference, policy.year, chunk).await? {
            out.insert(y.person_id, compliance::assess(policy, &y.series, &y.facts));
        }
    }
    Ok(out)
}

/// What the person's year misses as the ledger last judged it, in tenths.
pub async fn missing_tenths<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    year: i32,
) -> Result<Option<i64>, ServiceError> {
    Ok(standing::Entity::find_by_id((person_id, year))
        .one(conn)
        .await?
        .map(|s| s.missing_tenths))
}

/// The task a migration leaves for the first start after it.
pub const REBUILD_TASK: &str = "rebuild_standings";

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub records: u64,
    pub lines: u64,
    pub standings: u64,
}

/// Persons per page of the rebuild.
const REBUILD_PERSONS: u64 = 200;

/// Recomputes every standing from the records, in one transaction that
/// keeps other writers out; certificates are left as they are. Reads the
/// persons a page at a time, so memory follows the page, not the table.
pub async fn rebuild(db: &DatabaseConnection) -> Result<Rebuilt, ServiceError> {
    let reference = Reference::load(db).await?;
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE standings, standing_lines IN EXCLUSIVE MODE")
            .await?;
    }
    standing_line::Entity::delete_many().exec(&txn).await?;
    standing::Entity::delete_many().exec(&txn).await?;
    let mut done = Rebuilt::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .order_by_asc(person::Column::Id)
            .limit(REBUILD_PERSONS);
        if let Some(a) = after {
            q = q.filter(person::Column::Id.gt(a));
        }
        let page: Vec<Uuid> = q.into_tuple().all(&txn).await?;
        let Some(last) = page.last().copied() else {
            break;
        };
        after = Some(last);
        let mut deltas = Deltas::default();
        let records = record::Entity::find()
            .filter(record::Column::PersonId.is_in(page.iter().copied()))
            .all(&txn)
            .await?;
        done.records += records.len() as u64;
        for r in &records {
            deltas.replace(None, Some(&hours_of(r)?));
        }
        drop(records);
        let mut touched = deltas.person_years();
        // A year that owes nothing may hold no hours: its standing says so
        // all the same (R-ACC-6), as a change of the terms leaves it.
        touched.extend(years_with_terms(&txn, &page).await?);
        done.lines += deltas.changes().count() as u64;
        add_lines(&txn, &deltas).await?;
        lock(&txn, &touched).await?;
        done.standings += touched.len() as u64;
        let mut by_year: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
        for (p, y) in touched {
            by_year.entry(y).or_default().push(p);
        }
        for (year, persons) in by_year {
            let policy = match Year::new(year) {
                Ok(y) => crate::reference::in_force(&txn, y).await.ok(),
                Err(_) => None,
            };
            let judged: Vec<Judged> = read_years(&txn, &reference, year, &persons)
                .await?
                .into_iter()
                .map(|y| Judged {
                    was_complete: false,
                    assessment: policy
                        .as_ref()
                        .map(|p| compliance::assess(p, &y.series, &y.facts)),
                    year: y,
                    cause: None,
                })
                .collect();
            store(&txn, year, &judged).await?;
        }
    }
    maintenance_task::Entity::delete_by_id(REBUILD_TASK.to_string())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done)
}

/// The years in which `persons` hold a series they have terms for
/// (R-ACC-6, R-ARC-1): one query.
async fn years_with_terms<C: ConnectionTrait>(
    conn: &C,
    persons: &[Uuid],
) -> Result<Vec<(Uuid, i32)>, ServiceError> {
    use ce_entity::person_series_term as pst;
    use sea_orm::sea_query::{JoinType, Query};
    let ps = person_series::Entity;
    let stmt = Query::select()
        .distinct()
        .column((ps, person_series::Column::PersonId))
        .column((ps, person_series::Column::Year))
        .from(ps)
        .join(
            JoinType::InnerJoin,
            pst::Entity,
            Expr::col((pst::Entity, pst::Column::PersonId))
                .equals((ps, person_series::Column::PersonId))
                .and(
                    Expr::col((pst::Entity, pst::Column::SeriesCode))
                        .equals((ps, person_series::Column::SeriesCode)),
                ),
        )
        .and_where(Expr::col((ps, person_series::Column::PersonId)).is_in(persons.iter().copied()))
        .to_owned();
    let stmt = conn.get_database_backend().build(&stmt);
    let mut out = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        out.push((r.try_get("", "person_id")?, r.try_get("", "year")?));
    }
    Ok(out)
}

/// Rebuilds the standings when a migration asked for it.
pub async fn rebuild_if_asked(db: &DatabaseConnection) -> Result<Option<Rebuilt>, ServiceError> {
    let asked = maintenance_task::Entity::find_by_id(REBUILD_TASK.to_string())
        .one(db)
        .await?
        .is_some();
    if !asked {
        return Ok(None);
    }
    rebuild(db).await.map(Some)
}

/// The latest year any standing is kept for (the current year when none).
pub async fn last_year<C: ConnectionTrait>(conn: &C) -> Result<i32, ServiceError> {
    let latest: Option<Option<i32>> = standing::Entity::find()
        .select_only()
        .column_as(standing::Column::Year.max(), "y")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(latest
        .flatten()
        .unwrap_or_else(|| Year::current_in_shanghai(Utc::now())))
}

/// Re-judges every standing of `years` (a new policy), certificates left
/// alone (R-REQ-4); in pages, inside `txn`.
pub async fn rejudge_years(
    txn: &DatabaseTransaction,
    reference: &Reference,
    years: std::ops::RangeInclusive<i32>,
) -> Result<u64, ServiceError> {
    let mut n = 0;
    for year in years {
        let mut after: Option<Uuid> = None;
        loop {
            let mut q = standing::Entity::find()
                .select_only()
                .column(standing::Column::PersonId)
                .filter(standing::Column::Year.eq(year))
                .order_by_asc(standing::Column::PersonId)
                .limit(CHUNK as u64);
            if let Some(a) = after {
                q = q.filter(standing::Column::PersonId.gt(a));
            }
            let page: Vec<Uuid> = q.into_tuple().all(txn).await?;
            let Some(last) = page.last().copied() else {
                break;
            };
            after = Some(last);
            let mut ledger = Ledger::new();
            for p in &page {
                ledger.rejudge(*p, year);
            }
            n += page.len() as u64;
            ledger.apply_with(txn, reference, None).await?;
        }
    }
    Ok(n)
}
