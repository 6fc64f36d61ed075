//! Backup and restore (issue 22; README "Backup and restore"): a running
//! server's data is backed up while it writes — SQLite online with `ce-api
//! backup --to` (`VACUUM INTO`), PostgreSQL with `pg_dump -Fc` — and
//! restored with the key files of `DATA_DIR` into a fresh server, on which
//! the certificate and its credential verify, the ID number decrypts and
//! the audit chain checks out.

use std::path::Path;
use std::sync::Arc;

use ce_api::startup::Application;
use ce_sdk::{Client, Login, call};

use crate::audit_chain::sealed_report;
use crate::certificates::certified_accountant;
use crate::helpers::*;

/// The key files a restore needs beside the database (JWT secret and PII
/// key may be settings instead; here the JWT secret is one).
const KEY_FILES: &[&str] = &["pii.key", "audit.key", "issuer-ed25519.key"];

async fn run(cmd: &mut tokio::process::Command) -> String {
    let out = cmd.output().await.expect("running a backup tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Backs up the app's database while it runs and restores it into a new
/// database; answers the restored database's URL. `None`: PostgreSQL
/// without `pg_dump` here (and not required).
async fn back_up_and_restore(app: &TestApp, into: &Path) -> Option<String> {
    if app.database_url.starts_with("sqlite:") {
        let copy = into.join("backup.db");
        let said = run(tokio::process::Command::new(crate::process::binary().await)
            .args(["backup", "--to"])
            .arg(&copy)
            .env("DATA_DIR", &app.settings.data_dir)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn"))
        .await;
        assert!(
            said.contains("audit.key"),
            "the command names the keys: {said}"
        );
        let restored = into.join("ce.db");
        std::fs::rename(&copy, &restored).unwrap();
        return Some(format!("sqlite://{}?mode=rwc", restored.display()));
    }
    let Some(bin) = crate::helpers::postgres_bin("pg_dump") else {
        assert!(
            std::env::var_os("CE_REQUIRE_PG_DUMP").is_none(),
            "CE_REQUIRE_PG_DUMP is set but no pg_dump was found (set CE_PG_BIN)"
        );
        eprintln!("skipped: no pg_dump (set CE_PG_BIN, or CE_REQUIRE_PG_DUMP to fail)");
        return None;
    };
    let dump = into.join("ce.dump");
    run(tokio::process::Command::new(bin.join("pg_dump"))
        .args(["-Fc", "--no-owner", "-f"])
        .arg(&dump)
        .arg(&app.database_url))
    .await;
    let restored = fresh_database(into).await;
    run(tokio::process::Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "-d", &restored])
        .arg(&dump))
    .await;
    Some(restored)
}

async fn sign_in(c: &Client, account: &str, password: &str) -> Client {
    match c.login(account, password).await.expect("login") {
        Login::Done(c) => c,
        Login::CodeSent { .. } => panic!("no second factor in this test"),
    }
}

#[tokio::test]
async fn a_running_servers_backup_restores_with_its_keys_into_a_fresh_server() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Options::default()
    })
    .await;
    let (person, _admin, _unit) = certified_accountant(&app).await;
    let cert = call!(person.client.api().certificate_list(
        None,
        None,
        Some(&person.person_id()),
        None,
        None
    ))
    .unwrap()
    .items
    .remove(0);
    let cred = call!(person.client.api().certificate_credential(&cert.id)).unwrap();
    let hrss = app.hrss().await;
    let before = sealed_report(&hrss).await;
    assert!(before.first_break.is_none(), "{before:?}");

    // The server goes on writing while it is backed up.
    let writer = {
        let client = app.client.clone();
        tokio::spawn(async move {
            for _ in 0..10 {
                let req = registration(&id_card_no(), &phone_no());
                call!(client.api().auth_register(&req)).expect("registering");
            }
        })
    };
    let into = std::env::temp_dir().join(format!("ce-restore-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&into).unwrap();
    let _guard = TempDir(into.clone());
    let Some(restored_url) = back_up_and_restore(&app, &into).await else {
        return;
    };
    writer.await.unwrap();
    // The keys, kept apart from the database, come back beside it.
    let data_dir = into.join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    for key in KEY_FILES {
        std::fs::copy(app.settings.data_dir.join(key), data_dir.join(key))
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }

    let mut settings = app.settings.clone();
    settings.data_dir = data_dir;
    settings.database_url = Some(restored_url);
    settings.public_url = None;
    let server = Application::build_with(settings, Arc::new(Phone::default()))
        .await
        .expect("starting on the restored data");
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    let fresh = Client::new(base);

    // The certificate verifies, and its credential with the restored key set.
    let v = call!(
        fresh
            .api()
            .certificate_verify(&cert.number.parse().unwrap())
    )
    .unwrap();
    assert_eq!(v.status, "valid", "{v:?}");
    let jwks = call!(fresh.api().issuer_jwks()).unwrap();
    ce_sdk::verify_credential(cred.jws.as_str(), &jwks)
        .expect("the credential signed before the backup verifies after the restore");
    let restored_person = sign_in(&fresh, &person.person.id_card_no, PASSWORD).await;
    let again = call!(restored_person.api().certificate_credential(&cert.id)).unwrap();
    ce_sdk::verify_credential(again.jws.as_str(), &jwks).expect("a credential signed after");

    // The ID number decrypts: shown in full to its holder's hrss.
    let fresh_hrss = sign_in(&fresh, "hrss-admin", HRSS_PASSWORD).await;
    let shown = call!(fresh_hrss.api().person_view(&person.person_id(), None)).unwrap();
    assert_eq!(shown.id_card_no.as_str(), person.person.id_card_no);

    // The audit chain checks out, at least as far as it was sealed before.
    let after = sealed_report(&fresh_hrss).await;
    assert!(after.first_break.is_none(), "{after:?}");
    assert!(
        after.sealed_up_to >= before.sealed_up_to,
        "{before:?} → {after:?}"
    );
    assert_eq!(after.checked as i64, after.sealed_up_to as i64);
}
