//! Registration, login with the SMS second factor, lock-out, password
//! reset, and the caller's own view (R-ID-1, R-ID-3).

use crate::audit::{self, Change};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{account, auth_challenge, grant, person, platform};

use crate::auth::{Grant, Role, password};
use crate::crypto::{digest_eq, random_bytes};
use crate::db::unique;
use crate::domain::{IdCardNo, Password, PersonName, Phone};
use crate::error::{ServiceError, UniqueViolation};
use crate::parties::views::{
    LoginResponse, Me, MfaChallenge, PasswordResetStarted, PrincipalKind, TokenResponse,
};
use crate::parties::{persons, sessions, sms};
use crate::state::AppState;

/// A self-registration, parsed.
#[derive(Debug)]
pub struct Registration {
    pub name: PersonName,
    pub id_card_no: IdCardNo,
    pub phone: Phone,
    pub password: Password,
}

const PURPOSE_LOGIN: &str = "login";
const PURPOSE_RESET: &str = "password_reset";

/// R-ID-1: one ID number, one person. Creates the person, its account and
/// the `person` grant in one transaction.
pub async fn register(state: &AppState, reg: Registration) -> Result<Me, ServiceError> {
    let id_hash = state.pii.hash("id_card", reg.id_card_no.as_ref());
    let phone_hash = state.pii.hash("phone", reg.phone.as_ref());
    if person::Entity::find()
        .filter(person::Column::IdCardHash.eq(&id_hash))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(already_registered());
    }
    if person::Entity::find()
        .filter(person::Column::PhoneHash.eq(&phone_hash))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(persons::phone_taken());
    }
    let password_hash =
        password::hash_on(&state.hashing, reg.password.expose().to_string()).await?;
    let now = Utc::now();
    let person_id = Uuid::now_v7();
    let account_id = Uuid::now_v7();

    let txn = crate::db::begin_write(&state.db).await?;
    let p = person::ActiveModel {
        id: Set(person_id),
        name: Set(reg.name.as_ref().to_string()),
        id_card_hash: Set(id_hash),
        id_card_enc: Set(state.pii.encrypt(reg.id_card_no.as_ref())?),
        id_card_masked: Set(reg.id_card_no.masked()),
        phone_hash: Set(Some(phone_hash)),
        phone_enc: Set(Some(state.pii.encrypt(reg.phone.as_ref())?)),
        phone_masked: Set(Some(reg.phone.masked())),
        verified: Set(false),
        education: Set(None),
        title: Set(None),
        region: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    // A concurrent registration of the same number or phone loses here.
    .on_unique(&[
        (&unique::PERSON_ID_NUMBER, already_registered),
        (&unique::PERSON_PHONE, persons::phone_taken),
    ])?;
    let a = account::ActiveModel {
        id: Set(account_id),
        username: Set(None),
        person_id: Set(Some(person_id)),
        password_hash: Set(password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_grant(&txn, account_id, Role::Person, None, Some(person_id)).await?;
    audit::acting_as(account_id);
    audit::record(
        &txn,
        Change::new("account", account_id, "registered")
            .after(json!({"person_id": person_id, "grants": ["person"]}))
            .person(person_id),
    )
    .await?;
    txn.commit().await?;

    Ok(Me {
        id: a.id,
        person_id: Some(person_id),
        kind: PrincipalKind::Account,
        username: None,
        name: Some(p.name.clone()),
        grants: vec![Grant {
            role: Role::Person,
            org_id: None,
            person_id: Some(person_id),
        }],
        scopes: vec![],
        person: Some(crate::parties::persons::view(state, &state.db, &p, true).await?),
    })
}

fn already_registered() -> ServiceError {
    ServiceError::taken(
        "id_card_no",
        "already_registered",
        "this ID number is already registered (证件号码已注册); sign in or recover the password",
    )
}

/// Adds a role grant to an account.
pub async fn insert_grant<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    role: Role,
    org_id: Option<Uuid>,
    person_id: Option<Uuid>,
) -> Result<(), ServiceError> {
    grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        role: Set(role.as_str().into()),
        org_id: Set(org_id),
        person_id: Set(person_id),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    crate::cache::bump(conn, crate::cache::Kind::Grants).await
}

/// Finds the account an `account` login field names: an ID number, a phone
/// or an account name.
async fn find_account(
    state: &AppState,
    login: &str,
) -> Result<Option<(account::Model, Option<person::Model>)>, ServiceError> {
    let login = login.trim();
    let by_person = |col: person::Column, hash: String| async move {
        let Some(p) = person::Entity::find()
            .filter(col.eq(hash))
            .one(&state.db)
            .await?
        else {
            return Ok::<_, ServiceError>(None);
        };
        let a = account::Entity::find()
            .filter(account::Column::PersonId.eq(p.id))
            .one(&state.db)
            .await?;
        Ok(a.map(|a| (a, Some(p))))
    };
    if let Ok(id) = IdCardNo::parse(login) {
        return by_person(
            person::Column::IdCardHash,
            state.pii.hash("id_card", id.as_ref()),
        )
        .await;
    }
    if let Ok(phone) = Phone::parse(login) {
        return by_person(
            person::Column::PhoneHash,
            state.pii.hash("phone", phone.as_ref()),
        )
        .await;
    }
    let a = account::Entity::find()
        .filter(account::Column::Username.eq(login))
        .one(&state.db)
        .await?;
    match a {
        None => Ok(None),
        Some(a) => {
            let p = match a.person_id {
                Some(pid) => person::Entity::find_by_id(pid).one(&state.db).await?,
                None => None,
            };
            Ok(Some((a, p)))
        }
    }
}

fn invalid_credentials() -> ServiceError {
    ServiceError::unauthorized("invalid_credentials", "the account or password is wrong")
}

fn code_invalid() -> ServiceError {
    ServiceError::unauthorized(
        "code_invalid",
        "the code is wrong, used or expired; request a new one",
    )
}

fn check_not_locked(a: &account::Model) -> Result<(), ServiceError> {
    match a.locked_until {
        Some(until) if until > Utc::now() => Err(ServiceError::Locked { until }),
        _ => Ok(()),
    }
}

/// Counts one failure; the threshold-th consecutive one locks the account
/// (R-ID-3). Returns the lock when this failure set it.
async fn record_failure(
    state: &AppState,
    account_id: Uuid,
) -> Result<Option<ServiceError>, ServiceError> {
    let auth = &state.settings.auth;
    account::Entity::update_many()
        .col_expr(
            account::Column::FailedLogins,
            Expr::col(account::Column::FailedLogins).add(1),
        )
        .filter(account::Column::Id.eq(account_id))
        .exec(&state.db)
        .await?;
    let Some(a) = account::Entity::find_by_id(account_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if a.failed_logins >= auth.lockout_threshold as i32 {
        let until = Utc::now() + Duration::minutes(i64::from(auth.lockout_minutes));
        let txn = crate::db::begin_write(&state.db).await?;
        account::Entity::update_many()
            .col_expr(account::Column::FailedLogins, Expr::value(0))
            .col_expr(account::Column::LockedUntil, Expr::value(Some(until)))
            .col_expr(account::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(account::Column::Id.eq(account_id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            Change::new("account", account_id, "locked")
                .before(json!({"locked_until": null}))
                .after(json!({"locked_until": until, "failed_logins": a.failed_logins}))
                .person(a.person_id),
        )
        .await?;
        txn.commit().await?;
        tracing::warn!(account_id = %account_id, "account locked after repeated failures");
        return Ok(Some(ServiceError::Locked { until }));
    }
    Ok(None)
}

/// A successful login: the failure count starts again, a session starts
/// (the access token and the first refresh token of a new family,
/// `parties::sessions`), and the login is an audit event.
async fn logged_in(
    state: &AppState,
    a: &account::Model,
    factor: &str,
) -> Result<TokenResponse, ServiceError> {
    audit::acting_as(a.id);
    let txn = crate::db::begin_write(&state.db).await?;
    account::Entity::update_many()
        .col_expr(account::Column::FailedLogins, Expr::value(0))
        .col_expr(
            account::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await?;
    let (tokens, session_id) = sessions::start(&txn, state, a.id).await?;
    audit::record(
        &txn,
        Change::new("account", a.id, "logged_in")
            .after(json!({"factor": factor, "session_id": session_id}))
            .person(a.person_id),
    )
    .await?;
    txn.commit().await?;
    Ok(tokens)
}

pub use crate::parties::grants::grants_of;

/// The roles an account holds now, for authenticating a request: from
/// the process's memory (`AppState::grants`), which forgets every
/// account's when a grant changes anywhere (`crate::cache`).
pub async fn grants_held(state: &AppState, account_id: Uuid) -> Result<Vec<Grant>, ServiceError> {
    if let Some(g) = state.grants.get(&account_id) {
        return Ok(g);
    }
    let ticket = state.grants.ticket();
    let g = grants_of(&state.db, account_id).await?;
    state.grants.put(ticket, account_id, g.clone());
    Ok(g)
}

/// A six-digit code.
fn new_code() -> String {
    let n = u32::from_be_bytes(random_bytes::<4>()) % 1_000_000;
    format!("{n:06}")
}

fn code_hash(state: &AppState, challenge_id: Uuid, code: &str) -> String {
    state
        .pii
        .secret_hash("sms-code", &[challenge_id.as_bytes(), code.as_bytes()])
}

/// Creates a challenge and its SMS in one transaction, then sends the SMS.
async fn send_challenge(
    state: &AppState,
    a: &account::Model,
    p: Option<&person::Model>,
    purpose: &str,
) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    let code = new_code();
    // The clock port: a challenge's expiry is a rule on time (and the
    // purge, which reads the same clock, deletes it after).
    let now = state.clock.now();
    let phone = match p.and_then(|p| p.phone_enc.as_ref()) {
        Some(enc) => Some(Phone::parse(&state.pii.decrypt(enc)?)?),
        None => None,
    };
    let minutes = state.settings.auth.code_ttl_seconds.div_ceil(60);
    let body = match purpose {
        PURPOSE_RESET => {
            format!("【继续教育】您正在找回密码，验证码 {code}，{minutes} 分钟内有效。")
        }
        _ => format!("【继续教育】登录验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。"),
    };
    let txn = crate::db::begin_write(&state.db).await?;
    auth_challenge::ActiveModel {
        id: Set(id),
        account_id: Set(a.id),
        purpose: Set(purpose.into()),
        code_hash: Set(code_hash(state, id, &code)),
        attempts: Set(0),
        expires_at: Set(now + Duration::seconds(i64::from(state.settings.auth.code_ttl_seconds))),
        consumed_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let msg = sms::enqueue(&txn, &state.pii, Some(a.id), phone.as_ref(), purpose, body).await?;
    audit::acting_as(a.id);
    let action = match purpose {
        PURPOSE_RESET => "password_reset_requested",
        _ => "login_challenged",
    };
    audit::record(
        &txn,
        Change::new("account", a.id, action)
            .after(json!({"challenge_id": id}))
            .person(a.person_id),
    )
    .await?;
    txn.commit().await?;
    sms::dispatch(&state.db, &state.sms, msg).await;
    Ok(id)
}

/// Checks a challenge's code; on success consumes it and returns its account.
async fn redeem_challenge(
    state: &AppState,
    challenge_id: Uuid,
    purpose: &str,
    code: &str,
    count_towards_lockout: bool,
) -> Result<account::Model, ServiceError> {
    let now = state.clock.now();
    let Some(c) = auth_challenge::Entity::find_by_id(challenge_id)
        .filter(auth_challenge::Column::Purpose.eq(purpose))
        .one(&state.db)
        .await?
    else {
        return Err(code_invalid());
    };
    let max = state.settings.auth.code_max_attempts as i32;
    if c.consumed_at.is_some() || c.expires_at <= now || c.attempts >= max {
        return Err(code_invalid());
    }
    let Some(a) = account::Entity::find_by_id(c.account_id)
        .one(&state.db)
        .await?
    else {
        return Err(code_invalid());
    };
    if count_towards_lockout {
        check_not_locked(&a)?;
    }
    if !digest_eq(&code_hash(state, c.id, code.trim()), &c.code_hash) {
        auth_challenge::Entity::update_many()
            .col_expr(
                auth_challenge::Column::Attempts,
                Expr::col(auth_challenge::Column::Attempts).add(1),
            )
            .filter(auth_challenge::Column::Id.eq(c.id))
            .exec(&state.db)
            .await?;
        if count_towards_lockout && let Some(locked) = record_failure(state, a.id).await? {
            return Err(locked);
        }
        return Err(code_invalid());
    }
    // Consume exactly once, even when two requests race with the right code.
    let res = auth_challenge::Entity::update_many()
        .col_expr(auth_challenge::Column::ConsumedAt, Expr::value(Some(now)))
        .filter(auth_challenge::Column::Id.eq(c.id))
        .filter(auth_challenge::Column::ConsumedAt.is_null())
        .exec(&state.db)
        .await?;
    if res.rows_affected != 1 {
        return Err(code_invalid());
    }
    Ok(a)
}

/// R-ID-3: account + password, then (when required) an SMS code.
pub async fn login(
    state: &AppState,
    login: &str,
    password_text: &str,
) -> Result<LoginResponse, ServiceError> {
    let Some((a, p)) = find_account(state, login).await? else {
        // Same work as for a real account, so timing does not tell.
        password::verify_nobody_on(&state.hashing, password_text.into()).await?;
        return Err(invalid_credentials());
    };
    check_not_locked(&a)?;
    if !password::verify_on(
        &state.hashing,
        password_text.into(),
        a.password_hash.clone(),
    )
    .await?
    {
        if let Some(locked) = record_failure(state, a.id).await? {
            return Err(locked);
        }
        return Err(invalid_credentials());
    }
    if state.settings.mfa_required {
        let challenge_id = send_challenge(state, &a, p.as_ref(), PURPOSE_LOGIN).await?;
        return Ok(LoginResponse::Mfa(MfaChallenge {
            mfa_required: true,
            challenge_id,
        }));
    }
    Ok(LoginResponse::Token(
        logged_in(state, &a, "password").await?,
    ))
}

/// The second step of a login.
pub async fn login_verify(
    state: &AppState,
    challenge_id: Uuid,
    code: &str,
) -> Result<TokenResponse, ServiceError> {
    let a = redeem_challenge(state, challenge_id, PURPOSE_LOGIN, code, true).await?;
    logged_in(state, &a, "sms_code").await
}

/// R-ID-3 password recovery: a code to the bound phone. The answer is the
/// same whether or not the account exists.
pub async fn password_reset_start(
    state: &AppState,
    login: &str,
) -> Result<PasswordResetStarted, ServiceError> {
    let challenge_id = match find_account(state, login).await? {
        Some((a, p)) => send_challenge(state, &a, p.as_ref(), PURPOSE_RESET).await?,
        None => {
            // Kept too: someone asked for an account that does not exist.
            audit::record(
                &state.db,
                Change::about("account", "password_reset_requested")
                    .after(json!({"account": "unknown"})),
            )
            .await?;
            Uuid::now_v7()
        }
    };
    Ok(PasswordResetStarted { challenge_id })
}

/// Sets the new password, unlocks the account and ends its sessions: every
/// refresh family is revoked and their access tokens that still live are
/// denied (whoever knew the old password may hold one).
pub async fn password_reset_confirm(
    state: &AppState,
    challenge_id: Uuid,
    code: &str,
    new_password: Password,
) -> Result<(), ServiceError> {
    let a = redeem_challenge(state, challenge_id, PURPOSE_RESET, code, false).await?;
    let hash = password::hash_on(&state.hashing, new_password.expose().to_string()).await?;
    audit::acting_as(a.id);
    let txn = crate::db::begin_write(&state.db).await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .col_expr(account::Column::FailedLogins, Expr::value(0))
        .col_expr(
            account::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await?;
    let denied = sessions::revoke_account(&txn, a.id).await?;
    audit::record(
        &txn,
        Change::new("account", a.id, "password_reset")
            .before(json!({"locked_until": a.locked_until}))
            .after(json!({"locked_until": null, "sessions_revoked": true, "access_tokens_denied": denied.len()}))
            .person(a.person_id),
    )
    .await?;
    txn.commit().await?;
    for (jti, exp) in denied {
        state.denied.deny(jti, exp);
    }
    Ok(())
}

/// The caller's own view (`GET /me`): fresh from the database, not the token.
pub async fn me(state: &AppState, auth: &crate::auth::Caller) -> Result<Me, ServiceError> {
    let principal = auth.account_id();
    let is_platform = auth.has_role(Role::Platform);
    let scopes = auth.scopes().to_vec();
    if is_platform {
        let pf = platform::Entity::find_by_id(principal)
            .one(&state.db)
            .await?
            .ok_or(ServiceError::NotFound("platform"))?;
        return Ok(Me {
            id: pf.id,
            person_id: None,
            kind: PrincipalKind::Platform,
            username: None,
            name: Some(pf.name),
            grants: vec![Grant {
                role: Role::Platform,
                org_id: Some(pf.id),
                person_id: None,
            }],
            scopes,
            person: None,
        });
    }
    let a = account::Entity::find_by_id(principal)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("account"))?;
    let person = match a.person_id {
        Some(pid) => match person::Entity::find_by_id(pid).one(&state.db).await? {
            Some(p) => Some(crate::parties::persons::view(state, &state.db, &p, true).await?),
            None => None,
        },
        None => None,
    };
    Ok(Me {
        id: a.id,
        person_id: person.as_ref().map(|p| p.id),
        kind: PrincipalKind::Account,
        username: a.username,
        name: person.as_ref().map(|p| p.name.clone()),
        grants: grants_of(&state.db, a.id).await?,
        scopes: vec![],
        person,
    })
}
