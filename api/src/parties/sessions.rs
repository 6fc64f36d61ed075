//! Sessions that can end (issue 22): the refresh token of a sign-in, its
//! rotation with reuse detection, signing out, and the purge of what has
//! expired.
//!
//! - A person's or admin's sign-in (`accounts::login`, `login_verify`)
//!   answers a short-lived access token (`auth.token_ttl_seconds`, 15
//!   minutes) and an opaque refresh token (`auth.refresh_ttl_seconds`, 30
//!   days), the first of a new *family*. Platforms' client-credentials
//!   tokens get none: they ask for a new token with their secret.
//! - The refresh token is 32 random bytes; only its SHA-256 is stored
//!   (`refresh_tokens`), with the family, the access token issued with it
//!   and when it was spent or revoked.
//! - [`refresh`] spends the token and answers a new pair in the same
//!   family. A spent token presented again is *reuse* — a copy is in
//!   someone else's hands: the whole family is revoked, its access tokens
//!   that still live are denied, an audit event says so, and the answer is
//!   401 `refresh_token_reused`.
//! - [`sign_out`] revokes the caller's family and denies the caller's
//!   access token (and the family's other live ones) until they expire.
//! - A password reset revokes every family of the account
//!   ([`revoke_account`]) and denies their live access tokens.
//! - [`purge`] deletes SMS challenges past expiry, refresh tokens past
//!   expiry (spent or not: a spent one is kept until then to detect its
//!   reuse) and deny-list entries whose token has expired; [`run_purge`]
//!   runs it every `auth.purge_interval_seconds`.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use ce_entity::{account, auth_challenge, denied_token, refresh_token};

use crate::audit::{self, Change};
use crate::auth::{Caller, Claims, Role};
use crate::crypto::random_bytes;
use crate::error::ServiceError;
use crate::parties::views::TokenResponse;
use crate::state::AppState;

/// Every refresh token starts so, to be told apart from other secrets
/// (secret scanners, logs).
const PREFIX: &str = "rt_";

/// A deny-list entry outlives its token by the verifier's leeway and more.
const DENY_MARGIN_SECONDS: i64 = 60;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

fn invalid() -> ServiceError {
    ServiceError::unauthorized(
        "refresh_token_invalid",
        "the refresh token is unknown; sign in again",
    )
}

fn expired() -> ServiceError {
    ServiceError::unauthorized(
        "refresh_token_expired",
        "the refresh token has expired; sign in again",
    )
}

fn revoked() -> ServiceError {
    ServiceError::unauthorized(
        "refresh_token_revoked",
        "the session was signed out or revoked; sign in again",
    )
}

fn reused() -> ServiceError {
    ServiceError::unauthorized(
        "refresh_token_reused",
        "the refresh token was already used: the session is revoked; sign in again",
    )
}

/// An access token just issued, with what the deny list needs of it.
struct Access {
    token: String,
    jti: Uuid,
    expires_at: DateTime<Utc>,
}

/// Issues an access token for an account with the grants it holds.
fn issue_access(
    state: &AppState,
    account_id: Uuid,
    grants: Vec<crate::auth::Grant>,
) -> Result<Access, ServiceError> {
    let ttl = state.settings.auth.token_ttl_seconds;
    let token = state.jwt.issue(account_id, grants, vec![], ttl)?;
    let claims: Claims = state
        .jwt
        .verify(&token)
        .map_err(|e| anyhow::anyhow!("a token just issued does not verify: {e:?}"))?;
    Ok(Access {
        token,
        jti: claims.jti,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now),
    })
}

/// Stores the refresh token that goes with `access` in `family`.
async fn insert_refresh<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    account_id: Uuid,
    family_id: Uuid,
    access: &Access,
) -> Result<String, ServiceError> {
    let token = new_token();
    let now = Utc::now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        account_id: Set(account_id),
        token_hash: Set(token_hash(&token)),
        access_jti: Set(access.jti),
        access_expires_at: Set(access.expires_at),
        expires_at: Set(now + Duration::seconds(i64::from(state.settings.auth.refresh_ttl_seconds))),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

fn token_response(state: &AppState, access: Access, refresh: String) -> TokenResponse {
    TokenResponse {
        access_token: access.token,
        token_type: "Bearer".into(),
        expires_in: state.settings.auth.token_ttl_seconds,
        refresh_token: Some(refresh),
        refresh_expires_in: Some(state.settings.auth.refresh_ttl_seconds),
    }
}

/// A new session for an account that just signed in: the access token
/// and the first refresh token of a new family, stored in the sign-in's
/// transaction. Answers the token response and the family's id.
pub async fn start<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    account_id: Uuid,
) -> Result<(TokenResponse, Uuid), ServiceError> {
    let grants = crate::parties::grants::grants_of(conn, account_id).await?;
    let access = issue_access(state, account_id, grants)?;
    let family_id = Uuid::now_v7();
    let refresh = insert_refresh(conn, state, account_id, family_id, &access).await?;
    Ok((token_response(state, access, refresh), family_id))
}

/// Revokes the families `filter` selects and denies their access tokens
/// that still live; answers the tokens denied, for this process's list.
async fn revoke_where<C: ConnectionTrait>(
    conn: &C,
    filter: sea_orm::Condition,
    account_id: Uuid,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, ServiceError> {
    let now = Utc::now();
    let live: Vec<(Uuid, DateTime<Utc>)> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::AccessJti)
        .column(refresh_token::Column::AccessExpiresAt)
        .filter(filter.clone())
        .filter(refresh_token::Column::AccessExpiresAt.gt(now))
        .into_tuple()
        .all(conn)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(filter)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    let denied: Vec<(Uuid, DateTime<Utc>)> = live
        .into_iter()
        .map(|(jti, exp)| (jti, exp + Duration::seconds(DENY_MARGIN_SECONDS)))
        .collect();
    deny(conn, account_id, &denied).await?;
    Ok(denied)
}

/// Writes deny-list entries (one already there stays).
async fn deny<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    tokens: &[(Uuid, DateTime<Utc>)],
) -> Result<(), ServiceError> {
    if tokens.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    denied_token::Entity::insert_many(tokens.iter().map(|(jti, exp)| denied_token::ActiveModel {
        jti: Set(*jti),
        account_id: Set(account_id),
        expires_at: Set(*exp),
        created_at: Set(now),
    }))
    .on_conflict(
        OnConflict::column(denied_token::Column::Jti)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// `POST /auth/refresh`: spends the refresh token and answers the next
/// pair of the same family; a spent token again revokes the family.
pub async fn refresh(state: &AppState, token: &str) -> Result<TokenResponse, ServiceError> {
    let token = token.trim();
    if !token.starts_with(PREFIX) {
        return Err(invalid());
    }
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
        .one(&state.db)
        .await?
    else {
        return Err(invalid());
    };
    if row.revoked_at.is_some() {
        return Err(revoked());
    }
    let now = Utc::now();
    if row.expires_at <= now {
        return Err(expired());
    }
    let person_id = account::Entity::find_by_id(row.account_id)
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?
        .person_id;
    audit::acting_as(row.account_id);
    let txn = crate::db::begin_write(&state.db).await?;
    // Spend it exactly once, even when two refreshes race with it.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        let denied = revoke_where(
            &txn,
            sea_orm::Condition::all().add(refresh_token::Column::FamilyId.eq(row.family_id)),
            row.account_id,
        )
        .await?;
        audit::record(
            &txn,
            Change::new("session", row.family_id, "refresh_token_reused")
                .before(json!({"used_at": row.used_at}))
                .after(json!({"revoked": true, "access_tokens_denied": denied.len()}))
                .person(person_id),
        )
        .await?;
        txn.commit().await?;
        for (jti, exp) in denied {
            state.denied.deny(jti, exp);
        }
        tracing::warn!(family_id = %row.family_id, "a spent refresh token was presented again: the session is revoked");
        return Err(reused());
    }
    let grants = crate::parties::grants::grants_of(&txn, row.account_id).await?;
    if grants.is_empty() {
        return Err(invalid());
    }
    let access = issue_access(state, row.account_id, grants)?;
    let next = insert_refresh(&txn, state, row.account_id, row.family_id, &access).await?;
    audit::record(
        &txn,
        Change::new("session", row.family_id, "refreshed")
            .after(json!({"access_jti": access.jti}))
            .person(person_id),
    )
    .await?;
    txn.commit().await?;
    Ok(token_response(state, access, next))
}

/// `POST /auth/logout`: the caller's access token is refused from now on
/// (on this process at once, on the others within
/// `auth.deny_list_refresh_ms`), and the refresh family it came with is
/// revoked.
pub async fn sign_out(state: &AppState, caller: &Caller) -> Result<(), ServiceError> {
    let jti = caller.claims.jti;
    let exp = DateTime::from_timestamp(caller.claims.exp, 0).unwrap_or_else(Utc::now)
        + Duration::seconds(DENY_MARGIN_SECONDS);
    let account_id = caller.account_id();
    let person_id = caller
        .grants()
        .iter()
        .find(|g| g.role == Role::Person)
        .and_then(|g| g.person_id);
    let txn = crate::db::begin_write(&state.db).await?;
    let family: Option<Uuid> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::FamilyId)
        .filter(refresh_token::Column::AccessJti.eq(jti))
        .filter(refresh_token::Column::AccountId.eq(account_id))
        .into_tuple()
        .one(&txn)
        .await?;
    let mut denied = match family {
        Some(f) => {
            revoke_where(
                &txn,
                sea_orm::Condition::all().add(refresh_token::Column::FamilyId.eq(f)),
                account_id,
            )
            .await?
        }
        None => vec![],
    };
    if !denied.iter().any(|(j, _)| *j == jti) {
        deny(&txn, account_id, &[(jti, exp)]).await?;
        denied.push((jti, exp));
    }
    audit::record(
        &txn,
        Change::new("session", family.unwrap_or(jti), "signed_out")
            .after(json!({"access_tokens_denied": denied.len(), "refresh_family_revoked": family.is_some()}))
            .person(person_id),
    )
    .await?;
    txn.commit().await?;
    for (jti, exp) in denied {
        state.denied.deny(jti, exp);
    }
    Ok(())
}

/// Revokes every session of an account (a password reset), inside the
/// caller's transaction; answers the access tokens denied, which the
/// caller adds to this process's list after committing.
pub async fn revoke_account<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, ServiceError> {
    revoke_where(
        conn,
        sea_orm::Condition::all().add(refresh_token::Column::AccountId.eq(account_id)),
        account_id,
    )
    .await
}

/// What a purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub challenges: u64,
    pub refresh_tokens: u64,
    pub denied_tokens: u64,
}

/// Deletes what expired before `now`: SMS challenges (login and password
/// reset codes), refresh tokens and deny-list entries.
pub async fn purge<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<Purged, ServiceError> {
    let challenges = auth_challenge::Entity::delete_many()
        .filter(auth_challenge::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected;
    let refresh_tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected;
    let denied_tokens = denied_token::Entity::delete_many()
        .filter(denied_token::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(Purged {
        challenges,
        refresh_tokens,
        denied_tokens,
    })
}

/// Purges every `auth.purge_interval_seconds` (the first after one
/// interval) until the process ends. Several processes may purge the same
/// rows; deleting what is gone is harmless.
pub async fn run_purge(state: AppState) {
    let every = std::time::Duration::from_secs(state.settings.auth.purge_interval_seconds.max(1));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match purge(&state.db, state.clock.now()).await {
            Ok(p) => tracing::info!(
                challenges = p.challenges,
                refresh_tokens = p.refresh_tokens,
                denied_tokens = p.denied_tokens,
                "purged what has expired"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the purge failed; trying again at the next interval")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_stored_as_their_hash() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
