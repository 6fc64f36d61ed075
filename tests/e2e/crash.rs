//! Crash safety (issue 9): `kill -9` the server in the middle of a
//! 100,000-item push, start it again, push the same items again: every
//! item is counted exactly once and no certificate is issued twice.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ce_api::crypto::PiiVault;
use ce_entity::{person, person_series};
use ce_sdk::PlatformClient;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, EntityTrait, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use crate::process::Deployment;

const PERSONS: usize = 1_000;
/// Items per person: 30 public hours and 70 professional (20 of them
/// general knowledge) complete an accountant's year (R-ACC-1), so the push
/// issues each person's certificate on the way.
const PER_PERSON: usize = 100;

#[derive(Serialize, Clone)]
pub(crate) struct Item {
    external_id: String,
    id_card_no: String,
    name: &'static str,
    year: i32,
    category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    series: Option<&'static str>,
    course_name: &'static str,
    hours: f64,
    general_knowledge: bool,
    completed_at: String,
}

pub(crate) fn items(ids: &[String]) -> Vec<Item> {
    let year = this_year();
    let at = chrono::Utc::now().to_rfc3339();
    let mut out = Vec::with_capacity(ids.len() * PER_PERSON);
    for (p, id) in ids.iter().enumerate() {
        for k in 0..PER_PERSON {
            let (category, series, course_name, general_knowledge) = match k {
                0..30 => ("public", None, "中国式现代化", false),
                30..50 => ("professional", Some("accounting"), "会计职业道德", true),
                _ => ("professional", Some("accounting"), "企业会计准则", false),
            };
            out.push(Item {
                external_id: format!("crash-{p:04}-{k:03}"),
                id_card_no: id.clone(),
                name: "张三",
                year,
                category,
                series,
                course_name,
                hours: 1.0,
                general_knowledge,
                completed_at: at.clone(),
            });
        }
    }
    out
}

/// Registered, verified accountants, written straight to the database
/// (registering 1,000 through the API would hash 1,000 passwords).
pub(crate) async fn seed(db: &DatabaseConnection, vault: &PiiVault, persons: usize) -> Vec<String> {
    let mut ids = HashSet::new();
    while ids.len() < persons {
        ids.insert(id_card_no());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let now = chrono::Utc::now();
    let txn = db.begin().await.unwrap();
    for chunk in ids.chunks(200) {
        let rows: Vec<(person::ActiveModel, person_series::ActiveModel)> = chunk
            .iter()
            .map(|id| {
                let pid = Uuid::now_v7();
                (
                    crate::rows::verified_person(
                        pid,
                        "张三",
                        crate::rows::StoredIdCard {
                            hash: vault.hash("id_card", id),
                            enc: vault.encrypt(id).unwrap(),
                            masked: "440106********000X".into(),
                        },
                        now,
                    ),
                    person_series::ActiveModel {
                        person_id: Set(pid),
                        year: Set(this_year()),
                        series_code: Set("accounting".into()),
                        created_at: Set(now),
                    },
                )
            })
            .collect();
        let (persons, series): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        person::Entity::insert_many(persons)
            .exec(&txn)
            .await
            .unwrap();
        person_series::Entity::insert_many(series)
            .exec(&txn)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    ids
}

pub(crate) async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn r_ce_1_a_push_killed_midway_and_sent_again_counts_every_item_once_and_certifies_once() {
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let server = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, PERSONS).await;
    let items = items(&ids);
    assert_eq!(items.len(), 100_000);

    let (client_id, secret) = accounting_platform(&server.url).await;
    // Every record of this database comes from the push.
    let pushed = "SELECT COUNT(*) FROM records";

    // Push, and kill -9 the server once about a third has landed.
    let first = {
        let client = PlatformClient::new(&server.url, &client_id, &secret);
        let items = items.clone();
        tokio::spawn(async move { client.push_all(&items).await })
    };
    let started = Instant::now();
    loop {
        let n = count(&db, pushed).await;
        if n >= 30_000 {
            break;
        }
        if first.is_finished() {
            let outcome = first.await.unwrap();
            let summary = outcome.as_ref().map(|r| {
                (
                    r.accepted,
                    r.duplicate,
                    r.rejected,
                    r.rejected_items().next().map(|i| format!("{i:?}")),
                )
            });
            panic!("the push ended before the kill ({n} records): {summary:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the push is stuck at {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill_9().await;
    first.abort();
    let landed = count(&db, pushed).await;
    assert!(landed < 100_000, "the kill came too late: {landed}");

    // Start again on the same data and push the same items again.
    let server = deployment.start().await;
    let client = PlatformClient::new(&server.url, &client_id, &secret);
    let report = client.push_all(&items).await.unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.rejected_items().next());
    assert_eq!(report.accepted + report.duplicate, 100_000);
    assert_eq!(
        report.duplicate as i64, landed,
        "what landed before the kill is a duplicate"
    );

    // Exactly once: one record per item, every person's 100 hours, one
    // certificate each.
    assert_eq!(count(&db, pushed).await, 100_000);
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT external_id) FROM records",).await,
        100_000
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT person_id FROM records GROUP BY person_id \
             HAVING SUM(hours_tenths) <> 1000) AS off",
        )
        .await,
        0
    );
    one_certificate_each(&db, PERSONS).await;
    server.kill_9().await;
}

/// R-CE-1: every one of `persons` holds exactly one certificate.
pub(crate) async fn one_certificate_each(db: &DatabaseConnection, persons: usize) {
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM certificates").await,
        persons as i64
    );
    assert_eq!(
        count(db, "SELECT COUNT(DISTINCT person_id) FROM certificates").await,
        persons as i64
    );
}

/// An accounting platform (public and professional hours, R-ACC-3): its
/// client id and secret.
pub(crate) async fn accounting_platform(url: &str) -> (String, String) {
    let hrss = ce_sdk::Client::new(url);
    let hrss = match hrss.login("hrss-admin", HRSS_PASSWORD).await.unwrap() {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
    };
    let body = serde_json::to_vec(&json!({
        "name": "会计继续教育平台",
        "categories": ["public", "professional"],
        "series_families": ["accounting"],
    }))
    .unwrap();
    let r = hrss
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/platforms",
            Some("application/json"),
            body,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let pf: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let (client_id, secret) = (
        pf["client_id"].as_str().unwrap().to_string(),
        pf["client_secret"].as_str().unwrap().to_string(),
    );
    (client_id, secret)
}
