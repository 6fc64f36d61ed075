//! Load (issue 9): a mixed workload — platform pushes, declarations and
//! their reviews, compliance reads, public verification — on 64
//! connections at once. No 5xx, no transport error, and afterwards the
//! totals are exactly what was sent.
//!
//! `CE_LOAD_SECONDS` sets the duration (CI: the default, 10 s; the full
//! run in the README: 60 s).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::Database;
use serde_json::{Value, json};

use crate::helpers::*;

const PUSHERS: usize = 16;
const DECLARERS: usize = 8;
const READERS: usize = 24;
const VERIFIERS: usize = 16;

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    /// Answers that were neither 2xx nor expected, and transport errors.
    failures: AtomicU64,
    pushed_accepted: AtomicU64,
    approved: AtomicU64,
    /// 503 `server_busy` answers, retried after their `Retry-After` as a
    /// client should (issue 16: the bulk queue is bounded); not failures
    /// unless the retries run out.
    busy: AtomicU64,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        eprintln!("load: {what}");
    }
}

/// Sends JSON; `Some(body)` on 2xx, else counts a failure. A 503
/// `server_busy` (refused before any work, so safe to send again) is
/// retried after its `Retry-After`, up to 10 times.
async fn send(
    t: &Tally,
    c: &ce_sdk::Client,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> Option<Value> {
    t.requests.fetch_add(1, Ordering::Relaxed);
    let (ct, bytes) = match &body {
        Some(b) => (Some("application/json"), serde_json::to_vec(b).unwrap()),
        None => (None, vec![]),
    };
    let mut answer = c.send_raw(m.clone(), path, ct, bytes.clone()).await;
    for _ in 0..10 {
        let Ok(r) = &answer else { break };
        let busy = r.status == 503 && r.problem().is_some_and(|p| p.code == "server_busy");
        let Some(after) = r
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .filter(|_| busy)
        else {
            break;
        };
        t.busy.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(after)).await;
        answer = c.send_raw(m.clone(), path, ct, bytes.clone()).await;
    }
    match answer {
        Ok(r) if (200..300).contains(&r.status) => {
            Some(serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        }
        Ok(r) => {
            t.fail(format!(
                "{m} {path}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
            None
        }
        Err(e) => {
            t.fail(format!("{m} {path}: {e}"));
            None
        }
    }
}

#[tokio::test]
async fn a_mixed_workload_on_64_connections_has_no_error_and_exact_totals() {
    let seconds: u64 = std::env::var("CE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let app = spawn_app_with(Options {
        mfa_required: false,
        verify_per_minute: 10_000_000,
        ..Options::default()
    })
    .await;
    // Accountants, each certified and bound to a unit with its admin.
    let mut people = vec![];
    for _ in 0..DECLARERS {
        people.push(crate::certificates::certified_accountant(&app).await);
    }
    let number = {
        let (p, _, _) = &people[0];
        let list = send(
            &Tally::default(),
            &p.client,
            Method::GET,
            &format!("/api/v1/certificates?person_id={}", p.person_id()),
            None,
        )
        .await
        .unwrap();
        list["items"][0]["number"].as_str().unwrap().to_string()
    };
    let hrss = app.hrss().await;
    let pf = send(
        &Tally::default(),
        &hrss,
        Method::POST,
        "/api/v1/platforms",
        Some(json!({"name": "负载", "categories": ["public"], "series_families": ["accounting"]})),
    )
    .await
    .unwrap();
    let platform = app
        .client
        .client_credentials(
            pf["client_id"].as_str().unwrap(),
            pf["client_secret"].as_str().unwrap(),
        )
        .await
        .unwrap();
    let ids: Arc<Vec<String>> = Arc::new(
        people
            .iter()
            .map(|(p, _, _)| p.person.id_card_no.clone())
            .collect(),
    );

    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..PUSHERS {
        let (t, c, ids) = (tally.clone(), platform.clone(), ids.clone());
        tasks.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let items: Vec<Value> = (0..50)
                    .map(|k| {
                        json!({
                            "external_id": format!("load-{w}-{n}-{k}"),
                            "id_card_no": ids[(k as usize) % ids.len()],
                            "name": "张三",
                            "year": this_year(),
                            "category": "public",
                            "course_name": "中国式现代化",
                            "hours": 0.1,
                            "completed_at": chrono::Utc::now().to_rfc3339(),
                        })
                    })
                    .collect();
                n += 1;
                if let Some(o) = send(
                    &t,
                    &c,
                    Method::POST,
                    "/api/v1/records/batch",
                    Some(json!({"items": items})),
                )
                .await
                {
                    t.pushed_accepted
                        .fetch_add(o["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                    if o["rejected"].as_u64() != Some(0) {
                        t.fail(format!("push rejected items: {}", o["items"]));
                    }
                }
            }
        });
    }
    for (p, admin, _) in &people {
        let (t, pc, ac) = (tally.clone(), p.client.clone(), admin.client.clone());
        tasks.spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let declared = send(
                    &t,
                    &pc,
                    Method::POST,
                    "/api/v1/records",
                    Some(json!({
                        "year": this_year(), "category": "elective",
                        "course_name": format!("选修课程 {n}"), "hours": 0.5,
                    })),
                )
                .await;
                let Some(r) = declared else { continue };
                let id = r["id"].as_str().unwrap().to_string();
                if send(
                    &t,
                    &ac,
                    Method::POST,
                    &format!("/api/v1/records/{id}/review"),
                    Some(json!({"decision": "approve"})),
                )
                .await
                .is_some()
                {
                    t.approved.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    for r in 0..READERS {
        let (p, _, _) = &people[r % people.len()];
        let (t, c, pid) = (tally.clone(), p.client.clone(), p.person_id());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let path = format!("/api/v1/persons/{pid}/compliance?year={}", this_year());
                send(&t, &c, Method::GET, &path, None).await;
            }
        });
    }
    for _ in 0..VERIFIERS {
        let (t, c, number) = (tally.clone(), app.client.clone(), number.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                send(
                    &t,
                    &c,
                    Method::GET,
                    &format!("/api/v1/verify/{number}"),
                    None,
                )
                .await;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("a worker panicked");
    }

    let requests = tally.requests.load(Ordering::Relaxed);
    let failures = tally.failures.load(Ordering::Relaxed);
    let busy = tally.busy.load(Ordering::Relaxed);
    eprintln!(
        "load: {requests} requests in {seconds} s on {} connections ({:.0}/s), {failures} failures, {busy} busy answers retried",
        PUSHERS + DECLARERS + READERS + VERIFIERS,
        requests as f64 / seconds as f64
    );
    assert_eq!(failures, 0, "no 5xx, no transport error, no refusal");
    assert!(requests > 100, "the workload ran: {requests}");

    // The totals are exactly what was sent.
    let db = Database::connect(&app.database_url).await.unwrap();
    let pushed = crate::crash::count(
        &db,
        "SELECT COUNT(*) FROM records WHERE external_id LIKE 'load-%'",
    )
    .await;
    assert_eq!(pushed as u64, tally.pushed_accepted.load(Ordering::Relaxed));
    let approved = crate::crash::count(
        &db,
        "SELECT COUNT(*) FROM records WHERE category = 'elective' AND status = 'approved'",
    )
    .await;
    assert_eq!(approved as u64, tally.approved.load(Ordering::Relaxed));
}
