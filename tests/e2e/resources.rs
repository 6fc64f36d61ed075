//! Bounded resources (issue 16): password hashing has a fixed number of
//! threads and a short queue, so a login storm is answered 503 with
//! `Retry-After` beyond it while everything else keeps being answered; and
//! registration is rate-limited per address like login. The storm itself,
//! with the server's memory, is `tests/storm.rs`.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn post(app: &TestApp, path: &str, body: serde_json::Value) -> ce_sdk::RawResponse {
    app.client
        .send_raw(
            Method::POST,
            path,
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_beyond_the_hashing_queue_get_503_with_retry_after_while_reads_go_on() {
    // One hashing thread and room for one more: a login that finds both
    // taken is refused at once.
    let app = spawn_app_with(Options {
        mfa_required: false,
        hashing: Some((1, 1)),
        ..Options::default()
    })
    .await;
    let p = app.register().await;
    let reader = app.login_person(&p).await;

    let logins: Vec<_> = (0..12)
        .map(|_| {
            let client = app.client.clone();
            let body =
                serde_json::to_vec(&json!({"account": p.id_card_no, "password": p.password}))
                    .unwrap();
            tokio::spawn(async move {
                client
                    .send_raw(
                        Method::POST,
                        "/api/v1/auth/login",
                        Some("application/json"),
                        body,
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    // Reads that need no hashing are answered meanwhile.
    for _ in 0..5 {
        assert!(ce_sdk::call!(reader.api().me_view()).is_ok());
    }
    let mut refused = Vec::new();
    let mut ok = 0;
    for l in logins {
        let r = l.await.unwrap();
        match r.status {
            200 => ok += 1,
            503 => refused.push(r),
            s => panic!("login answered {s}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    assert!(ok >= 1, "no login got through");
    assert!(
        !refused.is_empty(),
        "12 concurrent logins on one thread with one place waiting: some must be refused"
    );
    for r in &refused {
        assert_eq!(r.content_type(), "application/problem+json");
        assert_eq!(r.problem().unwrap().code, "server_busy");
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
    }
    // After the wait, the same login goes through.
    let r = post(
        &app,
        "/api/v1/auth/login",
        json!({"account": p.id_card_no, "password": p.password}),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn registrations_from_one_address_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(Options {
        register_per_minute: 2,
        ..Options::default()
    })
    .await;
    let mut statuses = vec![];
    for _ in 0..3 {
        let body = serde_json::to_value(registration(&id_card_no(), &phone_no())).unwrap();
        let r = post(&app, "/api/v1/auth/register", body).await;
        if r.status == 429 {
            let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
            assert_eq!(r.problem().unwrap().code, "rate_limited");
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [201, 201, 429]);
}
