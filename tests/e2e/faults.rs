//! Faults answered honestly (issue 22): a database that cannot take a
//! write — locked by another writer past the busy wait, or full — answers
//! 503 with `Retry-After` and a stable code, never an opaque 500; the
//! server stays up, reads go on, and once the fault is gone the same
//! request succeeds and nothing is lost or doubled. SQLite only: it is the
//! file that is locked or full.

use ce_sdk::Client;
use reqwest::Method;
use sea_orm::sqlx::{self, Connection};
use serde_json::{Value, json};

use crate::helpers::*;

async fn post_platform(c: &Client, name: &str) -> ce_sdk::RawResponse {
    c.send_raw(
        Method::POST,
        "/api/v1/platforms",
        Some("application/json"),
        serde_json::to_vec(&json!({
            "name": name,
            "categories": ["public"],
            "series_families": ["health"]
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

async fn platforms(c: &Client) -> Vec<String> {
    let page = call_ok(c, Method::GET, "/platforms?limit=500", Value::Null).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn assert_retry(res: &ce_sdk::RawResponse, code: &str) {
    assert_eq!(res.status, 503, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.content_type(), "application/problem+json");
    assert_eq!(res.problem().unwrap().code, code);
    let wait: u64 = res
        .headers
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
}

#[tokio::test]
async fn a_locked_database_answers_503_busy_and_the_retry_succeeds() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite:") {
        return;
    }
    let hrss = app.hrss().await;
    let token = hrss.token().unwrap().to_string();
    let server = app
        .server_with(|s| s.database.sqlite_busy_timeout_ms = 200)
        .await
        .with_token(token);
    // Another process holds the write lock (a backup tool, a long import).
    let mut other = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let res = post_platform(&server, "广州医学继续教育平台").await;
    assert_retry(&res, "database_busy");
    // Reads go on; the server is up and says it is ready.
    assert!(platforms(&server).await.is_empty());
    let ready = server
        .send_raw(Method::GET, "/health/ready", None, vec![])
        .await
        .unwrap();
    assert_eq!(ready.status, 200);
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    // The client's retry succeeds, once.
    let res = post_platform(&server, "广州医学继续教育平台").await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(platforms(&server).await, ["广州医学继续教育平台"]);
}

#[tokio::test]
async fn a_full_database_answers_503_full_and_reads_go_on() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("sqlite:") {
        return;
    }
    let hrss = app.hrss().await;
    let token = hrss.token().unwrap().to_string();
    // The file as it is now, and not a page more.
    let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .unwrap();
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let server = app
        .server_with(|s| s.database.sqlite_max_pages = Some(pages as u32))
        .await
        .with_token(token);
    let mut stored = 0;
    let mut full = None;
    for n in 0..2_000 {
        let res = post_platform(&server, &format!("平台{n:04}")).await;
        match res.status {
            201 => stored += 1,
            _ => {
                full = Some(res);
                break;
            }
        }
    }
    let res = full.expect("the file never filled up");
    assert_retry(&res, "database_full");
    // What was acknowledged is there, and nothing else; reads go on.
    assert_eq!(platforms(&server).await.len(), stored);
    // On the uncapped server the same request then succeeds.
    let res = post_platform(&hrss, &format!("平台{stored:04}")).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(platforms(&hrss).await.len(), stored + 1);
}
