//! The professional-subject catalogue (专业科目学习指南, R-CP-2): per year
//! and series, the courses the provincial authority of that series
//! publishes. A course
//! outside the catalogue or an approved plan counts at most as elective.

use crate::audit::{self, Change};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{authority, catalogue_course};

use crate::auth::{Caller, Role};
use crate::authz::orgs;
use crate::db::unique;
use crate::domain::authority::AuthorityLevel;
use crate::domain::{Hours, Year};
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::authorities::approved_for_series;
use crate::state::AppState;

/// A course of the catalogue.
#[derive(Debug, Clone)]
pub struct Course {
    pub id: Uuid,
    pub year: i32,
    /// Series code.
    pub series: String,
    pub name: String,
    /// Always `professional`: the catalogue lists professional subjects.
    pub category: String,
    /// Suggested hours.
    pub hours: Option<f64>,
    /// Level of the publishing authority.
    pub level: AuthorityLevel,
    pub authority_id: Uuid,
    pub created_at: chrono::DateTime<Utc>,
}

/// A page of courses.
#[derive(Debug, Clone)]
pub struct CoursePage {
    pub items: Vec<Course>,
    pub next_cursor: Option<String>,
}

/// A course to publish, parsed.
#[derive(Debug)]
pub struct NewCourse {
    pub series: String,
    pub name: String,
    pub hours: Option<Hours>,
}

fn view(m: catalogue_course::Model) -> Course {
    Course {
        id: m.id,
        year: m.year,
        series: m.series_code,
        name: m.name,
        category: "professional".into(),
        hours: m
            .hours_tenths
            .and_then(|t| u32::try_from(t).ok())
            .map(|t| Hours::from_tenths(t).as_f64()),
        level: AuthorityLevel::parse(&m.level).unwrap_or(AuthorityLevel::Province),
        authority_id: m.authority_id,
        created_at: m.created_at,
    }
}

/// R-CP-2: whether the year's catalogue of the series lists the course.
pub async fn lists<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    series: &str,
    name: &str,
) -> Result<bool, ServiceError> {
    Ok(catalogue_course::Entity::find()
        .filter(catalogue_course::Column::Year.eq(year))
        .filter(catalogue_course::Column::SeriesCode.eq(series))
        .filter(catalogue_course::Column::Name.eq(name))
        .one(conn)
        .await?
        .is_some())
}

/// The year's catalogue, optionally for one series; any signed-in caller.
pub async fn list(
    state: &AppState,
    year: Year,
    series: Option<&str>,
    page: Page,
) -> Result<CoursePage, ServiceError> {
    let mut q =
        catalogue_course::Entity::find().filter(catalogue_course::Column::Year.eq(year.value()));
    if let Some(s) = series {
        q = q.filter(catalogue_course::Column::SeriesCode.eq(s));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, catalogue_course::Column::Id, false, |r| r.id)
        .await?;
    Ok(CoursePage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// R-CP-2: the provincial authority of the series publishes a course
/// (每年度专业科目及学习指南，由省行业主管部门于当年第一季度发布). A city or
/// district authority of the series, or a provincial authority of other
/// series, is refused with 403 — the catalogue is public, so refusing
/// reveals nothing a 404 would hide: `provincial_authority_only` when none
/// of the caller's authorities of the series is provincial,
/// `series_not_supervised` when none supervises it.
pub async fn publish(
    state: &AppState,
    auth: &Caller,
    year: Year,
    new: NewCourse,
) -> Result<Course, ServiceError> {
    crate::authz::require_role(
        auth,
        Role::Authority,
        "the catalogue is published by authorities",
    )?;
    crate::reference::series::check_known(&state.db, "series", &[new.series.clone()].into())
        .await?;
    let mut publisher = None;
    let mut of_series = false;
    for id in orgs(auth, Role::Authority) {
        if approved_for_series(&state.db, id, &new.series).await? {
            of_series = true;
            let a = authority::Entity::find_by_id(id).one(&state.db).await?;
            if a.as_ref()
                .is_some_and(|a| a.level == AuthorityLevel::Province.as_str())
            {
                publisher = a;
                break;
            }
        }
    }
    let Some(publisher) = publisher else {
        return Err(if of_series {
            ServiceError::forbidden(
                "provincial_authority_only",
                format!(
                    "the catalogue of the series {:?} is published by its provincial authority \
                     (省行业主管部门), not a city or district one",
                    new.series
                ),
            )
        } else {
            ServiceError::forbidden(
                "series_not_supervised",
                format!(
                    "none of the caller's authorities supervises the series {:?}",
                    new.series
                ),
            )
        });
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let m = catalogue_course::ActiveModel {
        id: Set(Uuid::now_v7()),
        year: Set(year.value()),
        series_code: Set(new.series),
        name: Set(new.name),
        hours_tenths: Set(new.hours.and_then(|h| i32::try_from(h.tenths()).ok())),
        level: Set(publisher.level),
        authority_id: Set(publisher.id),
        created_by: Set(auth.account_id()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .on_unique(&[(&unique::CATALOGUE_COURSE, || {
        ServiceError::taken(
            "name",
            "course_exists",
            "the catalogue of this year and series already lists a course of this name",
        )
    })])?;
    audit::record(
        &txn,
        Change::new("catalogue_course", m.id, "published").after(json!({
            "year": m.year,
            "series": m.series_code,
            "name": m.name,
            "hours_tenths": m.hours_tenths,
            "authority_id": m.authority_id,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}
