//! Learning-platform clients: created by hrss, authenticated by client
//! credentials (RFC 6749 §4.4).
//!
//! Client secrets are 256 random bits, so a keyed SHA-256 hash protects them
//! as well as a slow password hash would — and keeps token issue cheap under
//! load (ralph#320 lost 180 ms a request to password hashing).

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::BTreeSet;

use base64::Engine;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use ce_entity::{platform, professional_series};

use crate::auth::{Caller, Grant, Role};
use crate::crypto::{digest_eq, random_bytes};
use crate::db::unique;
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::views::{Category, Platform, PlatformCreated, PlatformPage, TokenResponse};
use crate::state::AppState;

/// The scope every platform token carries.
pub const SCOPE_RECORDS_PUSH: &str = "records:push";

/// A new platform, parsed.
#[derive(Debug)]
pub struct NewPlatform {
    pub name: String,
    pub categories: BTreeSet<Category>,
    pub series_families: BTreeSet<String>,
}

fn secret_hash(state: &AppState, client_id: &str, secret: &str) -> String {
    state
        .pii
        .secret_hash("client-secret", &[client_id.as_bytes(), secret.as_bytes()])
}

fn view(m: platform::Model) -> Platform {
    Platform {
        id: m.id,
        name: m.name,
        client_id: m.client_id,
        categories: serde_json::from_value(m.categories).unwrap_or_default(),
        series_families: serde_json::from_value(m.series_families).unwrap_or_default(),
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    }
}

/// Creates a platform client; the secret is in the answer and nowhere else.
pub async fn create(
    state: &AppState,
    auth: &Caller,
    new: NewPlatform,
) -> Result<PlatformCreated, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "platforms are registered by hrss")?;
    let created_by = auth.account_id();
    let known: BTreeSet<String> = professional_series::Entity::find()
        .select_only()
        .column(professional_series::Column::Family)
        .distinct()
        .into_tuple::<String>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    if let Some(unknown) = new.series_families.iter().find(|f| !known.contains(*f)) {
        return Err(ServiceError::invalid_field(
            "series_family_unknown",
            "series_families",
            format!(
                "{unknown:?} is not a series family; known: {}",
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let client_id = format!("pf_{}", hex::encode(random_bytes::<12>()));
    let client_secret = e.encode(random_bytes::<32>());
    let txn = crate::db::begin_write(&state.db).await?;
    let m = platform::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        client_id: Set(client_id.clone()),
        secret_hash: Set(secret_hash(state, &client_id, &client_secret)),
        categories: Set(serde_json::to_value(&new.categories).map_err(anyhow::Error::from)?),
        series_families: Set(
            serde_json::to_value(&new.series_families).map_err(anyhow::Error::from)?
        ),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await
    // 96 random bits: a second platform with this client id would be a
    // collision, answered like any other duplicate.
    .on_unique(&[(&unique::PLATFORM_CLIENT_ID, || {
        ServiceError::conflict("platform_exists", "a platform with this client id exists")
    })])?;
    audit::record(
        &txn,
        Change::new("platform", m.id, "created").after(json!({
            "name": m.name,
            "client_id": m.client_id,
            "categories": m.categories,
            "series_families": m.series_families,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(PlatformCreated {
        platform: view(m),
        client_secret,
    })
}

/// A page of platforms, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    page: Page,
) -> Result<PlatformPage, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "platforms are listed for hrss")?;
    let q = platform::Entity::find();
    let (rows, next_cursor) = page
        .load(&state.db, q, platform::Column::Id, false, |r| r.id)
        .await?;
    Ok(PlatformPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// One platform: hrss sees all; a platform sees itself; nobody else
/// learns it exists.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<Platform, ServiceError> {
    if !crate::authz::holds_any(auth, Role::Hrss) {
        crate::authz::require_scoped(auth, Role::Platform, id, false, "platform")?;
    }
    platform::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(view)
        .ok_or(ServiceError::NotFound("platform"))
}

/// Revokes a platform: no new tokens from now on. Revoking twice is fine.
pub async fn revoke(state: &AppState, auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "platforms are revoked by hrss")?;
    let exists = platform::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .is_some();
    if !exists {
        return Err(ServiceError::NotFound("platform"));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let res = platform::Entity::update_many()
        .col_expr(platform::Column::RevokedAt, Expr::value(Some(now)))
        .filter(platform::Column::Id.eq(id))
        .filter(platform::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let change = Change::new("platform", id, "revoked");
    let change = if res.rows_affected == 1 {
        change
            .before(json!({"revoked_at": null}))
            .after(json!({"revoked_at": now}))
    } else {
        change.after(json!({"already_revoked": true}))
    };
    audit::record(&txn, change).await?;
    txn.commit().await?;
    Ok(())
}

/// `grant_type=client_credentials`: one indexed read and one HMAC.
pub async fn token(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
) -> Result<TokenResponse, ServiceError> {
    let invalid = || {
        ServiceError::unauthorized(
            "invalid_client",
            "the client id or secret is wrong, or the client is revoked",
        )
    };
    let Some(p) = platform::Entity::find()
        .filter(platform::Column::ClientId.eq(client_id))
        .one(&state.db)
        .await?
    else {
        return Err(invalid());
    };
    if p.revoked_at.is_some()
        || !digest_eq(
            &secret_hash(state, client_id, client_secret),
            &p.secret_hash,
        )
    {
        return Err(invalid());
    }
    let ttl = state.settings.auth.platform_token_ttl_seconds;
    let grants = vec![Grant {
        role: Role::Platform,
        org_id: Some(p.id),
        person_id: None,
    }];
    let access_token = state
        .jwt
        .issue(p.id, grants, vec![SCOPE_RECORDS_PUSH.into()], ttl)?;
    audit::acting_as_platform(p.id);
    audit::record(
        &state.db,
        Change::new("platform", p.id, "token_issued")
            .after(json!({"scopes": [SCOPE_RECORDS_PUSH], "expires_in": ttl})),
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ttl,
        refresh_token: None,
        refresh_expires_in: None,
    })
}
