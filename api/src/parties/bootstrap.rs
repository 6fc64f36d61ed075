//! The first `hrss` account, from `BOOTSTRAP_HRSS_PASSWORD`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use ce_entity::{account, grant};

use crate::auth::{Role, password};
use crate::domain::Password;
use crate::parties::accounts::insert_grant;
use crate::state::AppState;

/// The account name of the bootstrapped administrator.
pub const HRSS_ADMIN: &str = "hrss-admin";

/// When a password is configured and no account holds `hrss`, creates
/// `hrss-admin` with that role. A weak password stops the start-up.
pub async fn ensure_hrss_admin(state: &AppState) -> anyhow::Result<()> {
    let Some(pw) = state.settings.bootstrap_hrss_password.as_deref() else {
        return Ok(());
    };
    let exists = grant::Entity::find()
        .filter(grant::Column::Role.eq(Role::Hrss.as_str()))
        .one(&state.db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    let pw = Password::parse(pw)
        .map_err(|e| anyhow::anyhow!("BOOTSTRAP_HRSS_PASSWORD: {}", e.message))?;
    let hash = password::hash_patiently(&state.hashing, pw.expose().to_string()).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    account::ActiveModel {
        id: Set(id),
        username: Set(Some(HRSS_ADMIN.into())),
        person_id: Set(None),
        password_hash: Set(hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_grant(&txn, id, Role::Hrss, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    tracing::info!(account = HRSS_ADMIN, "created the bootstrap hrss account");
    Ok(())
}
