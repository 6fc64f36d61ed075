//! City bases run by their own institutions (R-PQ-5).
//!
//! The 59 Guangzhou city bases (广州市市级专业技术人员继续教育施教机构（基地）名单,
//! R-PQ-4) are preloaded as providers with their numbers and no account.
//! The institution a base names claims it by number, with its name as the
//! list gives it and its unified social credit code; hrss or the Guangzhou
//! city authority of a series the base covers decides the claim through
//! the one review mechanism (R-RV-1). On approval the base's provider takes
//! the credit code and the claimant becomes its admin: from then on it
//! plans and runs courses, which count as professional within the series
//! its scope covers (问答 九: 已获得市级行业主管部门备案的市级继续教育施教机构…开设的课程均可作为专业课学时登记).
//! Nobody else takes a base number: registering a provider with one is
//! refused (`providers::create`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{authority, authority_series, base_claim, city_base_series, provider};

use crate::audit::{self, Change};
use crate::auth::{Caller, Role};
use crate::authz::{orgs, person_of, require_any};
use crate::db::unique;
use crate::domain::CreditCode;
use crate::domain::review::{Decision, ReviewEvent, ReviewStatus, ReviewTransitions};
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::accounts::insert_grant;
use crate::review::{self as reviews, Decided, Review, Reviewed, Reviewer, Versioned};
use crate::state::AppState;

/// What `reviews.entity_type` says for base claims.
pub const ENTITY: &str = "base_claim";

/// The division code of Guangzhou, whose city authority confirms claims.
pub const GUANGZHOU: &str = "440100";

/// A claim to run a city base.
#[derive(Debug, Clone)]
pub struct BaseClaim {
    pub id: Uuid,
    pub base_no: String,
    /// The base's provider.
    pub provider_id: Uuid,
    /// The base's name as the list gives it.
    pub base_name: String,
    /// The institution's name as the claimant gave it.
    pub name: String,
    pub credit_code: String,
    pub claimant_account_id: Uuid,
    pub status: ReviewStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A claim with its decisions.
#[derive(Debug, Clone)]
pub struct BaseClaimDetail {
    pub claim: BaseClaim,
    pub reviews: Vec<Review>,
}

/// A page of claims.
#[derive(Debug, Clone)]
pub struct BaseClaimPage {
    pub items: Vec<BaseClaim>,
    pub next_cursor: Option<String>,
}

/// A claim, shape-checked.
#[derive(Debug)]
pub struct NewBaseClaim {
    pub base_no: String,
    pub name: String,
    pub credit_code: CreditCode,
}

/// What a claimant may correct on a returned claim.
#[derive(Debug, Default)]
pub struct BaseClaimChange {
    pub name: Option<String>,
    pub credit_code: Option<CreditCode>,
}

/// Filters of the list.
#[derive(Debug, Default)]
pub struct BaseClaimFilter {
    pub status: Option<ReviewStatus>,
    pub base_no: Option<String>,
}

const COLS: Versioned<base_claim::Column> = Versioned {
    id: base_claim::Column::Id,
    version: base_claim::Column::Version,
    updated_at: base_claim::Column::UpdatedAt,
};

const REVIEWED: Reviewed<base_claim::Column> = Reviewed {
    entity: ENTITY,
    cols: COLS,
    status: base_claim::Column::Status,
};

fn view(m: base_claim::Model, base_name: String) -> BaseClaim {
    BaseClaim {
        id: m.id,
        base_no: m.base_no,
        provider_id: m.provider_id,
        base_name,
        name: m.name,
        credit_code: m.credit_code,
        claimant_account_id: m.claimant_account_id,
        status: m.status,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn base_claimed(no: &str) -> ServiceError {
    ServiceError::taken(
        "base_no",
        "base_claimed",
        format!("the city base {no} is run by its institution already (R-PQ-5)"),
    )
}

fn credit_code_taken() -> ServiceError {
    ServiceError::taken(
        "credit_code",
        "credit_code_taken",
        "another provider is registered with this unified social credit code: a base is claimed \
         by its own institution, under the name the list gives it (R-PQ-5)",
    )
}

/// Names compare without white space, which the list and a form may set
/// differently (全角 brackets are part of the name).
fn same_name(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squeeze(a) == squeeze(b)
}

/// The base's provider, or 422 `base_no_unknown`.
async fn base<C: ConnectionTrait>(conn: &C, no: &str) -> Result<provider::Model, ServiceError> {
    provider::Entity::find()
        .filter(provider::Column::BaseNo.eq(no))
        .one(conn)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid_field(
                "base_no_unknown",
                "base_no",
                format!("{no} is not the number of a Guangzhou city base (R-PQ-4)"),
            )
        })
}

/// The checks a claim passes when it is made or resubmitted: the base is
/// not run yet, the name is the base's, and the credit code is no other
/// provider's.
async fn check_claim<C: ConnectionTrait>(
    conn: &C,
    base: &provider::Model,
    name: &str,
    code: &str,
) -> Result<(), ServiceError> {
    let no = base.base_no.as_deref().unwrap_or_default();
    if base.credit_code.is_some() {
        return Err(base_claimed(no));
    }
    if !same_name(name, &base.name) {
        return Err(ServiceError::invalid_field(
            "base_name_mismatch",
            "name",
            format!(
                "the city base {no} is {:?}: only that institution claims it (R-PQ-5)",
                base.name
            ),
        ));
    }
    if provider::Entity::find()
        .filter(provider::Column::CreditCode.eq(code))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(credit_code_taken());
    }
    Ok(())
}

/// R-PQ-5: a person claims a city base for the institution it names.
pub async fn create(
    state: &AppState,
    auth: &Caller,
    new: NewBaseClaim,
) -> Result<BaseClaim, ServiceError> {
    person_of(auth, "claims a city base for its institution")?;
    let base = base(&state.db, &new.base_no).await?;
    let code = new.credit_code.as_ref().to_string();
    check_claim(&state.db, &base, &new.name, &code).await?;
    let mine = base_claim::Entity::find()
        .filter(base_claim::Column::BaseNo.eq(&new.base_no))
        .filter(base_claim::Column::ClaimantAccountId.eq(auth.account_id()))
        .filter(base_claim::Column::Status.is_in([ReviewStatus::Submitted, ReviewStatus::Returned]))
        .one(&state.db)
        .await?;
    if let Some(open) = mine {
        return Err(ServiceError::conflict(
            "claim_pending",
            format!(
                "your claim {} to this base is {} already",
                open.id,
                open.status.as_str()
            ),
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let m = base_claim::ActiveModel {
        id: Set(Uuid::now_v7()),
        base_no: Set(new.base_no),
        provider_id: Set(base.id),
        name: Set(new.name.trim().to_string()),
        credit_code: Set(code),
        claimant_account_id: Set(auth.account_id()),
        status: Set(ReviewStatus::Submitted),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change::new(ENTITY, m.id, "created").after(json!({
            "base_no": m.base_no,
            "provider_id": m.provider_id,
            "name": m.name,
            "credit_code": m.credit_code,
            "status": m.status,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m, base.name))
}

/// The base numbers whose claims the caller's authority grants decide: the
/// approved Guangzhou city-level authorities, for the bases covering one
/// of their series. `None` for hrss (every base).
async fn decidable_bases<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
) -> Result<Option<Vec<String>>, ServiceError> {
    if auth.has_role(Role::Hrss) {
        return Ok(None);
    }
    let mine = orgs(auth, Role::Authority);
    if mine.is_empty() {
        return Ok(Some(vec![]));
    }
    let city: Vec<Uuid> = authority::Entity::find()
        .select_only()
        .column(authority::Column::Id)
        .filter(authority::Column::Id.is_in(mine))
        .filter(authority::Column::Status.eq(ReviewStatus::Approved))
        .filter(authority::Column::Level.eq("city"))
        .filter(authority::Column::Region.eq(GUANGZHOU))
        .into_tuple()
        .all(conn)
        .await?;
    let series: Vec<String> = authority_series::Entity::find()
        .select_only()
        .column(authority_series::Column::SeriesCode)
        .filter(authority_series::Column::AuthorityId.is_in(city))
        .into_tuple()
        .all(conn)
        .await?;
    let mut bases: Vec<String> = city_base_series::Entity::find()
        .select_only()
        .column(city_base_series::Column::BaseNo)
        .filter(city_base_series::Column::SeriesCode.is_in(series))
        .into_tuple()
        .all(conn)
        .await?;
    bases.sort();
    bases.dedup();
    Ok(Some(bases))
}

/// Who may read a claim: hrss, its claimant, an authority that decides it.
fn readable(c: &base_claim::Model, auth: &Caller, decides: &Option<Vec<String>>) -> bool {
    decides
        .as_ref()
        .is_none_or(|bases| bases.contains(&c.base_no))
        || c.claimant_account_id == auth.account_id()
}

const READERS: &[Role] = &[Role::Hrss, Role::Authority, Role::Person];

async fn base_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, ServiceError> {
    Ok(provider::Entity::find()
        .filter(provider::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// The claims the caller may see: hrss all, an authority those it decides,
/// a person its own. Oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: BaseClaimFilter,
    page: Page,
) -> Result<BaseClaimPage, ServiceError> {
    require_any(auth, READERS)?;
    let decides = decidable_bases(&state.db, auth).await?;
    let mut q = base_claim::Entity::find();
    if let Some(bases) = &decides {
        q = q.filter(
            Condition::any()
                .add(base_claim::Column::BaseNo.is_in(bases.clone()))
                .add(base_claim::Column::ClaimantAccountId.eq(auth.account_id())),
        );
    }
    if let Some(s) = filter.status {
        q = q.filter(base_claim::Column::Status.eq(s));
    }
    if let Some(no) = filter.base_no {
        q = q.filter(base_claim::Column::BaseNo.eq(no));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, base_claim::Column::Id, false, |r| r.id)
        .await?;
    let names = base_names(&state.db, rows.iter().map(|r| r.provider_id)).await?;
    Ok(BaseClaimPage {
        items: rows
            .into_iter()
            .map(|r| {
                let name = names.get(&r.provider_id).cloned().unwrap_or_default();
                view(r, name)
            })
            .collect(),
        next_cursor,
    })
}

async fn load<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<base_claim::Model, ServiceError> {
    base_claim::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("base claim"))
}

async fn load_view<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<BaseClaim, ServiceError> {
    let m = load(conn, id).await?;
    let name = base_names(conn, [m.provider_id])
        .await?
        .remove(&m.provider_id)
        .unwrap_or_default();
    Ok(view(m, name))
}

/// One claim with its decisions, if the caller may see it.
pub async fn get(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<BaseClaimDetail, ServiceError> {
    require_any(auth, READERS)?;
    let m = load(&state.db, id).await?;
    let decides = decidable_bases(&state.db, auth).await?;
    if !readable(&m, auth, &decides) {
        return Err(ServiceError::NotFound("base claim"));
    }
    Ok(BaseClaimDetail {
        reviews: reviews::history(&state.db, ENTITY, id).await?,
        claim: load_view(&state.db, id).await?,
    })
}

/// R-PQ-5, R-RV-1: hrss or the Guangzhou city authority of a series the
/// base covers decides a claim; other authorities get 404. Approving gives
/// the base its institution's credit code and the claimant the
/// `provider_admin` grant on it, in one transaction.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    decision: Decision,
    comment: Option<&str>,
) -> Result<BaseClaim, ServiceError> {
    require_any(auth, &[Role::Hrss, Role::Authority])?;
    let c = load(&state.db, id).await?;
    let decides = decidable_bases(&state.db, auth).await?;
    if !decides.as_ref().is_none_or(|b| b.contains(&c.base_no)) {
        return Err(ServiceError::NotFound("base claim"));
    }
    let role = if decides.is_none() {
        Role::Hrss
    } else {
        Role::Authority
    };
    reviews::check_version(expected, c.version)?;
    let from = c.status;
    let to = from
        .transition(ReviewEvent::Decide(decision))
        .map_err(|_| reviews::illegal(from.as_str(), decision.as_str()))?;
    let decided = Decided {
        decision: decision.as_str(),
        comment,
        reviewer: Reviewer {
            account_id: auth.account_id(),
            role,
        },
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let change = reviews::change(&REVIEWED, c.id, from.as_str(), to.as_str(), &decided);
    if to == ReviewStatus::Approved {
        // The base is run by one institution: only a base without a
        // credit code takes one (a concurrent approval loses here).
        let res = provider::Entity::update_many()
            .col_expr(
                provider::Column::CreditCode,
                Expr::value(c.credit_code.clone()),
            )
            .col_expr(
                provider::Column::Version,
                Expr::col(provider::Column::Version).add(1),
            )
            .col_expr(provider::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(provider::Column::Id.eq(c.provider_id))
            .filter(provider::Column::CreditCode.is_null())
            .exec(&txn)
            .await
            .on_unique(&[(&unique::PROVIDER_CREDIT_CODE, credit_code_taken)])?;
        if res.rows_affected != 1 {
            return Err(base_claimed(&c.base_no));
        }
        insert_grant(
            &txn,
            c.claimant_account_id,
            Role::ProviderAdmin,
            Some(c.provider_id),
            None,
        )
        .await?;
    }
    // The claim's decision; the partial unique index keeps one approved
    // claim a base should the guard above ever be bypassed.
    reviews::apply::<base_claim::Entity>(&txn, &REVIEWED, c.id, c.version, to.as_str(), decided)
        .await?;
    // One event for the request (R-CR-2): the decision, and on approval
    // what it did to the base's provider.
    let mut change = change.also("base_no", json!(c.base_no));
    if to == ReviewStatus::Approved {
        change = change.also(
            "provider",
            json!({
                "id": c.provider_id,
                "credit_code": c.credit_code,
                "admin": c.claimant_account_id,
            }),
        );
    }
    audit::record(&txn, change).await?;
    txn.commit().await?;
    load_view(&state.db, id).await
}

/// R-RV-1: the claimant corrects a returned claim and sends it again.
pub async fn resubmit(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    change: BaseClaimChange,
) -> Result<BaseClaim, ServiceError> {
    person_of(auth, "resubmits a claim to a city base")?;
    let c = load(&state.db, id).await?;
    if c.claimant_account_id != auth.account_id() {
        return Err(ServiceError::NotFound("base claim"));
    }
    reviews::check_version(expected, c.version)?;
    let from = c.status;
    let to = from
        .transition(ReviewEvent::Resubmit)
        .map_err(|_| reviews::illegal(from.as_str(), "resubmit"))?;
    let name = change
        .name
        .map(|n| n.trim().to_string())
        .unwrap_or_else(|| c.name.clone());
    let code = change
        .credit_code
        .map(|c| c.as_ref().to_string())
        .unwrap_or_else(|| c.credit_code.clone());
    let base = base(&state.db, &c.base_no).await?;
    check_claim(&state.db, &base, &name, &code).await?;
    reviews::write_audited::<base_claim::Entity>(
        &state.db,
        COLS,
        c.id,
        c.version,
        vec![
            (base_claim::Column::Status, Expr::value(to.as_str())),
            (base_claim::Column::Name, Expr::value(name.clone())),
            (base_claim::Column::CreditCode, Expr::value(code.clone())),
        ],
        Change::new(ENTITY, c.id, "resubmitted")
            .before(json!({"status": from.as_str(), "name": c.name, "credit_code": c.credit_code}))
            .after(json!({"status": to.as_str(), "name": name, "credit_code": code})),
    )
    .await?;
    load_view(&state.db, id).await
}

/// R-PQ-5: whether the provider is a city base its institution runs whose
/// scope covers `series` (its courses there count as professional).
pub async fn base_covers<C: ConnectionTrait>(
    conn: &C,
    provider_id: Uuid,
    series: &str,
) -> Result<bool, ServiceError> {
    let Some(p) = provider::Entity::find_by_id(provider_id).one(conn).await? else {
        return Ok(false);
    };
    let (Some(no), Some(_)) = (p.base_no, p.credit_code) else {
        return Ok(false);
    };
    Ok(
        city_base_series::Entity::find_by_id((no, series.to_string()))
            .one(conn)
            .await?
            .is_some(),
    )
}
