//! Teacher rosters (师资) of units and providers (R-T-1): add, enable,
//! disable, delete. Only enabled teachers can be chosen for a class.

use crate::audit::{self, Change};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{provider, teacher, unit};

use crate::auth::{Caller, Role};
pub use crate::domain::party::OwnerType;
use crate::error::{ForeignKeyViolation, ServiceError};
use crate::pagination::Page;
use crate::review::check_version;
use crate::state::AppState;

impl OwnerType {
    fn as_str(self) -> &'static str {
        match self {
            OwnerType::Unit => "unit",
            OwnerType::Provider => "provider",
        }
    }

    fn role(self) -> Role {
        match self {
            OwnerType::Unit => Role::UnitAdmin,
            OwnerType::Provider => Role::ProviderAdmin,
        }
    }
}

/// A teacher on a roster.
#[derive(Debug, Clone)]
pub struct Teacher {
    pub id: Uuid,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    pub name: String,
    pub title: Option<String>,
    /// Only enabled teachers can teach or head a class (R-T-1).
    pub enabled: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub version: i32,
}

/// A page of teachers.
#[derive(Debug, Clone)]
pub struct TeacherPage {
    pub items: Vec<Teacher>,
    pub next_cursor: Option<String>,
}

/// A teacher change; absent fields stay.
#[derive(Debug, Default)]
pub struct TeacherChange {
    pub name: Option<String>,
    pub title: Option<String>,
    pub enabled: Option<bool>,
}

fn view(t: teacher::Model) -> Teacher {
    Teacher {
        id: t.id,
        owner_type: if t.owner_type == "provider" {
            OwnerType::Provider
        } else {
            OwnerType::Unit
        },
        owner_id: t.owner_id,
        name: t.name,
        title: t.title,
        enabled: t.enabled,
        created_at: t.created_at,
        version: t.version,
    }
}

/// The owner's admins manage its roster; hrss may read (and act).
fn require_owner(auth: &Caller, owner: OwnerType, owner_id: Uuid) -> Result<(), ServiceError> {
    crate::authz::require_scoped(auth, owner.role(), owner_id, true, "roster")
}

async fn owner_exists(state: &AppState, owner: OwnerType, id: Uuid) -> Result<(), ServiceError> {
    let found = match owner {
        OwnerType::Unit => unit::Entity::find_by_id(id).one(&state.db).await?.is_some(),
        OwnerType::Provider => provider::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(ServiceError::NotFound("roster"))
    }
}

pub async fn list(
    state: &AppState,
    auth: &Caller,
    owner: OwnerType,
    owner_id: Uuid,
    page: Page,
) -> Result<TeacherPage, ServiceError> {
    require_owner(auth, owner, owner_id)?;
    owner_exists(state, owner, owner_id).await?;
    let q = teacher::Entity::find()
        .filter(teacher::Column::OwnerType.eq(owner.as_str()))
        .filter(teacher::Column::OwnerId.eq(owner_id));
    let (rows, next_cursor) = page
        .load(&state.db, q, teacher::Column::Id, false, |r| r.id)
        .await?;
    Ok(TeacherPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

pub async fn create(
    state: &AppState,
    auth: &Caller,
    owner: OwnerType,
    owner_id: Uuid,
    name: String,
    title: Option<String>,
) -> Result<Teacher, ServiceError> {
    require_owner(auth, owner, owner_id)?;
    owner_exists(state, owner, owner_id).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let t = teacher::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_type: Set(owner.as_str().into()),
        owner_id: Set(owner_id),
        name: Set(name),
        title: Set(title),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        teacher_change(&t, "created")
            .after(json!({"name": t.name, "title": t.title, "enabled": t.enabled})),
    )
    .await?;
    txn.commit().await?;
    Ok(view(t))
}

/// A change of the teacher `t`; a unit's roster is the unit's to read.
fn teacher_change(t: &teacher::Model, action: &'static str) -> Change {
    Change::new("teacher", t.id, action)
        .unit((t.owner_type == OwnerType::Unit.as_str()).then_some(t.owner_id))
}

async fn find_for(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<teacher::Model, ServiceError> {
    let t = teacher::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("teacher"))?;
    let owner = view(t.clone()).owner_type;
    if !auth.has_role(Role::Hrss)
        && !auth.has_role(Role::UnitAdmin)
        && !auth.has_role(Role::ProviderAdmin)
    {
        return Err(ServiceError::forbidden(
            "forbidden",
            "rosters are managed by unit and provider admins",
        ));
    }
    match require_owner(auth, owner, t.owner_id) {
        Ok(()) => Ok(t),
        // Holding the other admin role is still "someone else's teacher".
        Err(_) => Err(ServiceError::NotFound("teacher")),
    }
}

/// R-T-1: enable, disable or rename.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    change: TeacherChange,
    if_match: Option<i32>,
) -> Result<Teacher, ServiceError> {
    let t = find_for(state, auth, id).await?;
    check_version(if_match, t.version)?;
    let mut am: teacher::ActiveModel = t.clone().into();
    if let Some(n) = change.name {
        am.name = Set(n);
    }
    if let Some(title) = change.title {
        am.title = Set(Some(title));
    }
    if let Some(e) = change.enabled {
        am.enabled = Set(e);
    }
    am.version = Set(t.version + 1);
    am.updated_at = Set(Utc::now());
    let after = json!({
        "name": am.name.as_ref(),
        "title": am.title.as_ref(),
        "enabled": am.enabled.as_ref(),
    });
    let txn = crate::db::begin_write(&state.db).await?;
    let res = teacher::Entity::update_many()
        .set(am)
        .filter(teacher::Column::Id.eq(id))
        .filter(teacher::Column::Version.eq(t.version))
        .exec(&txn)
        .await?;
    crate::review::updated_once(res.rows_affected, t.version)?;
    audit::record(
        &txn,
        teacher_change(&t, "updated")
            .before(json!({"name": t.name, "title": t.title, "enabled": t.enabled}))
            .after(after),
    )
    .await?;
    txn.commit().await?;
    teacher::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(view)
        .ok_or(ServiceError::NotFound("teacher"))
}

fn teacher_in_use_error() -> ServiceError {
    ServiceError::conflict(
        "teacher_in_use",
        "a class names this teacher; disable the teacher (PATCH enabled: false) instead",
    )
}

/// R-T-1: deletes a teacher no class refers to; one that teaches or heads
/// a class is disabled instead (409 `teacher_in_use`).
pub async fn delete(state: &AppState, auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    let t = find_for(state, auth, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    if teacher_in_use(&txn, t.id).await? {
        return Err(teacher_in_use_error());
    }
    teacher::Entity::delete_by_id(t.id)
        .exec(&txn)
        .await
        // A class that named the teacher since the check holds it by its
        // foreign key.
        .on_foreign_key(teacher_in_use_error)?;
    audit::record(
        &txn,
        teacher_change(&t, "deleted").before(json!({"name": t.name, "title": t.title})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// R-T-1: whether any class names the teacher (as teacher or head teacher).
pub async fn teacher_in_use<C: ConnectionTrait>(
    conn: &C,
    teacher_id: Uuid,
) -> Result<bool, ServiceError> {
    let teaching = ce_entity::class_teacher::Entity::find()
        .filter(ce_entity::class_teacher::Column::TeacherId.eq(teacher_id))
        .one(conn)
        .await?
        .is_some();
    let heading = ce_entity::class::Entity::find()
        .filter(ce_entity::class::Column::HeadTeacherId.eq(teacher_id))
        .one(conn)
        .await?
        .is_some();
    Ok(teaching || heading)
}
