//! Keys that rotate without downtime (issue 22): JWT signing keys by
//! `kid`, versioned PII encryption keys with the online re-encryption, and
//! retired issuer keys kept in the published JWKS.

use ce_api::config::Settings;
use ce_api::crypto::reencrypt::{self, Options as Reencrypt};
use ce_entity::{idempotent_request, person, sms_outbox, webhook};
use ce_sdk::{Client, Login, call};
use sea_orm::{Database, DatabaseConnection, EntityTrait};

use crate::certificates::{certificates_of, certified_accountant};
use crate::helpers::*;

fn random_hex() -> String {
    ce_api::crypto::random_bytes::<32>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn secret(tag: &str) -> String {
    format!("{tag}-{}", random_hex())
}

/// Signs in on `c` (MFA is off in these tests).
async fn login_on(c: &Client, account: &str) -> Client {
    match c.login(account, PASSWORD).await.expect("login") {
        Login::Done(c) => c,
        Login::CodeSent { .. } => panic!("MFA is off here"),
    }
}

fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).unwrap().kid
}

async fn no_mfa() -> TestApp {
    spawn_app_with(Options {
        mfa_required: false,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn jwt_keys_rotate_by_kid_without_signing_anyone_out() {
    let app = no_mfa().await;
    let p = app.register().await;
    let (k1, k2) = (secret("k1"), secret("k2"));
    let ring = |keys: &[(&str, &str)]| {
        let list: Vec<String> = keys.iter().map(|(k, s)| format!("{k}:{s}")).collect();
        move |s: &mut Settings| s.auth.jwt_keys = list
    };
    let first = app.server_with(ring(&[("k1", &k1)])).await;
    let t1_client = login_on(&first, &p.id_card_no).await;
    let t1 = t1_client.token().unwrap().to_string();
    assert_eq!(kid_of(&t1).as_deref(), Some("k1"));

    // The new key is added, and made current: T1 still works, new tokens are k2's.
    let rotated = app.server_with(ring(&[("k2", &k2), ("k1", &k1)])).await;
    let me = call!(rotated.with_token(&t1).api().me_view()).unwrap();
    assert_eq!(me.id, p.me.id);
    let t2 = login_on(&rotated, &p.id_card_no)
        .await
        .token()
        .unwrap()
        .to_string();
    assert_eq!(kid_of(&t2).as_deref(), Some("k2"));
    call!(rotated.with_token(&t2).api().me_view()).unwrap();
    // The old server does not know k2: a kid it does not hold is 401.
    let err = call!(first.with_token(&t2).api().me_view()).unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("token_invalid"));

    // The old key removed: T1 is 401, T2 works.
    let only_new = app.server_with(ring(&[("k2", &k2)])).await;
    let err = call!(only_new.with_token(&t1).api().me_view()).unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("token_invalid"));
    call!(only_new.with_token(&t2).api().me_view()).unwrap();

    // `jwt_current_kid` picks the signing key whatever the order.
    let named = app
        .server_with(|s| {
            s.auth.jwt_keys = vec![format!("k1:{k1}"), format!("k2:{k2}")];
            s.auth.jwt_current_kid = Some("k2".into());
        })
        .await;
    let t = login_on(&named, &p.id_card_no).await;
    assert_eq!(kid_of(t.token().unwrap()).as_deref(), Some("k2"));
}

#[tokio::test]
async fn jwt_secret_alone_keeps_working_and_joins_a_ring_under_its_derived_kid() {
    let app = no_mfa().await;
    let p = app.register().await;
    // `JWT_SECRET` alone: tokens carry the kid derived from it.
    let t0 = login_on(&app.client, &p.id_card_no).await;
    let t0 = t0.token().unwrap().to_string();
    let derived = ce_api::auth::token::derived_kid(app.jwt_secret.as_bytes());
    assert_eq!(kid_of(&t0), Some(derived.clone()));
    // A token without kid (issued before kids) is checked with that key.
    let now = chrono::Utc::now().timestamp();
    let bare = app.forge(
        &serde_json::json!({
            "iss": "ce-api", "aud": "ce-api", "sub": p.me.id, "iat": now, "exp": now + 600,
            "jti": uuid::Uuid::now_v7(), "grants": [{"role": "person", "person_id": p.me.person_id}]
        }),
        &app.jwt_secret,
    );
    assert_eq!(kid_of(&bare), None);
    call!(app.client.with_token(&bare).api().me_view()).unwrap();

    // The old secret listed under its derived kid beside a new current key.
    let k2 = secret("k2");
    let old = app.jwt_secret.clone();
    let rotated = app
        .server_with(|s| {
            s.jwt_secret = None;
            s.auth.jwt_keys = vec![format!("k2:{k2}"), format!("{derived}:{old}")];
        })
        .await;
    call!(rotated.with_token(&t0).api().me_view()).unwrap();
    call!(rotated.with_token(&bare).api().me_view()).unwrap();
    // Under another name it is not the legacy key: kid-less tokens are 401.
    let renamed = app
        .server_with(|s| s.auth.jwt_keys = vec![format!("k2:{k2}"), format!("old:{old}")])
        .await;
    let err = call!(renamed.with_token(&bare).api().me_view()).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(renamed.with_token(&t0).api().me_view()).unwrap_err();
    assert_eq!(err.status(), Some(401));
}

/// Every stored PII ciphertext's version (1: no header).
async fn versions(db: &DatabaseConnection) -> Vec<(String, u8)> {
    let v = |b: &[u8]| {
        if b.len() > 4 && b[..3] == [0xCE, b'P', b'K'] {
            b[3]
        } else {
            1
        }
    };
    let mut out = Vec::new();
    for p in person::Entity::find().all(db).await.unwrap() {
        out.push((format!("person {} id", p.id), v(&p.id_card_enc)));
        if let Some(b) = &p.phone_enc {
            out.push((format!("person {} phone", p.id), v(b)));
        }
    }
    for m in sms_outbox::Entity::find().all(db).await.unwrap() {
        if let Some(b) = &m.phone_enc {
            out.push((format!("sms {}", m.id), v(b)));
        }
    }
    for w in webhook::Entity::find().all(db).await.unwrap() {
        out.push((format!("webhook {}", w.id), v(&w.secret_enc)));
    }
    for r in idempotent_request::Entity::find().all(db).await.unwrap() {
        if let Some(b) = &r.response {
            out.push((format!("answer {}", r.idempotency_key), v(b)));
        }
    }
    out
}

async fn refused_as_duplicate(c: &Client, id_card_no: &str) {
    let err = call!(
        c.api()
            .auth_register(&registration(id_card_no, &phone_no()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("already_registered"));
}

/// Signs in with the ID number (its lookup hash) and reads the person back
/// unmasked (both ciphertexts decrypted).
async fn reads_back(c: &Client, p: &Person) {
    let me = call!(login_on(c, &p.id_card_no).await.api().me_view()).unwrap();
    let person = me.person.expect("a person");
    assert_eq!(person.id_card_no.to_string(), p.id_card_no);
    assert_eq!(person.phone.unwrap().to_string(), p.phone);
}

#[tokio::test]
async fn pii_keys_rotate_online_and_reencryption_resumes() {
    let app = no_mfa().await;
    // Written under the key every deployment has today (version 1).
    let mut people = Vec::new();
    for _ in 0..3 {
        people.push(app.register().await);
    }
    let db = Database::connect(&app.database_url).await.unwrap();
    assert!(versions(&db).await.iter().all(|(_, v)| *v == 1));
    let v1 = std::fs::read_to_string(app.settings.data_dir.join("pii.key")).unwrap();
    let v2 = random_hex();

    // [v2 current, v1]: old data reads, new writes are v2's.
    let both = |s: &mut Settings| s.pii_keys = vec![format!("2:{v2}"), format!("1:{}", v1.trim())];
    let mut both_settings = app.settings.clone();
    both(&mut both_settings);
    let rotated = app.server_with(both).await;
    for p in &people {
        reads_back(&rotated, p).await;
    }
    let (id, phone) = (id_card_no(), phone_no());
    let me = call!(rotated.api().auth_register(&registration(&id, &phone))).unwrap();
    let newcomer = Person {
        id_card_no: id,
        phone,
        password: PASSWORD.into(),
        me,
    };
    let newcomer_id = newcomer.me.person_id.unwrap();
    let new_blobs: Vec<u8> = versions(&db)
        .await
        .into_iter()
        .filter(|(what, _)| what.contains(&newcomer_id.to_string()))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(new_blobs, [2, 2]);
    refused_as_duplicate(&rotated, &people[0].id_card_no).await;
    // The old server (v1 alone) reads the old, and still refuses duplicates.
    refused_as_duplicate(&app.client, &newcomer.id_card_no).await;

    // The command, stopped after one batch of two rows.
    let vault = ce_api::crypto::pii_vault(&both_settings).unwrap();
    let mut seen = Vec::new();
    let first = reencrypt::run(
        &db,
        &vault,
        Reencrypt {
            batch_size: 2,
            max_batches: Some(1),
        },
        |b| seen.push(b.clone()),
    )
    .await
    .unwrap();
    assert!(!first.complete);
    assert_eq!((first.batches, first.scanned, first.rewritten), (1, 2, 2));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].column, "persons.id_card_enc");
    let left = versions(&db).await.iter().filter(|(_, v)| *v == 1).count();
    assert_eq!(left, 3 * 2 - 2, "two rewritten, the rest not yet");
    // Meanwhile the servers go on: reads, duplicates refused.
    for p in &people {
        reads_back(&rotated, p).await;
    }
    refused_as_duplicate(&rotated, &people[1].id_card_no).await;

    // Run again: it goes on and rewrites only what was left.
    let second = reencrypt::run(&db, &vault, Reencrypt::default(), |_| {})
        .await
        .unwrap();
    assert!(second.complete);
    assert_eq!(second.rewritten, 4);
    assert_eq!(
        second.scanned,
        4 * 2,
        "every ciphertext read, the rewritten too"
    );
    let all = versions(&db).await;
    assert!(all.iter().all(|(_, v)| *v == 2), "{all:?}");
    // A third run finds nothing to do.
    let third = reencrypt::run(&db, &vault, Reencrypt::default(), |_| {})
        .await
        .unwrap();
    assert_eq!((third.rewritten, third.complete), (0, true));
    // Each page that rewrote rows left an audit event.
    let events = ce_entity::audit_event::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity_type == "pii_keys" && e.action == "reencrypted")
        .count();
    assert_eq!(
        events, 3,
        "2 + 1 id numbers in two pages, then 3 phones in one"
    );

    // [v2] alone: everything reads, the lookup hashes are unchanged.
    let only_new = app
        .server_with(|s| s.pii_keys = vec![format!("2:{v2}")])
        .await;
    for p in people.iter().chain([&newcomer]) {
        reads_back(&only_new, p).await;
        refused_as_duplicate(&only_new, &p.id_card_no).await;
    }
    // And the old key alone can no longer read what was re-encrypted.
    let err = call!(
        login_on(&app.client, &people[0].id_card_no)
            .await
            .api()
            .me_view()
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn a_retired_issuer_key_stays_in_the_jwks_and_its_credentials_verify() {
    let app = spawn_app().await;
    let (person, _, _) = certified_accountant(&app).await;
    let cert = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let old = call!(person.client.api().certificate_credential(&cert.id)).unwrap();
    let a = std::fs::read_to_string(
        app.settings
            .data_dir
            .join(ce_api::crypto::issuer::SEED_FILE),
    )
    .unwrap();
    let a_kid = old.kid.to_string();

    // [B current, A retired], A given by its public half alone.
    let a_jwks = call!(app.client.api().issuer_jwks()).unwrap();
    let a_x = a_jwks.keys[0].x.to_string();
    let b = random_hex();
    for retired in [a.trim().to_string(), format!("x:{a_x}")] {
        let b = b.clone();
        let rotated = app
            .server_with(move |s| s.issuer_keys = vec![b, retired])
            .await;
        let jwks = call!(rotated.api().issuer_jwks()).unwrap();
        let kids: Vec<String> = jwks.keys.iter().map(|k| k.kid.to_string()).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[1], a_kid);
        let b_kid = kids[0].clone();
        assert_ne!(b_kid, a_kid);
        // The credential signed with A verifies against the published set.
        let ok = ce_sdk::verify_credential(old.jws.as_str(), &jwks).expect("A's credential");
        assert_eq!(ok.kid, a_kid);
        // The certificate still reads valid.
        let v = call!(
            rotated
                .api()
                .certificate_verify(&cert.number.as_str().parse().unwrap())
        )
        .unwrap();
        assert_eq!(v.status, "valid");
        // A new credential is B's, and verifies too.
        let token = person.client.token().unwrap().to_string();
        let new = call!(
            rotated
                .with_token(token)
                .api()
                .certificate_credential(&cert.id)
        )
        .unwrap();
        assert_eq!(new.kid.as_str(), b_kid);
        assert_eq!(kid_of(new.jws.as_str()), Some(b_kid.clone()));
        assert_eq!(
            ce_sdk::verify_credential(new.jws.as_str(), &jwks)
                .unwrap()
                .kid,
            b_kid
        );
    }
    // B alone: A's credential no longer verifies against the published set.
    let only_b = app.server_with(move |s| s.issuer_keys = vec![b]).await;
    let jwks = call!(only_b.api().issuer_jwks()).unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert!(ce_sdk::verify_credential(old.jws.as_str(), &jwks).is_err());
}

/// `ce-api reencrypt` with the deployment's keys and `pii_keys`.
async fn reencrypt_command(
    d: &crate::process::Deployment,
    pii_keys: &str,
    args: &[&str],
) -> String {
    let out = tokio::process::Command::new(crate::process::binary().await)
        .arg("reencrypt")
        .args(args)
        .env("DATA_DIR", &d.data_dir)
        .env("DATABASE_URL", &d.database_url)
        .env("PII_KEY", &d.pii_key)
        .env("APP__PII_KEYS", pii_keys)
        .env("JWT_SECRET", &d.jwt_secret)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_reencrypt_command_runs_beside_a_serving_process_and_resumes() {
    let (d, _, _guard) = crate::process::Deployment::fresh().await;
    let old = d.start().await;
    let c = Client::new(old.url.clone());
    let mut people = Vec::new();
    for _ in 0..3 {
        let (id, phone) = (id_card_no(), phone_no());
        let me = call!(c.api().auth_register(&registration(&id, &phone))).unwrap();
        people.push(Person {
            id_card_no: id,
            phone,
            password: PASSWORD.into(),
            me,
        });
    }
    old.kill_9().await;
    // The servers now run with [v2, v1]; the command runs beside them.
    let keys = format!("2:{},1:{}", random_hex(), d.pii_key);
    let mut both = d.clone();
    both.env.push(("APP__PII_KEYS".into(), keys.clone()));
    let serving = both.start().await;
    let c = Client::new(serving.url.clone());
    let text = reencrypt_command(&d, &keys, &["--batch-size", "1", "--max-batches", "2"]).await;
    assert!(
        text.contains("persons.id_card_enc: 1 read, 1 rewritten"),
        "{text}"
    );
    assert!(text.contains("stopped (run again to go on)"), "{text}");
    let db = Database::connect(&d.database_url).await.unwrap();
    let old_left = versions(&db).await.iter().filter(|(_, v)| *v == 1).count();
    assert_eq!(old_left, 6 - 2);
    for p in &people {
        reads_back(&c, p).await;
    }
    let text = reencrypt_command(&d, &keys, &["--batch-size", "2"]).await;
    assert!(text.contains("done in"), "{text}");
    assert!(text.contains(": 4 batches, 6 read, 4 rewritten"), "{text}");
    assert!(versions(&db).await.iter().all(|(_, v)| *v == 2));
    for p in &people {
        reads_back(&c, p).await;
        refused_as_duplicate(&c, &p.id_card_no).await;
    }
}
