//! A person's standing in a year (R-REQ-1..3), live from their approved and
//! pending records: what the seed makes people press "manual recount" for.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use ce_entity::{binding, person, person_series, professional_series, record, unit};

use crate::auth::{AuthUser, Role};
use crate::domain::compliance::{self, Assessment, Fact, Group, Line, Policy, SeriesHeld};
use crate::domain::record::{RecordCategory, RecordStatus};
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use crate::service::pagination::Page;
use crate::service::{conversions, policies};
use crate::state::AppState;

/// Hours of one line (one decimal place).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    #[schema(minimum = 0)]
    pub required: f64,
    /// Approved by the unit (or arrived recognised).
    #[schema(minimum = 0)]
    pub approved: f64,
    /// Waiting for the unit: not counted yet.
    #[schema(minimum = 0)]
    pub pending: f64,
    /// Still to earn: required − approved, never below 0.
    #[schema(minimum = 0)]
    pub missing: f64,
}

/// One series' professional line (R-REQ-3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesLine {
    #[schema(max_length = 64)]
    pub series: String,
    #[schema(minimum = 0)]
    pub required: f64,
    #[schema(minimum = 0)]
    pub approved: f64,
    #[schema(minimum = 0)]
    pub pending: f64,
    /// Still to earn, counting a general-knowledge shortfall too.
    #[schema(minimum = 0)]
    pub missing: f64,
    /// Of the professional hours, how many must be general-knowledge
    /// subjects (R-ACC-1; 0 where the policy asks for none).
    #[schema(minimum = 0)]
    pub general_knowledge_required: f64,
    #[schema(minimum = 0)]
    pub general_knowledge_approved: f64,
}

/// The three categories.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryLines {
    pub public: LineView,
    pub professional: LineView,
    pub elective: LineView,
}

/// A person's standing in a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComplianceView {
    pub person_id: Uuid,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// Every category and series has its approved minimum.
    pub complete: bool,
    pub categories: CategoryLines,
    /// Professional hours per series held that year; empty when none is
    /// declared (then the general minimum applies to all professional hours).
    pub series: Vec<SeriesLine>,
}

fn line(l: Line) -> LineView {
    LineView {
        required: l.required.as_f64(),
        approved: l.approved.as_f64(),
        pending: l.pending.as_f64(),
        missing: l.missing.as_f64(),
    }
}

/// R-REQ-2, R-REQ-3: the person's standing; the person, their unit's
/// admins and hrss may ask, others get 404.
pub async fn of_person(
    state: &AppState,
    auth: &AuthUser,
    person_id: Uuid,
    year: Year,
) -> Result<ComplianceView, ServiceError> {
    crate::service::persons::require_full_access(state, auth, person_id).await?;
    let policy = policies::in_force(&state.db, year).await?;
    let a = assess_one(&state.db, &policy, person_id).await?;
    Ok(view(person_id, a))
}

fn view(person_id: Uuid, a: Assessment) -> ComplianceView {
    ComplianceView {
        person_id,
        year: a.year,
        complete: a.complete,
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

/// What [`assess_many`] reads of a record: person, year, category, series,
/// hours (tenths), status, conversion, general knowledge.
/// One group of a person's records with the same category, series,
/// status, conversion and general-knowledge flag, and their summed hours.
type FactRow = (
    Uuid,
    i32,
    String,
    Option<String>,
    String,
    Option<String>,
    bool,
    i64,
);

/// One person's assessment in the policy's year.
pub async fn assess_one<C: ConnectionTrait>(
    conn: &C,
    policy: &Policy,
    person_id: Uuid,
) -> Result<Assessment, ServiceError> {
    Ok(assess_many(conn, policy, &[person_id])
        .await?
        .remove(&person_id)
        .unwrap_or_else(|| compliance::assess(policy, &[], &[])))
}

/// The assessments of many persons in one year, from three queries (their
/// series, the series' groups, their records) whatever their number.
pub async fn assess_many<C: ConnectionTrait>(
    conn: &C,
    policy: &Policy,
    persons: &[Uuid],
) -> Result<HashMap<Uuid, Assessment>, ServiceError> {
    let mut out = HashMap::new();
    let forms = conversions::accounting_forms(conn).await?;
    for chunk in persons.chunks(500) {
        let held = person_series::Entity::find()
            .filter(person_series::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(person_series::Column::Year.eq(policy.year))
            .all(conn)
            .await?;
        let codes: BTreeSet<String> = held.iter().map(|s| s.series_code.clone()).collect();
        let groups: HashMap<String, Group> = professional_series::Entity::find()
            .filter(professional_series::Column::Code.is_in(codes))
            .all(conn)
            .await?
            .into_iter()
            .map(|s| {
                let g = Group::parse(&s.requirement_group).unwrap_or(Group::General);
                (s.code, g)
            })
            .collect();
        let mut series: HashMap<Uuid, Vec<SeriesHeld>> = HashMap::new();
        for s in held {
            series.entry(s.person_id).or_default().push(SeriesHeld {
                group: groups
                    .get(&s.series_code)
                    .copied()
                    .unwrap_or(Group::General),
                code: s.series_code,
            });
        }
        let mut facts: HashMap<Uuid, Vec<Fact>> = HashMap::new();
        // Summed in the database, grouped by what the calculator tells
        // apart: a handful of rows per person however many records the
        // year holds, so neither the memory nor the transfer of an
        // assessment grows with a person's history (a per-lesson platform
        // sends hundreds a year).
        let rows: Vec<FactRow> = record::Entity::find()
            .select_only()
            .columns([
                record::Column::PersonId,
                record::Column::Year,
                record::Column::Category,
                record::Column::SeriesCode,
                record::Column::Status,
                record::Column::ConversionCode,
                record::Column::GeneralKnowledge,
            ])
            .column_as(Expr::col(record::Column::HoursTenths).sum(), "hours_sum")
            .filter(record::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(record::Column::Year.eq(policy.year))
            .filter(record::Column::Status.is_in([
                RecordStatus::Approved.as_str(),
                RecordStatus::PendingUnitReview.as_str(),
            ]))
            .group_by(record::Column::PersonId)
            .group_by(record::Column::Year)
            .group_by(record::Column::Category)
            .group_by(record::Column::SeriesCode)
            .group_by(record::Column::Status)
            .group_by(record::Column::ConversionCode)
            .group_by(record::Column::GeneralKnowledge)
            .into_tuple()
            .all(conn)
            .await?;
        for (person_id, year, category, series_code, status, conversion, gk, hours_tenths) in rows {
            let (Some(category), Some(status), Ok(tenths)) = (
                RecordCategory::parse(&category),
                RecordStatus::parse(&status),
                u32::try_from(hours_tenths),
            ) else {
                continue;
            };
            facts.entry(person_id).or_default().push(Fact {
                year,
                category,
                series: series_code,
                hours: Hours::from_tenths(tenths),
                status,
                conversion: conversion
                    .as_deref()
                    .and_then(|c| conversions::kind(c, &forms)),
                general_knowledge: gk,
            });
        }
        for id in chunk {
            let mut held = series.remove(id).unwrap_or_default();
            held.sort_by(|a, b| a.code.cmp(&b.code));
            let f = facts.remove(id).unwrap_or_default();
            out.insert(*id, compliance::assess(policy, &held, &f));
        }
    }
    Ok(out)
}

/// How the unit's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitComplianceSort {
    /// By person id (registration order).
    #[default]
    Person,
    /// Most missing hours first (ties by person id).
    MostMissing,
}

/// One person of the unit's list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitComplianceItem {
    #[schema(max_length = 50)]
    pub person_name: String,
    /// Missing hours over all categories and series.
    #[schema(minimum = 0)]
    pub missing: f64,
    pub standing: ComplianceView,
}

/// A page of the unit's persons and their standing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitCompliancePage {
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub items: Vec<UnitComplianceItem>,
    /// The last person of this page; pass it as `cursor` for the next.
    pub next_cursor: Option<String>,
}

fn total_missing(a: &Assessment) -> u32 {
    a.public
        .missing
        .tenths()
        .saturating_add(a.professional.missing.tenths())
        .saturating_add(a.elective.missing.tenths())
}

/// The unit's live list of who is behind and by how much: every person
/// bound to the unit now, optionally only the (in)complete, ordered by
/// person or by most missing. Admins of the unit and hrss; others 404/403.
pub async fn of_unit(
    state: &AppState,
    auth: &AuthUser,
    unit_id: Uuid,
    year: Year,
    complete: Option<bool>,
    sort: UnitComplianceSort,
    page: Page,
) -> Result<UnitCompliancePage, ServiceError> {
    crate::service::access::require_scoped(auth, Role::UnitAdmin, unit_id, true, "unit")?;
    if unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("unit"));
    }
    let policy = policies::in_force(&state.db, year).await?;
    let persons: Vec<(Uuid, String)> = person::Entity::find()
        .filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(binding::Column::PersonId)
                    .from(binding::Entity)
                    .and_where(binding::Column::UnitId.eq(unit_id))
                    .and_where(binding::Column::Status.eq("approved"))
                    .to_owned(),
            ),
        )
        .order_by_asc(person::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let ids: Vec<Uuid> = persons.iter().map(|(id, _)| *id).collect();
    let mut assessed = assess_many(&state.db, &policy, &ids).await?;
    let mut rows: Vec<(Uuid, String, Assessment)> = persons
        .into_iter()
        .filter_map(|(id, name)| assessed.remove(&id).map(|a| (id, name, a)))
        .filter(|(_, _, a)| complete.is_none_or(|c| a.complete == c))
        .collect();
    if sort == UnitComplianceSort::MostMissing {
        rows.sort_by(|x, y| {
            total_missing(&y.2)
                .cmp(&total_missing(&x.2))
                .then(x.0.cmp(&y.0))
        });
    }
    let start = match page.after {
        Some(after) => rows
            .iter()
            .position(|(id, _, _)| *id == after)
            .map(|i| i + 1)
            .unwrap_or(rows.len()),
        None => 0,
    };
    let rows: Vec<_> = rows
        .into_iter()
        .skip(start)
        .take(page.fetch() as usize)
        .collect();
    let (rows, next_cursor) = page.finish(rows, |(id, _, _)| *id);
    Ok(UnitCompliancePage {
        year: year.value(),
        items: rows
            .into_iter()
            .map(|(id, person_name, a)| UnitComplianceItem {
                person_name,
                missing: Hours::from_tenths(total_missing(&a)).as_f64(),
                standing: view(id, a),
            })
            .collect(),
        next_cursor,
    })
}
