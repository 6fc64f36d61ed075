//! Title-evaluation committees (评审委员会, R-CE-5): hrss grants an account
//! the `evaluator` role for the series a committee evaluates (the seed's
//! list of Guangzhou committees names each one's series: 十三、广州市专业技术
//! 人员职称评审委员会联系方式), and revokes it. The grant's `org_id` is the
//! evaluator; grants are read fresh on every request, so a revoked one
//! stops working at once. What an evaluator may ask is in
//! `certificates::evaluation`.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{account, evaluator, evaluator_series, grant, person};

use crate::audit::{self, Change};
use crate::auth::{Caller, Role};
use crate::authz::{orgs, require_any, require_role};
use crate::domain::IdCardNo;
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::parties::accounts::insert_grant;
use crate::state::AppState;

/// What `audit_events.entity_type` says for evaluators.
pub const ENTITY: &str = "evaluator";

/// An evaluator grant, parsed.
#[derive(Debug)]
pub struct NewEvaluator {
    /// The committee's name (评委会名称).
    pub name: String,
    /// The ID number of the registered person whose account acts for it.
    pub id_card_no: IdCardNo,
    /// The series it evaluates.
    pub series: BTreeSet<String>,
}

/// A committee's access.
#[derive(Debug, Clone)]
pub struct Evaluator {
    pub id: Uuid,
    pub name: String,
    pub account_id: Uuid,
    pub series: Vec<String>,
    pub created_at: chrono::DateTime<Utc>,
    /// When hrss revoked it; `None` while it works.
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

/// A page of evaluators.
#[derive(Debug, Clone)]
pub struct EvaluatorPage {
    pub items: Vec<Evaluator>,
    pub next_cursor: Option<String>,
}

/// The series of each evaluator in `ids`, sorted.
pub async fn series_of<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>, ServiceError> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for r in evaluator_series::Entity::find()
        .filter(evaluator_series::Column::EvaluatorId.is_in(ids.iter().copied()))
        .order_by_asc(evaluator_series::Column::SeriesCode)
        .all(conn)
        .await?
    {
        out.entry(r.evaluator_id).or_default().push(r.series_code);
    }
    Ok(out)
}

fn view(m: evaluator::Model, series: Vec<String>) -> Evaluator {
    Evaluator {
        id: m.id,
        name: m.name,
        account_id: m.account_id,
        series,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    }
}

/// R-CE-5: hrss grants the account of the person with the ID number the
/// `evaluator` role for a committee and its series. 422
/// `account_unknown` when no registered person has the number.
pub async fn grant(
    state: &AppState,
    auth: &Caller,
    new: NewEvaluator,
) -> Result<Evaluator, ServiceError> {
    require_role(auth, Role::Hrss, "evaluators are granted by hrss")?;
    crate::reference::series::check_known(&state.db, "series", &new.series).await?;
    let unknown = || {
        ServiceError::invalid_field(
            "account_unknown",
            "id_card_no",
            "no registered account has this ID number; the committee's officer registers first",
        )
    };
    let p = person::Entity::find()
        .filter(person::Column::IdCardHash.eq(state.pii.hash("id_card", new.id_card_no.as_ref())))
        .one(&state.db)
        .await?
        .ok_or_else(unknown)?;
    let a = account::Entity::find()
        .filter(account::Column::PersonId.eq(p.id))
        .one(&state.db)
        .await?
        .ok_or_else(unknown)?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = evaluator::ActiveModel {
        id: Set(id),
        name: Set(new.name),
        account_id: Set(a.id),
        granted_by: Set(auth.account_id()),
        created_at: Set(now),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(&txn)
    .await?;
    evaluator_series::Entity::insert_many(new.series.iter().map(|s| {
        evaluator_series::ActiveModel {
            evaluator_id: Set(id),
            series_code: Set(s.clone()),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    insert_grant(&txn, a.id, Role::Evaluator, Some(id), None).await?;
    let series: Vec<String> = new.series.into_iter().collect();
    audit::record(
        &txn,
        Change::new(ENTITY, id, "granted")
            .after(json!({"name": m.name, "account_id": a.id, "series": series}))
            .person(p.id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m, series))
}

/// hrss sees every evaluator; an evaluator its own. Oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    page: Page,
) -> Result<EvaluatorPage, ServiceError> {
    require_any(auth, &[Role::Hrss, Role::Evaluator])?;
    let mut q = evaluator::Entity::find();
    if !auth.has_role(Role::Hrss) {
        q = q.filter(evaluator::Column::Id.is_in(orgs(auth, Role::Evaluator)));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, evaluator::Column::Id, false, |r| r.id)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut series = series_of(&state.db, &ids).await?;
    Ok(EvaluatorPage {
        items: rows
            .into_iter()
            .map(|m| {
                let s = series.remove(&m.id).unwrap_or_default();
                view(m, s)
            })
            .collect(),
        next_cursor,
    })
}

/// R-CE-5: hrss revokes an evaluator: its grant is deleted, so the next
/// request of its account no longer holds it. Revoking a revoked one
/// succeeds and changes nothing.
pub async fn revoke(state: &AppState, auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    require_role(auth, Role::Hrss, "evaluators are revoked by hrss")?;
    let m = evaluator::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("evaluator"))?;
    if m.revoked_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let res = evaluator::Entity::update_many()
        .col_expr(evaluator::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            evaluator::Column::RevokedBy,
            Expr::value(Some(auth.account_id())),
        )
        .filter(evaluator::Column::Id.eq(id))
        .filter(evaluator::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        // Revoked meanwhile by another request.
        return Ok(());
    }
    grant::Entity::delete_many()
        .filter(grant::Column::Role.eq(Role::Evaluator.as_str()))
        .filter(grant::Column::OrgId.eq(id))
        .exec(&txn)
        .await?;
    crate::cache::bump(&txn, crate::cache::Kind::Grants).await?;
    audit::record(
        &txn,
        Change::new(ENTITY, id, "revoked")
            .before(json!({"revoked_at": null}))
            .after(json!({"revoked_at": now, "account_id": m.account_id})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
