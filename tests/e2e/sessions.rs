//! Sessions that can end (issue 22): short-lived access tokens, refresh
//! tokens with rotation and reuse detection, sign-out with a deny list,
//! the purge of what has expired.

use std::time::{Duration, Instant};

use ce_api::ports::clock::Clock;
use ce_sdk::{Client, call, types};
use sea_orm::{ConnectionTrait, Database, EntityTrait, Statement};

use crate::helpers::*;

/// Signs `p` in through the API (password, then the SMS code) and answers
/// the whole token response.
async fn sign_in(app: &TestApp, p: &Person) -> types::TokenResponse {
    let body = types::LoginRequest {
        account: p.id_card_no.parse().unwrap(),
        password: p.password.parse().unwrap(),
    };
    match call!(app.client.api().auth_login(&body)).unwrap() {
        types::LoginResponse::TokenResponse(t) => t,
        types::LoginResponse::MfaChallenge(c) => {
            let code = app.phone.last_code(Some(&p.phone));
            call!(
                app.client
                    .api()
                    .auth_login_verify(&types::LoginVerifyRequest {
                        challenge_id: c.challenge_id,
                        code: code.parse().unwrap(),
                    })
            )
            .unwrap()
        }
    }
}

async fn refresh(app: &TestApp, token: &str) -> Result<types::TokenResponse, ce_sdk::Error> {
    call!(app.client.api().auth_refresh(&types::RefreshRequest {
        refresh_token: token.parse().unwrap(),
    }))
}

fn as_client(app: &TestApp, t: &types::TokenResponse) -> Client {
    app.client.with_token(t.access_token.clone())
}

/// How many audit events `action` on a session there are.
async fn session_events(app: &TestApp, action: &str) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM audit_events WHERE entity_type = 'session' AND action = '{action}'"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_sign_in_answers_a_short_lived_access_token_and_a_refresh_token() {
    let app = spawn_app().await;
    let p = app.register().await;
    let t = sign_in(&app, &p).await;
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in.get(), 900);
    assert!(t.refresh_token.as_deref().unwrap().starts_with("rt_"));
    assert_eq!(t.refresh_expires_in.map(|n| n.get()), Some(30 * 24 * 3600));
    assert!(call!(as_client(&app, &t).api().me_view()).is_ok());
}

#[tokio::test]
async fn refresh_rotates_and_a_spent_token_again_revokes_the_whole_family() {
    let app = spawn_app().await;
    let p = app.register().await;
    let first = sign_in(&app, &p).await;
    let second = refresh(&app, first.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = call!(as_client(&app, &second).api().me_view()).unwrap();
    assert_eq!(me.id, p.me.id);
    // Rotation goes on from the newest token.
    let third = refresh(&app, second.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert!(call!(as_client(&app, &third).api().me_view()).is_ok());

    // The first token is spent: presenting it again is reuse.
    let e = refresh(&app, first.refresh_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("refresh_token_reused"));
    // The newer refresh token dies with its family, and so does the
    // access token that came with it.
    let e = refresh(&app, third.refresh_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("refresh_token_revoked"));
    let e = call!(as_client(&app, &third).api().me_view()).unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("token_revoked"));
    assert_eq!(session_events(&app, "refresh_token_reused").await, 1);
    assert_eq!(session_events(&app, "refreshed").await, 2);
    // A new sign-in is a new family and works.
    let again = sign_in(&app, &p).await;
    assert!(
        refresh(&app, again.refresh_token.as_deref().unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401_refresh_token_invalid() {
    let app = spawn_app().await;
    for token in [
        "rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "not-a-token",
    ] {
        let e = refresh(&app, token).await.unwrap_err();
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.code(), Some("refresh_token_invalid"));
    }
}

#[tokio::test]
async fn sign_out_refuses_the_access_token_at_once_and_its_refresh_token() {
    let app = spawn_app().await;
    let p = app.register().await;
    let kept = sign_in(&app, &p).await;
    let ended = sign_in(&app, &p).await;
    let c = as_client(&app, &ended);
    call!(c.api().auth_logout()).unwrap();
    let e = call!(c.api().me_view()).unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("token_revoked"));
    let e = call!(c.api().auth_logout()).unwrap_err();
    assert_eq!(e.code(), Some("token_revoked"));
    let e = refresh(&app, ended.refresh_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("refresh_token_revoked"));
    assert_eq!(session_events(&app, "signed_out").await, 1);

    // The other session of the same person goes on.
    assert!(call!(as_client(&app, &kept).api().me_view()).is_ok());
    let next = refresh(&app, kept.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert!(call!(as_client(&app, &next).api().me_view()).is_ok());
}

#[tokio::test]
async fn a_token_signed_out_on_one_server_is_refused_by_another_within_a_second() {
    let app = spawn_app().await;
    let p = app.register().await;
    let t = sign_in(&app, &p).await;
    let other = app.second_server().await.with_token(t.access_token.clone());
    assert!(call!(other.api().me_view()).is_ok());
    call!(as_client(&app, &t).api().auth_logout()).unwrap();
    let signed_out = Instant::now();
    loop {
        match call!(other.api().me_view()) {
            Err(e) => {
                assert_eq!(e.code(), Some("token_revoked"));
                break;
            }
            Ok(_) => {
                assert!(
                    signed_out.elapsed() < Duration::from_millis(1500),
                    "the other server still accepts the token after {:?}",
                    signed_out.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_the_account() {
    let app = spawn_app().await;
    let p = app.register().await;
    let t = sign_in(&app, &p).await;
    app.reset_password(&p, "Another-horse-2027").await;
    let e = call!(as_client(&app, &t).api().me_view()).unwrap_err();
    assert_eq!(e.code(), Some("token_revoked"));
    let e = refresh(&app, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("refresh_token_revoked"));
}

#[tokio::test]
async fn a_platform_token_has_no_refresh_token_and_signs_out_too() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(hrss.api().platform_create(
        None,
        &types::CreatePlatformRequest {
            name: "学习平台".parse().unwrap(),
            categories: vec![types::Category::Professional],
            series_families: vec!["engineering".parse().unwrap()],
        }
    ))
    .unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        created.client_id, created.client_secret
    );
    let res = app
        .client
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/auth/token",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    let token = body["access_token"].as_str().unwrap();
    let c = app.client.with_token(token);
    assert!(call!(c.api().me_view()).is_ok());
    call!(c.api().auth_logout()).unwrap();
    assert_eq!(
        call!(c.api().me_view()).unwrap_err().code(),
        Some("token_revoked")
    );
}

#[tokio::test]
async fn the_purge_deletes_expired_challenges_refresh_tokens_and_deny_entries_and_keeps_live_ones()
{
    use ce_entity::{auth_challenge, denied_token, refresh_token};
    let app = spawn_app().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let p = app.register().await;
    let t0 = chrono::Utc::now();
    app.clock.set(t0);
    // A challenge of now, which expires in five minutes…
    let body = types::LoginRequest {
        account: p.id_card_no.parse().unwrap(),
        password: p.password.parse().unwrap(),
    };
    let types::LoginResponse::MfaChallenge(old) =
        call!(app.client.api().auth_login(&body)).unwrap()
    else {
        panic!("MFA is on");
    };
    // …and one of ten minutes later, live then.
    app.clock.set(t0 + chrono::Duration::minutes(10));
    let types::LoginResponse::MfaChallenge(live) =
        call!(app.client.api().auth_login(&body)).unwrap()
    else {
        panic!("MFA is on");
    };
    let purged = ce_api::parties::sessions::purge(&db, app.clock.now())
        .await
        .unwrap();
    assert_eq!(purged.challenges, 1);
    assert!(
        auth_challenge::Entity::find_by_id(old.challenge_id)
            .one(&db)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        auth_challenge::Entity::find_by_id(live.challenge_id)
            .one(&db)
            .await
            .unwrap()
            .is_some()
    );
    // The live one still signs in.
    let code = app.phone.last_code(Some(&p.phone));
    let t = call!(
        app.client
            .api()
            .auth_login_verify(&types::LoginVerifyRequest {
                challenge_id: live.challenge_id,
                code: code.parse().unwrap(),
            })
    )
    .unwrap();
    app.clock.follow_system();
    let spent = refresh(&app, t.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    call!(as_client(&app, &spent).api().auth_logout()).unwrap();
    let count = |n: usize| n as u64;
    let refresh_rows = refresh_token::Entity::find().all(&db).await.unwrap().len();
    let denied_rows = denied_token::Entity::find().all(&db).await.unwrap().len();
    assert_eq!(refresh_rows, 2);
    assert!(denied_rows >= 1);

    // Nothing of it has expired an hour later but the access tokens.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let purged = ce_api::parties::sessions::purge(&db, later).await.unwrap();
    assert_eq!(purged.refresh_tokens, 0);
    assert_eq!(purged.denied_tokens, count(denied_rows));
    // Past the refresh tokens' 30 days, they go too.
    let month = chrono::Utc::now() + chrono::Duration::days(31);
    let purged = ce_api::parties::sessions::purge(&db, month).await.unwrap();
    assert_eq!(purged.refresh_tokens, count(refresh_rows));
    assert!(
        refresh_token::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
}
