//! Industry authorities (R-AU-1, R-AU-2): applications province → city →
//! district, each approved one level up (hrss for a province), one at a
//! time or in batch. Approval gives the applicant the `authority` grant.

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use ce_entity::{authority, authority_series};

use crate::auth::{Caller, Role};
use crate::authz::{holds, require_any};
use crate::domain::authority::{AuthorityLevel, Region};
use crate::domain::review::{Decision, ReviewEvent, ReviewStatus, ReviewTransitions};
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::parties::accounts::insert_grant;
use crate::parties::views::{Authority, AuthorityDetail, AuthorityPage};
use crate::review::{self as reviews, BatchReviewResult, Decided, Reviewed, Reviewer, Versioned};
use crate::state::AppState;

/// What `reviews.entity_type` says for authority applications.
pub const ENTITY: &str = "authority";

const REVIEWED: Reviewed<authority::Column> = Reviewed {
    entity: ENTITY,
    cols: Versioned {
        id: authority::Column::Id,
        version: authority::Column::Version,
        updated_at: authority::Column::UpdatedAt,
    },
    status: authority::Column::Status,
};

/// An application, shape-checked.
#[derive(Debug)]
pub struct NewAuthority {
    pub name: String,
    pub level: AuthorityLevel,
    pub region: String,
    pub series: BTreeSet<String>,
    pub parent_id: Option<Uuid>,
}

/// Filters of the list.
#[derive(Debug, Default)]
pub struct AuthorityFilter {
    pub status: Option<ReviewStatus>,
    pub level: Option<AuthorityLevel>,
    pub parent_id: Option<Uuid>,
    pub series: Option<String>,
}

fn view(m: authority::Model, series: Vec<String>) -> Authority {
    Authority {
        id: m.id,
        name: m.name,
        level: AuthorityLevel::parse(&m.level).unwrap_or(AuthorityLevel::District),
        region: m.region,
        series,
        parent_id: m.parent_id,
        status: m.status,
        applicant_account_id: m.applicant_account_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// The series of each authority in `ids`, sorted.
async fn series_of<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, Vec<String>>, ServiceError> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = authority_series::Entity::find()
        .filter(authority_series::Column::AuthorityId.is_in(ids))
        .order_by_asc(authority_series::Column::SeriesCode)
        .all(conn)
        .await?;
    for r in rows {
        out.entry(r.authority_id).or_default().push(r.series_code);
    }
    Ok(out)
}

async fn view_one<C: ConnectionTrait>(
    conn: &C,
    m: authority::Model,
) -> Result<Authority, ServiceError> {
    let series = series_of(conn, vec![m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    Ok(view(m, series))
}

/// Whether the authority is approved and supervises `series`.
pub async fn approved_for_series<C: ConnectionTrait>(
    conn: &C,
    authority_id: Uuid,
    series: &str,
) -> Result<bool, ServiceError> {
    let Some(a) = authority::Entity::find_by_id(authority_id)
        .one(conn)
        .await?
    else {
        return Ok(false);
    };
    if a.status != ReviewStatus::Approved {
        return Ok(false);
    }
    Ok(authority_series::Entity::find()
        .filter(authority_series::Column::AuthorityId.eq(authority_id))
        .filter(authority_series::Column::SeriesCode.eq(series))
        .one(conn)
        .await?
        .is_some())
}

fn parent_invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid_field("parent_invalid", "parent_id", message)
}

/// R-AU-1: checks the application against its parent and files it as
/// `submitted`.
pub async fn apply(
    state: &AppState,
    auth: &Caller,
    new: NewAuthority,
) -> Result<Authority, ServiceError> {
    crate::authz::require_human(auth)?;
    let account_id = auth.account_id();
    let region = Region::parse(&new.region, new.level)
        .map_err(|e| ServiceError::invalid_field(e.code, "region", e.message))?;
    crate::reference::series::check_known(&state.db, "series", &new.series).await?;
    match (new.level.parent_level(), new.parent_id) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(parent_invalid(
                "a province-level authority has no parent: hrss approves it",
            ));
        }
        (Some(want), None) => {
            return Err(parent_invalid(format!(
                "a {}-level authority names its {}-level parent",
                new.level.as_str(),
                want.as_str()
            )));
        }
        (Some(want), Some(parent_id)) => {
            let Some(parent) = authority::Entity::find_by_id(parent_id)
                .one(&state.db)
                .await?
            else {
                return Err(parent_invalid("the parent authority is not registered"));
            };
            if parent.level != want.as_str() {
                return Err(parent_invalid(format!(
                    "the parent of a {}-level authority must be {}-level, not {}",
                    new.level.as_str(),
                    want.as_str(),
                    parent.level
                )));
            }
            if parent.status != ReviewStatus::Approved {
                return Err(ServiceError::invalid_field(
                    "parent_not_approved",
                    "parent_id",
                    format!(
                        "the parent authority is {}, not approved: it must be approved first",
                        parent.status
                    ),
                ));
            }
            let parent_series: BTreeSet<String> = series_of(&state.db, vec![parent_id])
                .await?
                .remove(&parent_id)
                .unwrap_or_default()
                .into_iter()
                .collect();
            if let Some(outside) = new.series.iter().find(|s| !parent_series.contains(*s)) {
                return Err(ServiceError::invalid_field(
                    "series_not_in_parent",
                    "series",
                    format!("the parent authority does not supervise the series {outside:?}"),
                ));
            }
            if !region.within(&parent.region, want) {
                return Err(ServiceError::invalid_field(
                    "region_outside_parent",
                    "region",
                    format!(
                        "the region must lie within the parent's region {}",
                        parent.region
                    ),
                ));
            }
        }
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let m = authority::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        level: Set(new.level.as_str().into()),
        region: Set(region.as_ref().to_string()),
        parent_id: Set(new.parent_id),
        status: Set(ReviewStatus::Submitted),
        applicant_account_id: Set(account_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    for code in &new.series {
        authority_series::ActiveModel {
            authority_id: Set(m.id),
            series_code: Set(code.clone()),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Change::new("authority", m.id, "applied").after(json!({
            "name": m.name,
            "level": m.level,
            "region": m.region,
            "series": new.series,
            "parent_id": m.parent_id,
            "status": m.status,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m, new.series.into_iter().collect()))
}

/// A page of authorities, oldest first.
pub async fn list(
    state: &AppState,
    filter: AuthorityFilter,
    page: Page,
) -> Result<AuthorityPage, ServiceError> {
    let mut q = authority::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(authority::Column::Status.eq(s.as_str()));
    }
    if let Some(l) = filter.level {
        q = q.filter(authority::Column::Level.eq(l.as_str()));
    }
    if let Some(p) = filter.parent_id {
        q = q.filter(authority::Column::ParentId.eq(p));
    }
    if let Some(series) = filter.series {
        let ids: Vec<Uuid> = authority_series::Entity::find()
            .select_only()
            .column(authority_series::Column::AuthorityId)
            .filter(authority_series::Column::SeriesCode.eq(series))
            .into_tuple::<Uuid>()
            .all(&state.db)
            .await?;
        q = q.filter(authority::Column::Id.is_in(ids));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, authority::Column::Id, false, |r| r.id)
        .await?;
    let mut series = series_of(&state.db, rows.iter().map(|r| r.id).collect()).await?;
    Ok(AuthorityPage {
        items: rows
            .into_iter()
            .map(|r| {
                let s = series.remove(&r.id).unwrap_or_default();
                view(r, s)
            })
            .collect(),
        next_cursor,
    })
}

/// One authority with its review history.
pub async fn get(state: &AppState, id: Uuid) -> Result<AuthorityDetail, ServiceError> {
    let Some(m) = authority::Entity::find_by_id(id).one(&state.db).await? else {
        return Err(ServiceError::NotFound("authority"));
    };
    Ok(AuthorityDetail {
        authority: view_one(&state.db, m).await?,
        reviews: reviews::history(&state.db, ENTITY, id).await?,
    })
}

/// R-AU-1: who decides an application. A province one: hrss. A city or
/// district one: the authority it names as parent. Other authorities get
/// 404, everyone else 403.
fn reviewer_role(auth: &Caller, a: &authority::Model) -> Result<Role, ServiceError> {
    let may = match a.parent_id {
        None => auth.has_role(Role::Hrss).then_some(Role::Hrss),
        Some(parent) => holds(auth, Role::Authority, parent).then_some(Role::Authority),
    };
    match may {
        Some(role) => Ok(role),
        None if auth.has_role(Role::Authority) => Err(ServiceError::NotFound("authority")),
        None => Err(ServiceError::forbidden(
            "forbidden",
            "an application is decided by hrss (province) or the parent authority",
        )),
    }
}

/// Applies a decision: version-checked, recorded, and on approval the
/// applicant becomes the authority. The `UPDATE … WHERE version = ?` means
/// that of two concurrent reviews only one wins; the other gets 412.
async fn decide(
    state: &AppState,
    a: authority::Model,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
    reviewer: Reviewer,
) -> Result<authority::Model, ServiceError> {
    reviews::check_version(expected, a.version)?;
    let from = a.status;
    let to = from
        .transition(ReviewEvent::Decide(decision))
        .map_err(|_| reviews::illegal(from.as_str(), decision.as_str()))?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let decided = Decided {
        decision: decision.as_str(),
        comment,
        reviewer,
    };
    let change = reviews::change(&REVIEWED, a.id, from.as_str(), to.as_str(), &decided);
    reviews::apply::<authority::Entity>(&txn, &REVIEWED, a.id, a.version, to.as_str(), decided)
        .await?;
    crate::audit::record(&txn, change).await?;
    if to == ReviewStatus::Approved {
        insert_grant(
            &txn,
            a.applicant_account_id,
            Role::Authority,
            Some(a.id),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(authority::Model {
        status: to,
        version: a.version + 1,
        updated_at: now,
        ..a
    })
}

/// R-AU-1, R-RV-1: one decision on one application.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<Authority, ServiceError> {
    require_any(auth, &[Role::Hrss, Role::Authority])?;
    let Some(a) = authority::Entity::find_by_id(id).one(&state.db).await? else {
        return Err(ServiceError::NotFound("authority"));
    };
    let role = reviewer_role(auth, &a)?;
    let reviewer = Reviewer {
        account_id: auth.account_id(),
        role,
    };
    let m = decide(state, a, expected, decision, comment, reviewer).await?;
    view_one(&state.db, m).await
}

/// R-AU-2 批量审核: the same decision on many applications, each checked
/// and decided on its own.
pub async fn review_batch(
    state: &AppState,
    auth: &Caller,
    ids: &[Uuid],
    decision: Decision,
    comment: Option<&str>,
) -> Result<Vec<BatchReviewResult>, ServiceError> {
    require_any(auth, &[Role::Hrss, Role::Authority])?;
    reviews::batch(ids, |id| async move {
        let a = authority::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .ok_or(ServiceError::NotFound("authority"))?;
        let reviewer = Reviewer {
            account_id: auth.account_id(),
            role: reviewer_role(auth, &a)?,
        };
        decide(state, a, None, decision, comment, reviewer)
            .await
            .map(|m| m.status.to_string())
    })
    .await
}
