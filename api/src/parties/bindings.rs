//! Bindings of persons to units (R-PU-1): a verified person asks, the unit
//! approves or rejects; a unit adds a person by ID number; a unit unbinds.
//! One current unit per person — held by a partial unique index — and the
//! history is kept.

use crate::audit::{self, Change};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{binding, person, unit};

use crate::auth::{Caller, Role};
use crate::db::unique;
use crate::domain::{IdCardNo, PersonName};
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::units::require_admin;
use crate::review::{self as reviews, Reviewer, check_version};
use crate::state::AppState;

pub use crate::domain::party::{BindingDecision, BindingInitiator};
/// Stored in `bindings.status`; the type lives with the entities.
pub use ce_entity::state::BindingStatus;

/// A person's binding to a unit.
#[derive(Debug, Clone)]
pub struct Binding {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub status: BindingStatus,
    pub initiated_by: BindingInitiator,
    pub created_at: chrono::DateTime<Utc>,
    pub decided_at: Option<chrono::DateTime<Utc>>,
    pub comment: Option<String>,
    pub ended_at: Option<chrono::DateTime<Utc>>,
    pub version: i32,
}

/// A page of bindings.
#[derive(Debug, Clone)]
pub struct BindingPage {
    pub items: Vec<Binding>,
    pub next_cursor: Option<String>,
}

async fn view_of(state: &AppState, b: binding::Model) -> Result<Binding, ServiceError> {
    let person_name = person::Entity::find_by_id(b.person_id)
        .one(&state.db)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let unit_name = unit::Entity::find_by_id(b.unit_id)
        .one(&state.db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(Binding {
        id: b.id,
        person_id: b.person_id,
        person_name,
        unit_id: b.unit_id,
        unit_name,
        status: b.status,
        initiated_by: if b.initiated_by == "unit" {
            BindingInitiator::Unit
        } else {
            BindingInitiator::Person
        },
        created_at: b.created_at,
        decided_at: b.decided_at,
        comment: b.comment,
        ended_at: b.ended_at,
        version: b.version,
    })
}

async fn page_of(
    state: &AppState,
    rows: Vec<binding::Model>,
    next_cursor: Option<String>,
) -> Result<BindingPage, ServiceError> {
    let mut items = Vec::with_capacity(rows.len());
    for b in rows {
        items.push(view_of(state, b).await?);
    }
    Ok(BindingPage { items, next_cursor })
}

fn binding_pending() -> ServiceError {
    ServiceError::taken(
        "unit_id",
        "binding_pending",
        "a request to bind to this unit is already pending",
    )
}

fn already_bound() -> ServiceError {
    ServiceError::conflict(
        "already_bound",
        "the person is bound to a unit already; that unit unbinds them first (R-PU-1)",
    )
}

/// R-PU-1, R-ID-2: a verified person asks to bind to a unit.
pub async fn request(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
    unit_id: Uuid,
) -> Result<Binding, ServiceError> {
    crate::authz::require_scoped(auth, Role::Person, person_id, false, "person")?;
    let p = person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    if !p.verified {
        return Err(ServiceError::conflict(
            "not_verified",
            "pass real-name verification (POST /persons/{id}/verification) before binding to a unit (R-ID-2)",
        ));
    }
    if unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::invalid_field(
            "unit_unknown",
            "unit_id",
            "no such unit",
        ));
    }
    if crate::parties::persons::current_unit(&state.db, person_id)
        .await?
        .is_some()
    {
        return Err(already_bound());
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let b = binding::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        unit_id: Set(unit_id),
        status: Set(BindingStatus::Pending),
        initiated_by: Set("person".into()),
        requested_by: Set(auth.account_id()),
        decided_by: Set(None),
        decided_at: Set(None),
        comment: Set(None),
        ended_by: Set(None),
        ended_at: Set(None),
        created_at: Set(Utc::now()),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .on_unique(&[
        (&unique::BINDING_PENDING, binding_pending),
        (&unique::BINDING_CURRENT, already_bound),
    ])?;
    audit::record(
        &txn,
        Change::new("binding", b.id, "requested")
            .after(json!({"status": b.status, "unit_id": unit_id}))
            .person(person_id)
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    view_of(state, b).await
}

/// A unit's bindings, filtered by status.
pub async fn for_unit(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    status: Option<BindingStatus>,
    page: Page,
) -> Result<BindingPage, ServiceError> {
    require_admin(auth, unit_id)?;
    let mut q = binding::Entity::find().filter(binding::Column::UnitId.eq(unit_id));
    if let Some(s) = status {
        q = q.filter(binding::Column::Status.eq(s.as_str()));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, binding::Column::Id, false, |r| r.id)
        .await?;
    page_of(state, rows, next_cursor).await
}

/// A person's binding history, newest first.
pub async fn history(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
    page: Page,
) -> Result<BindingPage, ServiceError> {
    crate::authz::require_scoped(auth, Role::Person, person_id, true, "person")?;
    let q = binding::Entity::find().filter(binding::Column::PersonId.eq(person_id));
    let (rows, next_cursor) = page
        .load(&state.db, q, binding::Column::Id, true, |r| r.id)
        .await?;
    page_of(state, rows, next_cursor).await
}

/// R-PU-1: the unit approves or rejects a pending request.
pub async fn review(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    binding_id: Uuid,
    decision: BindingDecision,
    comment: Option<String>,
    if_match: Option<i32>,
) -> Result<Binding, ServiceError> {
    require_admin(auth, unit_id)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let b = binding::Entity::find_by_id(binding_id)
        .filter(binding::Column::UnitId.eq(unit_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("binding"))?;
    check_version(if_match, b.version)?;
    if b.status != BindingStatus::Pending {
        return Err(reviews::illegal(b.status.as_str(), "decide"));
    }
    let (status, word) = match decision {
        BindingDecision::Approve => (BindingStatus::Approved, "approve"),
        BindingDecision::Reject => (BindingStatus::Rejected, "reject"),
    };
    let now = Utc::now();
    let mut am: binding::ActiveModel = b.clone().into();
    am.status = Set(status);
    am.decided_by = Set(Some(auth.account_id()));
    am.decided_at = Set(Some(now));
    am.comment = Set(comment.clone());
    am.version = Set(b.version + 1);
    let res = binding::Entity::update_many()
        .set(am)
        .filter(binding::Column::Id.eq(b.id))
        .filter(binding::Column::Version.eq(b.version))
        .exec(&txn)
        .await
        .on_unique(&[(&unique::BINDING_CURRENT, || {
            ServiceError::conflict(
                "already_bound",
                "the person was bound to another unit meanwhile",
            )
        })])?;
    crate::review::updated_once(res.rows_affected, b.version)?;
    let role = if auth.has_role(Role::UnitAdmin) {
        Role::UnitAdmin
    } else {
        Role::Hrss
    };
    reviews::record(
        &txn,
        "binding",
        b.id,
        word,
        comment.as_deref(),
        Reviewer {
            account_id: auth.account_id(),
            role,
        },
    )
    .await?;
    if status == BindingStatus::Approved {
        adopt_parked(&txn, b.person_id, unit_id).await?;
    }
    audit::record(
        &txn,
        Change::new("binding", b.id, "reviewed")
            .before(json!({"status": b.status}))
            .after(json!({"status": status.as_str(), "decision": word, "comment": comment}))
            .person(b.person_id)
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    let b = binding::Entity::find_by_id(b.id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("binding"))?;
    view_of(state, b).await
}

/// R-PU-1: a unit adds a registered person by ID number and name.
pub async fn add_person(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    id_card_no: IdCardNo,
    name: PersonName,
) -> Result<Binding, ServiceError> {
    require_admin(auth, unit_id)?;
    if unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("unit"));
    }
    let p = person::Entity::find()
        .filter(person::Column::IdCardHash.eq(state.pii.hash("id_card", id_card_no.as_ref())))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid_field(
                "person_unknown",
                "id_card_no",
                "no person is registered with this ID number; they register first",
            )
        })?;
    if p.name != name.as_ref() {
        return Err(ServiceError::invalid_field(
            "name_mismatch",
            "name",
            "the name does not match the ID number's registered person",
        ));
    }
    if crate::parties::persons::current_unit(&state.db, p.id)
        .await?
        .is_some()
    {
        return Err(already_bound());
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let b = binding::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(p.id),
        unit_id: Set(unit_id),
        status: Set(BindingStatus::Approved),
        initiated_by: Set("unit".into()),
        requested_by: Set(auth.account_id()),
        decided_by: Set(Some(auth.account_id())),
        decided_at: Set(Some(now)),
        comment: Set(None),
        ended_by: Set(None),
        ended_at: Set(None),
        created_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .on_unique(&[(&unique::BINDING_CURRENT, || {
        ServiceError::taken(
            "id_card_no",
            "already_bound",
            "the person is bound to a unit already; that unit unbinds them first (R-PU-1)",
        )
    })])?;
    adopt_parked(&txn, p.id, unit_id).await?;
    audit::record(
        &txn,
        Change::new("binding", b.id, "added_by_unit")
            .after(json!({"status": b.status, "unit_id": unit_id}))
            .person(p.id)
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    view_of(state, b).await
}

/// R-PU-1: the unit unbinds a person; the binding stays as history.
pub async fn unbind(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    person_id: Uuid,
) -> Result<(), ServiceError> {
    require_admin(auth, unit_id)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let b = binding::Entity::find()
        .filter(binding::Column::UnitId.eq(unit_id))
        .filter(binding::Column::PersonId.eq(person_id))
        .filter(binding::Column::Status.eq(BindingStatus::Approved))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("binding"))?;
    let mut am: binding::ActiveModel = b.clone().into();
    am.status = Set(BindingStatus::Ended);
    am.ended_by = Set(Some(auth.account_id()));
    am.ended_at = Set(Some(Utc::now()));
    am.version = Set(b.version + 1);
    am.update(&txn).await?;
    audit::record(
        &txn,
        Change::new("binding", b.id, "ended")
            .before(json!({"status": b.status}))
            .after(json!({"status": BindingStatus::Ended.as_str()}))
            .person(person_id)
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a person's records that wait for a unit's review — parked ones
/// (no unit when their class closed) and ones a previous unit never
/// decided — to the unit the person is now bound to, which alone sees them
/// (R-RC-3). Called in the binding's transaction.
pub async fn adopt_parked<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    unit_id: Uuid,
) -> Result<(), ServiceError> {
    ce_entity::record::Entity::update_many()
        .col_expr(ce_entity::record::Column::UnitId, Expr::value(unit_id))
        .col_expr(
            ce_entity::record::Column::Version,
            Expr::col(ce_entity::record::Column::Version).add(1),
        )
        .col_expr(
            ce_entity::record::Column::UpdatedAt,
            Expr::value(Utc::now()),
        )
        .filter(ce_entity::record::Column::PersonId.eq(person_id))
        // What an authority reviews stays with it (R-ACC-4, R-RC-10).
        .filter(ce_entity::record::Column::AuthorityId.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(ce_entity::record::Column::UnitId.is_null())
                .add(ce_entity::record::Column::UnitId.ne(unit_id)),
        )
        .filter(
            ce_entity::record::Column::Status
                .eq(crate::domain::record::RecordStatus::PendingUnitReview.as_str()),
        )
        .exec(conn)
        .await?;
    Ok(())
}
