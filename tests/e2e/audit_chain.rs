//! The audit chain (issue 22): events are sealed behind the writers into a
//! chain of keyed hashes; the chain's walk (`GET /audit-events/chain`, `ce-api
//! audit verify`) reports the first edited, missing or reordered event,
//! even when whoever changed it dropped the append-only triggers first.

use std::time::Duration;

use ce_sdk::{Client, call, types};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::helpers::*;

/// The chain's report once every event is sealed (the sealer runs every
/// 200 ms); fails after 15 s.
pub(crate) async fn sealed_report(hrss: &Client) -> types::AuditChainReport {
    for _ in 0..150 {
        let r = call!(hrss.api().audit_chain_verify()).expect("the chain's report");
        if r.unsealed == 0 && r.sealed_up_to > 0 {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the audit events were not sealed within 15 s");
}

/// The events' ids by place, straight from the table.
async fn ids_by_seq(db: &DatabaseConnection) -> Vec<(i64, uuid::Uuid)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, id FROM audit_events WHERE seq IS NOT NULL ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.try_get("", "seq").unwrap(), r.try_get("", "id").unwrap()))
        .collect()
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map(|_| ())
}

/// What someone with only database access does first: the triggers go.
async fn drop_the_triggers(db: &DatabaseConnection) {
    let sqls: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres => {
            &["ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"]
        }
        _ => &[
            "DROP TRIGGER audit_events_no_UPDATE",
            "DROP TRIGGER audit_events_no_DELETE",
        ],
    };
    for sql in sqls {
        exec(db, sql).await.expect(sql);
    }
}

/// `ce-api audit verify` on the app's database and `DATA_DIR`: its exit
/// code and its JSON.
async fn verify_command(app: &TestApp) -> (i32, serde_json::Value) {
    let out = tokio::process::Command::new(crate::process::binary().await)
        .args(["audit", "verify"])
        .env("DATA_DIR", &app.settings.data_dir)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("running ce-api audit verify");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "ce-api audit verify printed no JSON: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn the_break(r: &types::AuditChainReport) -> (i64, Option<uuid::Uuid>, types::ChainBreakKind) {
    let b = r.first_break.as_ref().expect("a break");
    (b.seq.get() as i64, b.event_id, b.kind)
}

#[tokio::test]
async fn the_chain_reports_a_reordered_an_edited_and_a_deleted_event() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Options::default()
    })
    .await;
    // Two server processes' sealers on one database: the chain must not
    // fork.
    let second = app.second_server().await;
    let mut writes = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 { &app.client } else { &second };
        let id = id_card_no();
        let phone = phone_no();
        let req = registration(&id, &phone);
        writes.push(async move { call!(base.api().auth_register(&req)).expect("registering") });
    }
    futures_util::future::join_all(writes).await;
    let hrss = app.hrss().await;
    let person = app.register().await;
    let person = app.login_person(&person).await;

    let ok = sealed_report(&hrss).await;
    assert!(ok.sealed_up_to >= 10, "{ok:?}");
    assert_eq!(ok.checked as i64, ok.sealed_up_to as i64, "{ok:?}");
    assert!(ok.first_break.is_none(), "{ok:?}");
    let (code, json) = verify_command(&app).await;
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["first_break"], serde_json::Value::Null);
    assert_eq!(json["sealed_up_to"], ok.sealed_up_to);

    // hrss alone walks the chain.
    let err = call!(person.api().audit_chain_verify()).unwrap_err();
    assert_eq!(err.status(), Some(403));

    let db = Database::connect(&app.database_url).await.unwrap();
    // With the triggers in place, not even a seal can be changed.
    for sql in [
        "UPDATE audit_events SET chain_hash = 'x' WHERE seq = 1",
        "UPDATE audit_events SET seq = NULL, chain_hash = NULL WHERE seq = 1",
        "UPDATE audit_events SET seq = 1000000 WHERE seq = 1",
    ] {
        let err = exec(&db, sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let ids = ids_by_seq(&db).await;
    assert_eq!(ids.len() as i64, ok.sealed_up_to as i64);
    drop_the_triggers(&db).await;

    // Places 7 and 8 swapped.
    for sql in [
        "UPDATE audit_events SET seq = -8 WHERE seq = 8",
        "UPDATE audit_events SET seq = 8 WHERE seq = 7",
        "UPDATE audit_events SET seq = 7 WHERE seq = -8",
    ] {
        exec(&db, sql).await.expect(sql);
    }
    let r = call!(hrss.api().audit_chain_verify()).unwrap();
    assert_eq!(
        the_break(&r),
        (7, Some(ids[7].1), types::ChainBreakKind::Reordered),
        "{r:?}"
    );
    assert_eq!(r.checked, 6);

    // The payload of place 5 rewritten (a later place, 7, is broken too,
    // but the first break is reported).
    exec(
        &db,
        "UPDATE audit_events SET after = '{\"forged\": true}' WHERE seq = 5",
    )
    .await
    .unwrap();
    let r = call!(hrss.api().audit_chain_verify()).unwrap();
    assert_eq!(
        the_break(&r),
        (5, Some(ids[4].1), types::ChainBreakKind::Edited),
        "{r:?}"
    );
    assert_eq!(r.checked, 4);

    // The event at place 2 deleted.
    exec(&db, "DELETE FROM audit_events WHERE seq = 2")
        .await
        .unwrap();
    let r = call!(hrss.api().audit_chain_verify()).unwrap();
    assert_eq!(
        the_break(&r),
        (2, Some(ids[2].1), types::ChainBreakKind::Missing),
        "{r:?}"
    );
    assert_eq!(r.checked, 1);
    let (code, json) = verify_command(&app).await;
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["first_break"]["kind"], "missing");
    assert_eq!(json["first_break"]["seq"], 2);

    // The chain's end deleted: the head still names it.
    let last = ids.last().unwrap();
    exec(&db, "DELETE FROM audit_events WHERE seq >= 3")
        .await
        .unwrap();
    let r = call!(hrss.api().audit_chain_verify()).unwrap();
    assert_eq!(
        the_break(&r),
        (2, None, types::ChainBreakKind::Missing),
        "{r:?} (the last was {last:?})"
    );
}
