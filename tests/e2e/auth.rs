//! Accounts and auth (R-ID-1, R-ID-3).

use ce_sdk::{Login, call, types};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_login_with_sms_code_and_me_show_the_unmasked_person() {
    let app = spawn_app().await;
    let p = app.register().await;
    let person = p.me.person.as_ref().unwrap();
    assert_eq!(person.id_card_no.to_string(), p.id_card_no);
    assert_eq!(p.me.name.as_deref(), Some("张三"));
    assert!(!person.verified);

    let Login::CodeSent { challenge_id } = app.client.login(&p.id_card_no, PASSWORD).await.unwrap()
    else {
        panic!("MFA is on: a code must be required");
    };
    let code = app.phone.last_code(Some(&p.phone));
    let me_client = app.client.login_verify(challenge_id, &code).await.unwrap();
    let me = call!(me_client.api().me_view()).unwrap();
    assert_eq!(me.id, p.me.id);
    assert_eq!(me.name, p.me.name);
    assert_eq!(me.kind, types::PrincipalKind::Account);
    assert_eq!(me.grants.len(), 1);
    assert_eq!(me.grants[0].role, types::Role::Person);
    let person = me.person.unwrap();
    assert_eq!(person.id_card_no.to_string(), p.id_card_no);
    assert_eq!(person.phone.unwrap().to_string(), p.phone);
}

#[tokio::test]
async fn login_works_with_the_phone_as_account() {
    let app = spawn_app().await;
    let p = app.register().await;
    let c = app.login(&p.phone, PASSWORD, Some(&p.phone)).await;
    assert_eq!(call!(c.api().me_view()).unwrap().id, p.me.id);
}

#[tokio::test]
async fn without_mfa_login_answers_the_token_directly() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Options::default()
    })
    .await;
    let p = app.register().await;
    let sent = app.phone.count();
    let Login::Done(c) = app.client.login(&p.id_card_no, PASSWORD).await.unwrap() else {
        panic!("MFA is off: no code");
    };
    assert_eq!(app.phone.count(), sent);
    assert!(call!(c.api().me_view()).is_ok());
}

#[tokio::test]
async fn r_id_1_a_second_registration_of_the_same_id_is_409_already_registered() {
    let app = spawn_app().await;
    let p = app.register().await;
    let err = call!(
        app.client
            .api()
            .auth_register(&registration(&p.id_card_no, &phone_no()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("already_registered"));
    let problem = err.problem().unwrap();
    assert!(problem.detail.contains("证件号码已注册"));
    // The duplicate names its field (issue 18).
    assert_eq!(problem.errors.len(), 1);
    assert_eq!(problem.errors[0].field, "id_card_no");
    assert_eq!(problem.errors[0].code, "already_registered");
}

#[tokio::test]
async fn a_phone_bound_to_another_account_is_409_phone_taken() {
    let app = spawn_app().await;
    let p = app.register().await;
    let err = call!(
        app.client
            .api()
            .auth_register(&registration(&id_card_no(), &p.phone))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("phone_taken"));
    assert_eq!(err.problem().unwrap().errors[0].field, "phone");
}

#[tokio::test]
async fn r_id_1_a_wrong_check_character_is_422_id_card_invalid() {
    let app = spawn_app().await;
    let bad = with_wrong_check(&id_card_no());
    let err = call!(
        app.client
            .api()
            .auth_register(&registration(&bad, &phone_no()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("id_card_invalid"));
    let p = err.problem().unwrap();
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].field, "id_card_no");
    assert!(p.detail.contains("check character"), "{}", p.detail);
}

#[tokio::test]
async fn r_id_1_an_impossible_birth_date_is_422_id_card_invalid() {
    let app = spawn_app().await;
    let body = "44010619900230123"; // 30 February
    let id = format!("{body}{}", check_char(body));
    let err = call!(
        app.client
            .api()
            .auth_register(&registration(&id, &phone_no()))
    )
    .unwrap_err();
    assert_eq!(err.code(), Some("id_card_invalid"));
}

#[tokio::test]
async fn a_weak_password_and_a_bad_phone_are_both_reported() {
    let app = spawn_app().await;
    let res = app
        .client
        .send_raw(
            Method::POST,
            "/api/v1/auth/register",
            Some("application/json"),
            serde_json::to_vec(&json!({
                "name": "李四", "id_card_no": id_card_no(), "phone": "12345678901", "password": "alllowercase"
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 422);
    let p = res.problem().unwrap();
    assert_eq!(p.code, "validation_failed");
    let fields: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert!(
        fields.contains(&("password", "password_weak")),
        "{fields:?}"
    );
    assert!(fields.contains(&("phone", "phone_invalid")), "{fields:?}");
}

#[tokio::test]
async fn r_id_3_five_wrong_passwords_lock_the_account_and_a_reset_unlocks_it() {
    let app = spawn_app().await;
    let p = app.register().await;
    for i in 1..=4 {
        let err = app
            .client
            .login(&p.id_card_no, "Wrong-Passw0rd")
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(401), "attempt {i}");
        assert_eq!(err.code(), Some("invalid_credentials"));
    }
    let err = app
        .client
        .login(&p.id_card_no, "Wrong-Passw0rd")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(423));
    assert_eq!(err.code(), Some("account_locked"));
    // Even the right password is refused while locked.
    let err = app.client.login(&p.id_card_no, PASSWORD).await.unwrap_err();
    assert_eq!(err.status(), Some(423));

    // 密码找回: a code to the bound phone, a new password, unlocked.
    app.reset_password(&p, "N3w-Passw0rd!").await;
    let c = app
        .login(&p.id_card_no, "N3w-Passw0rd!", Some(&p.phone))
        .await;
    assert!(call!(c.api().me_view()).is_ok());
    // The old password no longer works.
    assert_eq!(
        app.client
            .login(&p.id_card_no, PASSWORD)
            .await
            .unwrap_err()
            .code(),
        Some("invalid_credentials")
    );
}

#[tokio::test]
async fn a_wrong_sms_code_is_401_and_a_code_works_only_once() {
    let app = spawn_app().await;
    let p = app.register().await;
    let Login::CodeSent { challenge_id } = app.client.login(&p.id_card_no, PASSWORD).await.unwrap()
    else {
        panic!()
    };
    let code = app.phone.last_code(Some(&p.phone));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let err = app
        .client
        .login_verify(challenge_id, wrong)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("code_invalid"));
    app.client.login_verify(challenge_id, &code).await.unwrap();
    let err = app
        .client
        .login_verify(challenge_id, &code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("code_invalid"));
}

#[tokio::test]
async fn a_password_reset_for_an_unknown_account_looks_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let sent = app.phone.count();
    let started = call!(
        app.client
            .api()
            .auth_password_reset(&types::PasswordResetRequest {
                account: phone_no().parse().unwrap()
            })
    )
    .unwrap();
    assert_eq!(app.phone.count(), sent);
    let err = call!(app.client.api().auth_password_reset_confirm(
        &types::PasswordResetConfirmRequest {
            challenge_id: started.challenge_id,
            code: "123456".parse().unwrap(),
            new_password: "N3w-Passw0rd!".parse().unwrap(),
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("code_invalid"));
}

#[tokio::test]
async fn an_unknown_account_is_401_invalid_credentials() {
    let app = spawn_app().await;
    let err = app.client.login("nobody-here", PASSWORD).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("invalid_credentials"));
}

#[tokio::test]
async fn the_bootstrap_hrss_account_signs_in_and_holds_hrss() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let me = call!(hrss.api().me_view()).unwrap();
    assert_eq!(me.username.as_deref(), Some("hrss-admin"));
    assert_eq!(me.grants[0].role, types::Role::Hrss);
    assert!(me.person.is_none());
}

fn claims(app: &TestApp, sub: uuid::Uuid, exp_offset: i64) -> serde_json::Value {
    let _ = app;
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "ce-api", "aud": "ce-api", "sub": sub, "iat": now - 10, "exp": now + exp_offset,
        "jti": uuid::Uuid::now_v7(), "grants": [{"role": "person", "person_id": sub}]
    })
}

async fn me_with(app: &TestApp, token: &str) -> ce_sdk::Error {
    call!(app.client.with_token(token).api().me_view()).unwrap_err()
}

#[tokio::test]
async fn an_expired_token_is_401_token_expired_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let p = app.register().await;
    let token = app.forge(&claims(&app, p.me.id, -3600), &app.jwt_secret);
    let err = me_with(&app, &token).await;
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("token_expired"));
    let raw = app
        .client
        .with_token(token)
        .send_raw(Method::GET, "/api/v1/me", None, vec![])
        .await
        .unwrap();
    let www = raw
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(www.starts_with("Bearer"), "{www}");
    assert_eq!(raw.content_type(), "application/problem+json");
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_401_token_invalid() {
    let app = spawn_app().await;
    let p = app.register().await;
    let token = app.forge(
        &claims(&app, p.me.id, 3600),
        "another-secret-another-secret-another",
    );
    let err = me_with(&app, &token).await;
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("token_invalid"));
}

#[tokio::test]
async fn a_token_with_alg_none_is_401() {
    use base64::Engine;
    let app = spawn_app().await;
    let p = app.register().await;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body = e.encode(serde_json::to_vec(&claims(&app, p.me.id, 3600)).unwrap());
    let token = format!("{}.{body}.", e.encode(br#"{"alg":"none","typ":"JWT"}"#));
    assert_eq!(me_with(&app, &token).await.code(), Some("token_invalid"));
}

#[tokio::test]
async fn a_missing_token_is_401_unauthenticated() {
    let app = spawn_app().await;
    let err = call!(app.client.api().me_view()).unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("unauthenticated"));
}
