//! Scale-out (issue 9): two API processes on one database under concurrent
//! writes — the same items pushed through both at once are counted once,
//! and each completed year gets one certificate, whichever process
//! completed it. In CI this runs on SQLite and on PostgreSQL.

use ce_sdk::PlatformClient;
use sea_orm::Database;

use crate::crash::{accounting_platform, count, items, one_certificate_each, seed};
use crate::process::Deployment;

const PERSONS: usize = 20;

#[tokio::test]
async fn r_ce_1_two_server_processes_on_one_database_count_concurrent_pushes_once_and_certify_once()
{
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, PERSONS).await;
    let items = items(&ids);
    let (id, secret) = accounting_platform(&a.url).await;

    // The same 2,000 items through both processes at once, in batches of
    // 100 so that the two interleave.
    let client = |url: &str| {
        let options = ce_sdk::PushOptions {
            batch_size: 100,
            ..Default::default()
        };
        PlatformClient::new(url, &id, &secret).with_options(options)
    };
    let (via_a, via_b) = (client(&a.url), client(&b.url));
    let (ra, rb) = tokio::join!(via_a.push_all(&items), via_b.push_all(&items));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.rejected, rb.rejected), (0, 0));
    assert_eq!(
        ra.accepted + rb.accepted,
        items.len(),
        "each item accepted once"
    );
    assert_eq!(
        ra.duplicate + rb.duplicate,
        items.len(),
        "and a duplicate in the other"
    );

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records").await,
        items.len() as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT external_id) FROM records").await,
        items.len() as i64
    );
    one_certificate_each(&db, PERSONS).await;
    a.kill_9().await;
    b.kill_9().await;
}

/// Issue 17: two processes pushing different items for the same persons at
/// once change the same standing lines; no increment is lost and neither
/// backend deadlocks — afterwards every standing equals a rebuild from the
/// records, and each completed year has one certificate.
#[tokio::test]
async fn r_req_2_two_processes_changing_the_same_standings_lose_no_update() {
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, PERSONS).await;
    let first: Vec<serde_json::Value> = items(&ids)
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    // The same hours again under other external ids: other records, the
    // same persons, years and lines.
    let second: Vec<serde_json::Value> = first
        .iter()
        .map(|i| {
            let mut i = i.clone();
            let ext = format!("again-{}", i["external_id"].as_str().unwrap());
            i["external_id"] = ext.into();
            i
        })
        .collect();
    let (id, secret) = accounting_platform(&a.url).await;
    let client = |url: &str| {
        let options = ce_sdk::PushOptions {
            batch_size: 50,
            ..Default::default()
        };
        PlatformClient::new(url, &id, &secret).with_options(options)
    };
    let (via_a, via_b) = (client(&a.url), client(&b.url));
    let (ra, rb) = tokio::join!(via_a.push_all(&first), via_b.push_all(&second));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.accepted, rb.accepted), (first.len(), second.len()));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records").await,
        (first.len() + second.len()) as i64
    );
    // Every person holds 200 hours: the lines say so, equal to a rebuild.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM standings WHERE public_tenths + professional_tenths <> 2000",
        )
        .await,
        0
    );
    one_certificate_each(&db, PERSONS).await;
    a.kill_9().await;
    b.kill_9().await;
    crate::standing::assert_standings_equal_a_rebuild(&deployment.database_url).await;
    // The operator's command does the same.
    let out = tokio::process::Command::new(crate::process::binary().await)
        .arg("rebuild-standings")
        .env("DATA_DIR", &deployment.data_dir)
        .env("DATABASE_URL", &deployment.database_url)
        .env("PII_KEY", &deployment.pii_key)
        .env("JWT_SECRET", &deployment.jwt_secret)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("rebuilt {PERSONS} standings")),
        "{text}"
    );
}
