//! Professional series (专业系列) — reference data from the seed, with the
//! family, the public-course platform and the requirement group of each
//! (R-PU-2, R-RC-9, R-REQ-1).

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use ce_entity::professional_series;

use crate::error::ServiceError;

/// A professional series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Stable code used everywhere else (`engineering`, `nursing`, …).
    pub code: String,
    pub name: String,
    /// Family (`education`, `health`, `accounting`, …): what platforms are allowed to push for.
    pub family: String,
    /// Where its persons take public courses (R-RC-9): `provincial` or a sector platform.
    pub public_course_platform: String,
    /// Which annual requirement applies (R-REQ-1): `general`, `accounting`, `archives`.
    pub requirement_group: String,
}

/// All series.
#[derive(Debug, Clone, Default)]
pub struct SeriesList {
    pub items: Vec<Series>,
}

pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<SeriesList, ServiceError> {
    let rows = professional_series::Entity::find()
        .order_by_asc(professional_series::Column::Code)
        .all(conn)
        .await?;
    Ok(SeriesList {
        items: rows
            .into_iter()
            .map(|s| Series {
                code: s.code,
                name: s.name,
                family: s.family,
                public_course_platform: s.public_course_platform,
                requirement_group: s.requirement_group,
            })
            .collect(),
    })
}

/// 422 `series_unknown` unless every code is a professional series.
pub async fn check_known<C: ConnectionTrait>(
    conn: &C,
    field: &str,
    codes: &BTreeSet<String>,
) -> Result<(), ServiceError> {
    let known: BTreeSet<String> = professional_series::Entity::find()
        .select_only()
        .column(professional_series::Column::Code)
        .filter(professional_series::Column::Code.is_in(codes.iter().cloned()))
        .into_tuple::<String>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    match codes.iter().find(|c| !known.contains(*c)) {
        Some(unknown) => Err(ServiceError::invalid_field(
            "series_unknown",
            field,
            format!("{unknown:?} is not a professional series (see GET /api/v1/series)"),
        )),
        None => Ok(()),
    }
}
