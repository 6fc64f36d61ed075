//! A person's standing in a year (R-REQ-1..3), live from their approved and
//! pending records: what the seed makes people press "manual recount" for.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use ce_entity::{person, person_series, professional_series, record};

use crate::auth::AuthUser;
use crate::domain::compliance::{self, Fact, Group, Line, SeriesHeld};
use crate::domain::record::{RecordCategory, RecordStatus};
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use crate::service::policies;
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
    #[schema(minimum = 0)]
    pub missing: f64,
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
    crate::service::access::require_any(
        auth,
        &[
            crate::auth::Role::Person,
            crate::auth::Role::UnitAdmin,
            crate::auth::Role::Hrss,
        ],
    )?;
    let p = person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    if crate::service::persons::access(state, auth, &p).await? != Some(true) {
        return Err(ServiceError::NotFound("person"));
    }
    let policy = policies::in_force(&state.db, year).await?;
    let held = person_series::Entity::find()
        .filter(person_series::Column::PersonId.eq(person_id))
        .filter(person_series::Column::Year.eq(year.value()))
        .all(&state.db)
        .await?;
    let groups: HashMap<String, String> = professional_series::Entity::find()
        .filter(professional_series::Column::Code.is_in(held.iter().map(|s| s.series_code.clone())))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.code, s.requirement_group))
        .collect();
    let mut series: Vec<SeriesHeld> = held
        .into_iter()
        .map(|s| SeriesHeld {
            group: groups
                .get(&s.series_code)
                .and_then(|g| Group::parse(g))
                .unwrap_or(Group::General),
            code: s.series_code,
        })
        .collect();
    series.sort_by(|a, b| a.code.cmp(&b.code));
    let facts: Vec<Fact> = record::Entity::find()
        .filter(record::Column::PersonId.eq(person_id))
        .filter(record::Column::Year.eq(year.value()))
        .filter(record::Column::Status.is_in([
            RecordStatus::Approved.as_str(),
            RecordStatus::PendingUnitReview.as_str(),
        ]))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(Fact {
                year: r.year,
                category: RecordCategory::parse(&r.category)?,
                series: r.series_code,
                hours: Hours::from_tenths(u32::try_from(r.hours_tenths).ok()?),
                status: RecordStatus::parse(&r.status)?,
            })
        })
        .collect();
    let a = compliance::assess(&policy, &series, &facts);
    Ok(ComplianceView {
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
            .map(|(series, l)| SeriesLine {
                series,
                required: l.required.as_f64(),
                approved: l.approved.as_f64(),
                pending: l.pending.as_f64(),
                missing: l.missing.as_f64(),
            })
            .collect(),
    })
}
