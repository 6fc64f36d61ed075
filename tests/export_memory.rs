//! An export of 100,000 records streams with bounded memory.
//!
//! Its own test binary, with this one test, so that the process's resident
//! memory is this server's and this download's alone (the end-to-end suite
//! runs many servers in one process at once). The rows are written straight
//! to the database in one transaction; the download is read chunk by chunk
//! and thrown away while a sampler reads `VmRSS` from `/proc/self/status`
//! every few milliseconds.

#[allow(dead_code)]
#[path = "e2e/helpers.rs"]
mod helpers;
#[path = "common/rows.rs"]
mod rows;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ce_entity::{person, record};
use sea_orm::{ActiveValue::Set, Database, EntityTrait, TransactionTrait};
use uuid::Uuid;

/// Rows exported; `CE_EXPORT_ROWS` changes it (e.g. to see that the
/// growth does not follow the number of rows).
fn rows() -> usize {
    std::env::var("CE_EXPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
const PERSONS: usize = 100;
/// Rows per INSERT (well under SQLite's bound-parameter limit).
const BATCH: usize = 500;
/// The bound on the server's growth while it streams.
const LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// The process's resident set in bytes (`VmRSS`), or 0 where `/proc` is not.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

async fn seed(database_url: &str) {
    let db = Database::connect(database_url).await.expect("connecting");
    let tx = db.begin().await.expect("transaction");
    let now = chrono::Utc::now();
    let persons: Vec<Uuid> = (0..PERSONS).map(|_| Uuid::now_v7()).collect();
    person::Entity::insert_many(persons.iter().enumerate().map(|(i, id)| {
        rows::verified_person(
            *id,
            format!("测试,\"人员\"{i}"),
            rows::StoredIdCard::dummy(*id),
            now,
        )
    }))
    .exec(&tx)
    .await
    .expect("persons");
    let total = rows();
    let mut written = 0;
    while written < total {
        let n = BATCH.min(total - written);
        let batch = (0..n).map(|k| {
            let i = written + k;
            record::ActiveModel {
                id: Set(Uuid::now_v7()),
                person_id: Set(persons[i % PERSONS]),
                year: Set(2024),
                category: Set("professional".into()),
                series_code: Set(Some("engineering".into())),
                course_name: Set(format!("工程技术专业课程, 第{i}讲 \"安全\"")),
                hours_tenths: Set(15),
                approved_tenths: Set(15),
                result: Set(Some("passed".into())),
                source: Set("self_declared".into()),
                provider_id: Set(None),
                provider_name: Set(Some("广州市继续教育基地".into())),
                class_id: Set(None),
                platform_id: Set(None),
                external_id: Set(None),
                unit_id: Set(None),
                status: Set(ce_entity::state::RecordStatus::Approved),
                attachment_ids: Set(serde_json::json!([])),
                completed_at: Set(None),
                conversion_code: Set(None),
                general_knowledge: Set(false),
                topic: Set(None),
                origin: Set(None),
                invalidated_reason: Set(None),
                authority_id: Set(None),
                results_published_on: Set(None),
                initial_training: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
        });
        record::Entity::insert_many(batch)
            .exec(&tx)
            .await
            .expect("records");
        written += n;
    }
    tx.commit().await.expect("commit");
    db.close().await.ok();
}

#[tokio::test]
async fn a_100k_row_records_export_streams_with_bounded_memory() {
    let app = helpers::spawn_app().await;
    let hrss = app.hrss().await;
    let started = std::time::Instant::now();
    seed(&app.database_url).await;
    let seeded = started.elapsed();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/records/export?year=2024", hrss.base_url());
    let token = hrss.token().expect("token").to_string();

    // Warm up the server's pools and caches with a small export first.
    let warm = http
        .get(format!("{url}&status=returned"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("warm-up");
    assert_eq!(warm.status(), 200);
    warm.bytes().await.expect("warm-up body");

    let baseline = rss();
    let peak = Arc::new(AtomicU64::new(baseline));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let t = std::time::Instant::now();
    let mut res = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let (mut bytes, mut chunks, mut newlines) = (0u64, 0u64, 0u64);
    let mut first = true;
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        if first {
            assert_eq!(&chunk[..3], b"\xEF\xBB\xBF");
            first = false;
        }
        bytes += chunk.len() as u64;
        chunks += 1;
        newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    let rows = rows();
    println!(
        "export of {rows} rows: {bytes} bytes in {chunks} chunks in {took:?} (seeding took {seeded:?}); \
         resident memory {} MiB before, peak growth {:.1} MiB while streaming",
        baseline / (1024 * 1024),
        growth as f64 / (1024.0 * 1024.0)
    );
    assert_eq!(newlines, rows as u64 + 1, "a header and one line a row");
    assert!(chunks > 1, "the body arrives in pieces");
    assert!(
        baseline == 0 || growth < LIMIT_BYTES,
        "the server grew by {growth} bytes while streaming {bytes} bytes"
    );
}
