//! Units (法人单位): registration by unified social credit code, search,
//! details, and admin sub-accounts (R-ID-4, R-ID-5).

use crate::audit::{self, Change};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use ce_entity::state::InvitationStatus;
use ce_entity::{account, admin_invitation, grant, person, unit};

use crate::auth::{Caller, Role};
use crate::db::unique;
pub use crate::domain::party::AdminStatus;
use crate::domain::{CreditCode, IdCardNo};
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::accounts::insert_grant;
use crate::review::check_version;
use crate::state::AppState;

/// A unit.
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: Uuid,
    pub name: String,
    /// Unified social credit code (GB 32100).
    pub credit_code: String,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub version: i32,
}

/// A page of units.
#[derive(Debug, Clone)]
pub struct UnitPage {
    pub items: Vec<Unit>,
    pub next_cursor: Option<String>,
}

/// An admin sub-account of a unit (子账号).
#[derive(Debug, Clone)]
pub struct Admin {
    pub account_id: Uuid,
    /// The person behind the account.
    pub name: Option<String>,
    pub status: AdminStatus,
    pub since: chrono::DateTime<Utc>,
}

/// The admins of a unit.
#[derive(Debug, Clone)]
pub struct AdminList {
    pub items: Vec<Admin>,
}

/// A new unit, parsed.
#[derive(Debug)]
pub struct NewUnit {
    pub name: String,
    pub credit_code: CreditCode,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
}

/// Details an admin may change.
#[derive(Debug, Default)]
pub struct UnitChange {
    pub name: Option<String>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
}

pub fn view(u: unit::Model) -> Unit {
    Unit {
        id: u.id,
        name: u.name,
        credit_code: u.credit_code,
        address: u.address,
        contact_phone: u.contact_phone,
        created_at: u.created_at,
        version: u.version,
    }
}

/// Accounts (not platforms) may read units.
fn require_account(auth: &Caller) -> Result<(), ServiceError> {
    if auth.has_role(Role::Platform) {
        Err(ServiceError::forbidden(
            "forbidden",
            "platforms do not manage units",
        ))
    } else {
        Ok(())
    }
}

/// 403 without `unit_admin` (or hrss), 404 for another unit.
pub fn require_admin(auth: &Caller, unit_id: Uuid) -> Result<(), ServiceError> {
    crate::authz::require_scoped(auth, Role::UnitAdmin, unit_id, true, "unit")
}

/// R-ID-4: registers a unit; the caller becomes its first admin (R-ID-5).
pub async fn create(state: &AppState, auth: &Caller, new: NewUnit) -> Result<Unit, ServiceError> {
    if !auth.has_role(Role::Person) {
        return Err(ServiceError::forbidden(
            "forbidden",
            "a unit is registered by a person's account",
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let u = unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        credit_code: Set(new.credit_code.as_ref().to_string()),
        address: Set(new.address),
        contact_phone: Set(new.contact_phone),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .on_unique(&[(&unique::UNIT_CREDIT_CODE, || {
        ServiceError::taken(
            "credit_code",
            "credit_code_taken",
            "a unit with this unified social credit code is already registered",
        )
    })])?;
    insert_grant(&txn, auth.account_id(), Role::UnitAdmin, Some(u.id), None).await?;
    audit::record(
        &txn,
        Change::new("unit", u.id, "created")
            .after(
                json!({"name": u.name, "credit_code": u.credit_code, "admin": auth.account_id()}),
            )
            .unit(u.id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(u))
}

/// Units by name, for a person looking for their employer.
pub async fn search(
    state: &AppState,
    auth: &Caller,
    q: Option<&str>,
    page: Page,
) -> Result<UnitPage, ServiceError> {
    require_account(auth)?;
    let mut query = unit::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(unit::Column::Name.like(crate::authz::like_contains(q)));
    }
    // A list: the replica's when one serves (`AppState::read_db`).
    let (rows, next_cursor) = page
        .load(state.read_db(), query, unit::Column::Id, false, |r| r.id)
        .await?;
    Ok(UnitPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<Unit, ServiceError> {
    require_account(auth)?;
    unit::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(view)
        .ok_or(ServiceError::NotFound("unit"))
}

/// R-ID-5: an admin changes the unit's details.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    change: UnitChange,
    if_match: Option<i32>,
) -> Result<Unit, ServiceError> {
    require_admin(auth, id)?;
    let u = unit::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("unit"))?;
    check_version(if_match, u.version)?;
    let mut am: unit::ActiveModel = u.clone().into();
    if let Some(n) = change.name {
        am.name = Set(n);
    }
    if let Some(a) = change.address {
        am.address = Set(Some(a));
    }
    if let Some(p) = change.contact_phone {
        am.contact_phone = Set(Some(p));
    }
    am.version = Set(u.version + 1);
    am.updated_at = Set(Utc::now());
    let after = json!({
        "name": am.name.as_ref(),
        "address": am.address.as_ref(),
        "contact_phone": am.contact_phone.as_ref(),
    });
    let txn = crate::db::begin_write(&state.db).await?;
    let res = unit::Entity::update_many()
        .set(am)
        .filter(unit::Column::Id.eq(id))
        .filter(unit::Column::Version.eq(u.version))
        .exec(&txn)
        .await?;
    crate::review::updated_once(res.rows_affected, u.version)?;
    audit::record(
        &txn,
        Change::new("unit", id, "updated")
            .before(json!({"name": u.name, "address": u.address, "contact_phone": u.contact_phone}))
            .after(after)
            .unit(id),
    )
    .await?;
    txn.commit().await?;
    get(state, auth, id).await
}

async fn person_name<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Option<String>, ServiceError> {
    let Some(a) = account::Entity::find_by_id(account_id).one(conn).await? else {
        return Ok(None);
    };
    Ok(match a.person_id {
        Some(pid) => person::Entity::find_by_id(pid)
            .one(conn)
            .await?
            .map(|p| p.name),
        None => a.username,
    })
}

/// Active admins and pending invitations.
pub async fn admins(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
) -> Result<AdminList, ServiceError> {
    require_admin(auth, unit_id)?;
    get(state, auth, unit_id).await?;
    let mut items = Vec::new();
    for g in grant::Entity::find()
        .filter(grant::Column::Role.eq(Role::UnitAdmin.as_str()))
        .filter(grant::Column::OrgId.eq(unit_id))
        .order_by_asc(grant::Column::Id)
        .all(&state.db)
        .await?
    {
        items.push(Admin {
            account_id: g.account_id,
            name: person_name(&state.db, g.account_id).await?,
            status: AdminStatus::Active,
            since: g.created_at,
        });
    }
    for i in pending_invitations(&state.db, unit_id).await? {
        items.push(Admin {
            account_id: i.account_id,
            name: person_name(&state.db, i.account_id).await?,
            status: AdminStatus::Invited,
            since: i.created_at,
        });
    }
    Ok(AdminList { items })
}

async fn pending_invitations<C: ConnectionTrait>(
    conn: &C,
    unit_id: Uuid,
) -> Result<Vec<admin_invitation::Model>, ServiceError> {
    Ok(admin_invitation::Entity::find()
        .filter(admin_invitation::Column::OrgType.eq("unit"))
        .filter(admin_invitation::Column::OrgId.eq(unit_id))
        .filter(admin_invitation::Column::Status.eq(InvitationStatus::Pending))
        .order_by_asc(admin_invitation::Column::Id)
        .all(conn)
        .await?)
}

async fn is_admin<C: ConnectionTrait>(
    conn: &C,
    unit_id: Uuid,
    account_id: Uuid,
) -> Result<bool, ServiceError> {
    Ok(grant::Entity::find()
        .filter(grant::Column::Role.eq(Role::UnitAdmin.as_str()))
        .filter(grant::Column::OrgId.eq(unit_id))
        .filter(grant::Column::AccountId.eq(account_id))
        .count(conn)
        .await?
        > 0)
}

/// R-ID-5: an admin invites another person's account as sub-account.
pub async fn invite(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    id_card_no: IdCardNo,
) -> Result<Admin, ServiceError> {
    require_admin(auth, unit_id)?;
    get(state, auth, unit_id).await?;
    let unknown = || {
        ServiceError::invalid_field(
            "account_unknown",
            "id_card_no",
            "no registered account has this ID number; the person registers first",
        )
    };
    let p = person::Entity::find()
        .filter(person::Column::IdCardHash.eq(state.pii.hash("id_card", id_card_no.as_ref())))
        .one(&state.db)
        .await?
        .ok_or_else(unknown)?;
    let a = account::Entity::find()
        .filter(account::Column::PersonId.eq(p.id))
        .one(&state.db)
        .await?
        .ok_or_else(unknown)?;
    if is_admin(&state.db, unit_id, a.id).await? {
        return Err(ServiceError::conflict(
            "already_admin",
            "this account is already an admin of the unit",
        ));
    }
    if pending_invitations(&state.db, unit_id)
        .await?
        .iter()
        .any(|i| i.account_id == a.id)
    {
        return Err(ServiceError::conflict(
            "already_invited",
            "this account has a pending invitation",
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let inv = admin_invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_type: Set("unit".into()),
        org_id: Set(unit_id),
        account_id: Set(a.id),
        status: Set(InvitationStatus::Pending),
        invited_by: Set(Some(auth.account_id())),
        created_at: Set(now),
        accepted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change::new("unit_admin_invitation", inv.id, "invited")
            .after(json!({"account_id": a.id, "status": InvitationStatus::Pending}))
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Admin {
        account_id: a.id,
        name: Some(p.name),
        status: AdminStatus::Invited,
        since: now,
    })
}

/// R-ID-5: the invited account accepts and becomes an admin.
pub async fn accept(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    account_id: Uuid,
) -> Result<Admin, ServiceError> {
    if auth.has_role(Role::Platform) {
        return Err(ServiceError::forbidden(
            "forbidden",
            "only the invited account may accept",
        ));
    }
    if auth.account_id() != account_id {
        return Err(ServiceError::NotFound("invitation"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let res = admin_invitation::Entity::update_many()
        .col_expr(
            admin_invitation::Column::Status,
            Expr::value(InvitationStatus::Accepted),
        )
        .col_expr(
            admin_invitation::Column::AcceptedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(admin_invitation::Column::OrgType.eq("unit"))
        .filter(admin_invitation::Column::OrgId.eq(unit_id))
        .filter(admin_invitation::Column::AccountId.eq(account_id))
        .filter(admin_invitation::Column::Status.eq(InvitationStatus::Pending))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("invitation"));
    }
    if !is_admin(&txn, unit_id, account_id).await? {
        insert_grant(&txn, account_id, Role::UnitAdmin, Some(unit_id), None).await?;
    }
    audit::record(
        &txn,
        Change::new("unit_admin", account_id, "accepted")
            .before(json!({"status": "invited"}))
            .after(json!({"status": "active", "grant": "unit_admin"}))
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Admin {
        account_id,
        name: person_name(&state.db, account_id).await?,
        status: AdminStatus::Active,
        since: Utc::now(),
    })
}

/// R-ID-5: removes an admin or withdraws an invitation; never the last admin.
pub async fn remove_admin(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    account_id: Uuid,
) -> Result<(), ServiceError> {
    require_admin(auth, unit_id)?;
    let txn = crate::db::begin_write(&state.db).await?;
    // Touch the unit row first: a write lock on both backends, so two admins
    // removing each other cannot both see "two admins left".
    let touched = unit::Entity::update_many()
        .col_expr(
            unit::Column::Version,
            Expr::col(unit::Column::Version).add(0),
        )
        .filter(unit::Column::Id.eq(unit_id))
        .exec(&txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(ServiceError::NotFound("unit"));
    }
    let withdrawn = admin_invitation::Entity::delete_many()
        .filter(admin_invitation::Column::OrgType.eq("unit"))
        .filter(admin_invitation::Column::OrgId.eq(unit_id))
        .filter(admin_invitation::Column::AccountId.eq(account_id))
        .filter(admin_invitation::Column::Status.eq(InvitationStatus::Pending))
        .exec(&txn)
        .await?
        .rows_affected;
    let admins = grant::Entity::find()
        .filter(grant::Column::Role.eq(Role::UnitAdmin.as_str()))
        .filter(grant::Column::OrgId.eq(unit_id))
        .all(&txn)
        .await?;
    let Some(g) = admins.iter().find(|g| g.account_id == account_id) else {
        if withdrawn > 0 {
            audit::record(
                &txn,
                Change::new("unit_admin", account_id, "invitation_withdrawn")
                    .before(json!({"status": "invited"}))
                    .unit(unit_id),
            )
            .await?;
            txn.commit().await?;
            return Ok(());
        }
        return Err(ServiceError::NotFound("admin"));
    };
    if admins.len() <= 1 {
        return Err(ServiceError::conflict(
            "last_admin",
            "a unit keeps at least one admin: invite the new admin first, then remove this one",
        ));
    }
    grant::Entity::delete_by_id(g.id).exec(&txn).await?;
    crate::cache::bump(&txn, crate::cache::Kind::Grants).await?;
    audit::record(
        &txn,
        Change::new("unit_admin", account_id, "removed")
            .before(json!({"status": "active", "grant": "unit_admin"}))
            .after(json!({"withdrawn_invitations": withdrawn}))
            .unit(unit_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
