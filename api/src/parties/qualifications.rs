//! Provider qualifications (R-PQ-2): a provider applies per professional
//! series, naming the supervising authority and attaching documents; that
//! authority reviews (R-RV-1). `is_qualified` answers R-PQ-3.

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use uuid::Uuid;

use ce_entity::{provider, qualification};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs, require_any};
use crate::domain::review::{Decision, ReviewEvent, ReviewStatus, ReviewTransitions};
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::parties::attachments;
use crate::parties::authorities::approved_for_series;
use crate::parties::views::{Qualification, QualificationDetail, QualificationPage};
use crate::review::{self as reviews, Decided, Reviewed, Reviewer, Versioned};
use crate::state::AppState;

/// What `reviews.entity_type` says for qualifications.
pub const ENTITY: &str = "qualification";

/// An application, shape-checked.
#[derive(Debug)]
pub struct NewQualification {
    pub series: String,
    pub authority_id: Uuid,
    pub attachment_ids: Vec<Uuid>,
}

/// What the provider may change on a returned qualification.
#[derive(Debug, Default)]
pub struct QualificationChange {
    pub authority_id: Option<Uuid>,
    pub attachment_ids: Option<Vec<Uuid>>,
}

/// Filters of the list.
#[derive(Debug, Default)]
pub struct QualificationFilter {
    pub status: Option<ReviewStatus>,
    pub provider_id: Option<Uuid>,
}

fn ids_of(v: &serde_json::Value) -> Vec<Uuid> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

fn view(m: qualification::Model) -> Qualification {
    Qualification {
        id: m.id,
        provider_id: m.provider_id,
        attachment_ids: ids_of(&m.attachment_ids),
        series: m.series_code,
        authority_id: m.authority_id,
        status: m.status,
        submitted_by: m.submitted_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// Keeps the order, drops repeats.
pub fn dedup(ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut seen = BTreeSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

/// 422 `attachment_unknown` unless the caller uploaded every attachment
/// not already on the qualification.
async fn check_attachments(
    state: &AppState,
    account_id: Uuid,
    ids: &[Uuid],
    already: &[Uuid],
) -> Result<(), ServiceError> {
    let new: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !already.contains(id))
        .collect();
    attachments::require_uploaded_by(state, account_id, &new).await
}

async fn check_authority(
    state: &AppState,
    authority_id: Uuid,
    series: &str,
) -> Result<(), ServiceError> {
    if approved_for_series(&state.db, authority_id, series).await? {
        Ok(())
    } else {
        Err(ServiceError::invalid_field(
            "authority_not_for_series",
            "authority_id",
            format!("the authority is not an approved authority of the series {series:?}"),
        ))
    }
}

/// R-PQ-2: files an application as `submitted`. The caller is an admin of
/// the provider (checked by the route).
pub async fn apply(
    state: &AppState,
    auth: &Caller,
    provider_id: Uuid,
    new: NewQualification,
) -> Result<Qualification, ServiceError> {
    crate::authz::require_scoped(auth, Role::ProviderAdmin, provider_id, false, "provider")?;
    let account_id = auth.account_id();
    if provider::Entity::find_by_id(provider_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("provider"));
    }
    crate::reference::series::check_known(
        &state.db,
        "series",
        &BTreeSet::from([new.series.clone()]),
    )
    .await?;
    check_authority(state, new.authority_id, &new.series).await?;
    let attachment_ids = dedup(new.attachment_ids);
    check_attachments(state, account_id, &attachment_ids, &[]).await?;
    let open = qualification::Entity::find()
        .filter(qualification::Column::ProviderId.eq(provider_id))
        .filter(qualification::Column::SeriesCode.eq(&new.series))
        .filter(qualification::Column::Status.ne(ReviewStatus::Closed.as_str()))
        .one(&state.db)
        .await?;
    if let Some(q) = open {
        return Err(ServiceError::conflict(
            "qualification_exists",
            format!(
                "the provider already has a qualification in this series that is {} ({})",
                q.status, q.id
            ),
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = qualification::ActiveModel {
        id: Set(Uuid::now_v7()),
        provider_id: Set(provider_id),
        series_code: Set(new.series),
        authority_id: Set(new.authority_id),
        status: Set(ReviewStatus::Submitted),
        attachment_ids: Set(serde_json::to_value(&attachment_ids).map_err(anyhow::Error::from)?),
        submitted_by: Set(account_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change::new("qualification", m.id, "applied").after(json!({
            "provider_id": m.provider_id,
            "series": m.series_code,
            "authority_id": m.authority_id,
            "status": m.status,
            "attachment_ids": m.attachment_ids,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}

/// The roles that see qualifications at all.
const READERS: &[Role] = &[Role::Hrss, Role::Authority, Role::ProviderAdmin];

/// hrss sees all; an authority those addressed to it; a provider admin its
/// provider's.
fn visible(auth: &Caller, q: &qualification::Model) -> bool {
    auth.has_role(Role::Hrss)
        || holds(auth, Role::Authority, q.authority_id)
        || holds(auth, Role::ProviderAdmin, q.provider_id)
}

/// A page of the qualifications the caller may see, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: QualificationFilter,
    page: Page,
) -> Result<QualificationPage, ServiceError> {
    require_any(auth, READERS)?;
    let mut q = qualification::Entity::find();
    if !auth.has_role(Role::Hrss) {
        q = q.filter(
            Condition::any()
                .add(qualification::Column::AuthorityId.is_in(orgs(auth, Role::Authority)))
                .add(qualification::Column::ProviderId.is_in(orgs(auth, Role::ProviderAdmin))),
        );
    }
    if let Some(s) = filter.status {
        q = q.filter(qualification::Column::Status.eq(s.as_str()));
    }
    if let Some(p) = filter.provider_id {
        q = q.filter(qualification::Column::ProviderId.eq(p));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, qualification::Column::Id, false, |r| r.id)
        .await?;
    Ok(QualificationPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

async fn load(state: &AppState, id: Uuid) -> Result<qualification::Model, ServiceError> {
    qualification::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("qualification"))
}

/// One qualification with its review history, if the caller may see it.
pub async fn get(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<QualificationDetail, ServiceError> {
    require_any(auth, READERS)?;
    let q = load(state, id).await?;
    if !visible(auth, &q) {
        return Err(ServiceError::NotFound("qualification"));
    }
    Ok(QualificationDetail {
        reviews: reviews::history(&state.db, ENTITY, id).await?,
        qualification: view(q),
    })
}

const COLS: Versioned<qualification::Column> = Versioned {
    id: qualification::Column::Id,
    version: qualification::Column::Version,
    updated_at: qualification::Column::UpdatedAt,
};

const REVIEWED: Reviewed<qualification::Column> = Reviewed {
    entity: ENTITY,
    cols: COLS,
    status: qualification::Column::Status,
};

/// R-PQ-2, R-RV-1: the authority named in the qualification decides it.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<Qualification, ServiceError> {
    require_any(auth, &[Role::Authority])?;
    let q = load(state, id).await?;
    if !holds(auth, Role::Authority, q.authority_id) {
        return Err(ServiceError::NotFound("qualification"));
    }
    reviews::check_version(expected, q.version)?;
    let from = q.status;
    let to = from
        .transition(ReviewEvent::Decide(decision))
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
    let change = reviews::change(&REVIEWED, q.id, from.as_str(), to.as_str(), &decided);
    reviews::apply::<qualification::Entity>(&txn, &REVIEWED, q.id, q.version, to.as_str(), decided)
        .await?;
    crate::audit::record(&txn, change).await?;
    txn.commit().await?;
    Ok(view(load(state, id).await?))
}

/// The qualification, if the caller administers its provider: 403 without
/// the role, 404 for another provider's.
async fn load_own(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<qualification::Model, ServiceError> {
    require_any(auth, &[Role::ProviderAdmin])?;
    let q = load(state, id).await?;
    if !holds(auth, Role::ProviderAdmin, q.provider_id) {
        return Err(ServiceError::NotFound("qualification"));
    }
    Ok(q)
}

/// R-RV-1: a returned qualification may be changed before it is sent again.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    change: QualificationChange,
) -> Result<Qualification, ServiceError> {
    let q = load_own(state, auth, id).await?;
    reviews::check_version(expected, q.version)?;
    let status = q.status;
    if !status.editable() {
        return Err(ServiceError::conflict(
            "not_editable",
            format!(
                "only a returned qualification can be changed; this one is {}",
                status.as_str()
            ),
        ));
    }
    let mut changes = Vec::new();
    let mut after = serde_json::Map::new();
    if let Some(authority_id) = change.authority_id {
        after.insert("authority_id".into(), json!(authority_id));
        check_authority(state, authority_id, &q.series_code).await?;
        changes.push((
            qualification::Column::AuthorityId,
            Expr::value(authority_id),
        ));
    }
    if let Some(ids) = change.attachment_ids {
        let ids = dedup(ids);
        after.insert("attachment_ids".into(), json!(ids));
        check_attachments(state, auth.account_id(), &ids, &ids_of(&q.attachment_ids)).await?;
        changes.push((
            qualification::Column::AttachmentIds,
            Expr::value(serde_json::to_value(&ids).map_err(anyhow::Error::from)?),
        ));
    }
    reviews::write_audited::<qualification::Entity>(
        &state.db,
        COLS,
        q.id,
        q.version,
        changes,
        Change::new("qualification", q.id, "updated")
            .before(json!({"authority_id": q.authority_id, "attachment_ids": q.attachment_ids}))
            .after(after.into()),
    )
    .await?;
    Ok(view(load(state, id).await?))
}

/// R-RV-1: sends a returned qualification to its authority again.
pub async fn resubmit(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Qualification, ServiceError> {
    let q = load_own(state, auth, id).await?;
    reviews::check_version(expected, q.version)?;
    let from = q.status;
    let to = from
        .transition(ReviewEvent::Resubmit)
        .map_err(|_| reviews::illegal(from.as_str(), "resubmit"))?;
    reviews::write_audited::<qualification::Entity>(
        &state.db,
        COLS,
        q.id,
        q.version,
        vec![(qualification::Column::Status, Expr::value(to.as_str()))],
        Change::new("qualification", q.id, "resubmitted")
            .before(json!({"status": from.as_str()}))
            .after(json!({"status": to.as_str()})),
    )
    .await?;
    Ok(view(load(state, id).await?))
}

/// R-PQ-3: whether the provider holds an approved qualification in
/// `series` — or, R-PQ-5, is a city base run by its institution whose scope
/// covers it.
pub async fn is_qualified<C: ConnectionTrait>(
    db: &C,
    provider_id: Uuid,
    series: &str,
) -> Result<bool, ServiceError> {
    if crate::parties::base_claims::base_covers(db, provider_id, series).await? {
        return Ok(true);
    }
    Ok(qualification::Entity::find()
        .select_only()
        .column(qualification::Column::Id)
        .filter(qualification::Column::ProviderId.eq(provider_id))
        .filter(qualification::Column::SeriesCode.eq(series))
        .filter(qualification::Column::Status.eq(ReviewStatus::Approved))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ce_entity::authority;

    #[tokio::test]
    async fn r_pq_3_only_an_approved_qualification_in_the_series_qualifies() {
        let dir = std::env::temp_dir().join(format!("ce-q-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = crate::config::Settings {
            data_dir: dir.clone(),
            ..Default::default()
        };
        let db = crate::db::connect_and_migrate(&settings).await.unwrap();
        let now = Utc::now();
        let provider = provider::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set("机构".into()),
            credit_code: Set(None),
            level: Set("city".into()),
            base_no: Set(None),
            scope: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&db)
        .await
        .unwrap();
        let authority = authority::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set("主管部门".into()),
            level: Set("province".into()),
            region: Set("440000".into()),
            parent_id: Set(None),
            status: Set(ReviewStatus::Approved),
            applicant_account_id: Set(Uuid::now_v7()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&db)
        .await
        .unwrap();
        let qualify = |series: &str, status: ReviewStatus| qualification::ActiveModel {
            id: Set(Uuid::now_v7()),
            provider_id: Set(provider.id),
            series_code: Set(series.into()),
            authority_id: Set(authority.id),
            status: Set(status),
            attachment_ids: Set(serde_json::json!([])),
            submitted_by: Set(Uuid::now_v7()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        qualify("engineering", ReviewStatus::Submitted)
            .insert(&db)
            .await
            .unwrap();
        qualify("nursing", ReviewStatus::Approved)
            .insert(&db)
            .await
            .unwrap();
        assert!(!is_qualified(&db, provider.id, "engineering").await.unwrap());
        assert!(is_qualified(&db, provider.id, "nursing").await.unwrap());
        assert!(!is_qualified(&db, Uuid::now_v7(), "nursing").await.unwrap());
        db.close().await.ok();
        let _ = std::fs::remove_dir_all(dir);
    }
}
