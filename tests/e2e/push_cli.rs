//! The SDK for platforms and `ce-push`: `PlatformClient` splits, retries
//! under one `Idempotency-Key` a batch and merges the outcomes; the command
//! line pushes CSV and JSON Lines files and writes back what was rejected.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ce_sdk::{PlatformClient, PushOptions, call, cli, types};
use serde_json::Value;

use crate::helpers::*;
use crate::push::public;

/// A platform that pushes public hours: its client id and secret.
async fn credentials(app: &TestApp) -> (String, String) {
    let hrss = app.hrss().await;
    let created = call!(hrss.api().platform_create(
        None,
        &types::CreatePlatformRequest {
            name: "公需课学习平台".parse().unwrap(),
            categories: vec![types::Category::Public],
            series_families: vec!["engineering".parse().unwrap()],
        }
    ))
    .unwrap();
    (created.client_id, created.client_secret)
}

async fn public_hours(app: &TestApp, person: &Signed) -> f64 {
    let hrss = app.hrss().await;
    call!(
        hrss.api()
            .person_compliance(&person.person_id(), Some(this_year()))
    )
    .unwrap()
    .categories
    .public
    .approved
}

fn fast() -> PushOptions {
    PushOptions {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..PushOptions::default()
    }
}

#[tokio::test]
async fn platform_client_pushes_2500_items_in_three_batches_with_input_indices() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let people = [app.verified_person().await, app.verified_person().await];
    let mut items: Vec<Value> = (0..2500)
        .map(|i| public(&format!("pc-{i}"), &people[i % 2].person))
        .collect();
    items[1500]["name"] = "李四".into();
    items[2499]["hours"] = 5000.into();

    let client = PlatformClient::new(app.client.base_url(), id, secret);
    let mut progress = Vec::new();
    let started = Instant::now();
    let report = client
        .push_all_with_progress(&items, |done, total| progress.push((done, total)))
        .await
        .unwrap();
    eprintln!("2,500 items pushed in {:?}", started.elapsed());
    assert_eq!(progress, [(1000, 2500), (2000, 2500), (2500, 2500)]);
    assert_eq!(report.batches.len(), 3);
    assert_eq!(
        (report.accepted, report.duplicate, report.rejected),
        (2498, 0, 2)
    );
    assert_eq!((report.retries, report.replayed), (0, 0));
    assert_eq!(report.items.len(), 2500);
    for (i, item) in report.items.iter().enumerate() {
        assert_eq!(item.index, i);
        assert_eq!(
            item.external_id.as_deref(),
            Some(format!("pc-{i}").as_str())
        );
    }
    let rejected: Vec<_> = report
        .rejected_items()
        .map(|i| (i.index, i.code.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        [(1500, Some("name_mismatch")), (2499, Some("hours_invalid"))]
    );
    assert!(!report.all_recorded());
    assert_eq!(public_hours(&app, &people[0]).await, 1249.0);
    assert_eq!(public_hours(&app, &people[1]).await, 1249.0);

    // Everything again (as after an interruption): duplicates, same records.
    let again = client.push_all(&items).await.unwrap();
    assert_eq!(
        (again.accepted, again.duplicate, again.rejected),
        (0, 2498, 2)
    );
    assert_eq!(again.batches.len(), 3);
    assert!(again.batches.iter().all(|b| !report.batches.contains(b)));
    for (a, b) in report.items.iter().zip(&again.items) {
        assert_eq!((a.index, a.record_id), (b.index, b.record_id));
    }
    assert_eq!(public_hours(&app, &people[0]).await, 1249.0);

    // Typed items work the same, in batches of any size.
    let typed: Vec<types::PushItem> = items[..5]
        .iter()
        .map(|i| serde_json::from_value(i.clone()).unwrap())
        .collect();
    let small = client
        .with_options(PushOptions {
            batch_size: 2,
            ..PushOptions::default()
        })
        .push_all(&typed)
        .await
        .unwrap();
    assert_eq!((small.batches.len(), small.duplicate), (3, 5));
    assert_eq!(small.items[4].index, 4);
}

/// What the stub does with a push request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// 503 without forwarding.
    Unavailable,
    /// Forwards, then loses the answer: 502.
    LoseAnswer,
    /// 429 with `Retry-After` seconds, without forwarding.
    TooMany(u64),
    /// 401 with this code, without forwarding.
    Unauthorized(&'static str),
    /// 422 `body_invalid`, without forwarding.
    Unprocessable,
}

/// A push request as the stub saw it.
#[derive(Debug, Clone)]
struct Seen {
    key: Option<String>,
    items: usize,
}

/// An HTTP proxy in front of the real server that answers push requests
/// with the planned faults, in order, and forwards the rest.
struct Stub {
    upstream: String,
    http: reqwest::Client,
    plan: Mutex<VecDeque<Option<Fault>>>,
    pushes: Mutex<Vec<Seen>>,
    tokens: Mutex<usize>,
    /// Rewrites the tokens' `expires_in`.
    token_ttl: Mutex<Option<u32>>,
}

impl Stub {
    async fn start(upstream: &str, plan: Vec<Option<Fault>>) -> (Arc<Stub>, String) {
        let stub = Arc::new(Stub {
            upstream: upstream.to_string(),
            http: reqwest::Client::new(),
            plan: Mutex::new(plan.into()),
            pushes: Mutex::new(Vec::new()),
            tokens: Mutex::new(0),
            token_ttl: Mutex::new(None),
        });
        let data = web::Data::from(stub.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::default().limit(16 << 20))
                .default_service(web::to(proxy))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        (stub, format!("http://127.0.0.1:{port}"))
    }

    fn keys(&self) -> Vec<Option<String>> {
        self.pushes
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.key.clone())
            .collect()
    }
}

fn problem(status: u16, code: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": "about:blank", "title": "stub", "status": status,
            "code": code, "detail": "from the stub",
        }))
}

async fn proxy(req: HttpRequest, body: web::Bytes, stub: web::Data<Stub>) -> HttpResponse {
    let path = req.uri().path().to_string();
    let mut fault = None;
    let ttl = *stub.token_ttl.lock().unwrap();
    if path == "/api/v1/records/batch" && req.method() == actix_web::http::Method::POST {
        let items = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["items"].as_array().map(Vec::len))
            .unwrap_or(0);
        stub.pushes.lock().unwrap().push(Seen {
            key: req
                .headers()
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            items,
        });
        fault = stub.plan.lock().unwrap().pop_front().flatten();
    } else if path == "/api/v1/auth/token" {
        *stub.tokens.lock().unwrap() += 1;
    }
    match fault {
        Some(Fault::Unavailable) => return problem(503, "unavailable"),
        Some(Fault::TooMany(secs)) => {
            let mut r = problem(429, "rate_limited");
            r.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                secs.to_string().parse().unwrap(),
            );
            return r;
        }
        Some(Fault::Unauthorized(code)) => return problem(401, code),
        Some(Fault::Unprocessable) => return problem(422, "body_invalid"),
        Some(Fault::LoseAnswer) | None => {}
    }
    let mut out = stub.http.request(
        req.method().as_str().parse().unwrap(),
        format!("{}{}", stub.upstream, req.uri()),
    );
    for (name, value) in req.headers() {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let resp = out.body(body.to_vec()).send().await.unwrap();
    if matches!(fault, Some(Fault::LoseAnswer)) {
        return problem(502, "bad_gateway");
    }
    let mut back =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(resp.status().as_u16()).unwrap());
    for (name, value) in resp.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            back.append_header((name.as_str(), value.as_bytes()));
        }
    }
    let mut body = resp.bytes().await.unwrap().to_vec();
    if let Some(ttl) = ttl.filter(|_| path == "/api/v1/auth/token") {
        let mut token: Value = serde_json::from_slice(&body).unwrap();
        token["expires_in"] = ttl.into();
        body = serde_json::to_vec(&token).unwrap();
    }
    back.body(body)
}

#[tokio::test]
async fn retries_reuse_the_batch_key_and_never_count_twice() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let person = app.verified_person().await;
    let items: Vec<Value> = (0..40)
        .map(|i| public(&format!("rt-{i}"), &person.person))
        .collect();
    use Fault::*;
    let (stub, url) = Stub::start(
        app.client.base_url(),
        vec![
            // Batch 0: 503 before the server saw it.
            Some(Unavailable),
            None,
            // Batch 1: the server recorded it, the answer was lost.
            Some(LoseAnswer),
            None,
            // Batch 2: rate limited for a second.
            Some(TooMany(1)),
            None,
            // Batch 3: the token expired in between.
            Some(Unauthorized("token_expired")),
            None,
        ],
    )
    .await;
    let client = PlatformClient::new(&url, &id, &secret).with_options(PushOptions {
        batch_size: 10,
        ..fast()
    });
    let started = Instant::now();
    let report = client.push_all(&items).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After");
    assert_eq!(
        (report.accepted, report.duplicate, report.rejected),
        (40, 0, 0),
        "{:?}",
        report.items
    );
    assert_eq!(report.batches.len(), 4);
    // The lost answer was replayed from the key, not pushed again.
    assert_eq!((report.retries, report.replayed), (4, 1));
    assert_eq!(
        *stub.tokens.lock().unwrap(),
        2,
        "one refresh on token_expired"
    );

    let keys = stub.keys();
    assert_eq!(keys.len(), 8);
    for pair in keys.chunks(2) {
        let key = pair[0].as_deref().expect("an Idempotency-Key");
        assert_eq!(pair[0], pair[1], "a retry reuses its batch's key");
        let uuid: uuid::Uuid = key.parse().unwrap();
        assert_eq!(uuid.get_version_num(), 4);
    }
    let mut distinct: Vec<_> = keys.iter().flatten().collect();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "one key per batch");
    assert!(stub.pushes.lock().unwrap().iter().all(|s| s.items == 10));
    assert_eq!(public_hours(&app, &person).await, 40.0);
}

#[tokio::test]
async fn retries_give_up_after_max_attempts_and_never_on_other_client_errors() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let person = app.verified_person().await;
    let items: Vec<Value> = (0..15)
        .map(|i| public(&format!("gu-{i}"), &person.person))
        .collect();
    use Fault::*;
    // The first batch goes through; the second meets only 503s.
    let (stub, url) = Stub::start(
        app.client.base_url(),
        vec![
            None,
            Some(Unavailable),
            Some(Unavailable),
            Some(Unavailable),
        ],
    )
    .await;
    let client = PlatformClient::new(&url, &id, &secret).with_options(PushOptions {
        batch_size: 10,
        max_attempts: 3,
        ..fast()
    });
    let err = client.push_all(&items).await.unwrap_err();
    assert_eq!(err.error.status(), Some(503));
    assert_eq!((err.first, err.end), (10, 15));
    assert_eq!(err.partial.accepted, 10);
    let keys = stub.keys();
    assert_eq!(keys.len(), 4);
    assert_ne!(keys[0], keys[1]);
    assert!(keys[1..].iter().all(|k| *k == keys[1]));

    // A 4xx other than 401/408/429 is final: sent once.
    let (stub, url) = Stub::start(app.client.base_url(), vec![Some(Unprocessable)]).await;
    let client = PlatformClient::new(&url, &id, &secret).with_options(fast());
    let err = client.push_all(&items).await.unwrap_err();
    assert_eq!(err.error.code(), Some("body_invalid"));
    assert_eq!(stub.keys().len(), 1);

    // A second token_expired after a refresh is final too.
    let (stub, url) = Stub::start(
        app.client.base_url(),
        vec![
            Some(Unauthorized("token_invalid")),
            Some(Unauthorized("token_invalid")),
        ],
    )
    .await;
    let client = PlatformClient::new(&url, &id, &secret).with_options(fast());
    let err = client.push_all(&items).await.unwrap_err();
    assert_eq!(err.error.status(), Some(401));
    assert_eq!(stub.keys().len(), 2);
    assert_eq!(*stub.tokens.lock().unwrap(), 2);

    // Wrong credentials: the token request fails at once.
    let client = PlatformClient::new(app.client.base_url(), &id, "wrong-secret");
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(public_hours(&app, &person).await, 10.0);
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let person = app.verified_person().await;
    let (stub, url) = Stub::start(app.client.base_url(), vec![]).await;
    *stub.token_ttl.lock().unwrap() = Some(2);
    let client = PlatformClient::new(&url, &id, &secret);
    let first = client
        .push_all(&[public("tk-0", &person.person)])
        .await
        .unwrap();
    let again = client
        .push_all(&[public("tk-1", &person.person)])
        .await
        .unwrap();
    assert_eq!(*stub.tokens.lock().unwrap(), 1, "still fresh");
    // A token of two seconds is renewed with a fifth of it to spare.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let late = client
        .push_all(&[public("tk-2", &person.person)])
        .await
        .unwrap();
    assert_eq!(*stub.tokens.lock().unwrap(), 2);
    assert_eq!(first.accepted + again.accepted + late.accepted, 3);
    assert_eq!(first.retries + again.retries + late.retries, 0);
}

/// A directory removed at the end of the test.
fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("ce-push-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn args(url: &str, id: &str, secret: &str, file: &std::path::Path) -> Vec<String> {
    vec![
        "ce-push".into(),
        "--url".into(),
        url.into(),
        "--client-id".into(),
        id.into(),
        "--client-secret".into(),
        secret.into(),
        file.display().to_string(),
    ]
}

#[tokio::test]
async fn ce_push_pushes_a_10000_line_csv_and_again_as_duplicates() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let people = [app.verified_person().await, app.verified_person().await];
    let dir = temp_dir();
    let file = dir.0.join("completions.csv");
    let mut csv = String::from(
        "external_id,id_card_no,name,year,category,series,course_name,hours,result,completed_at,general_knowledge\n",
    );
    let now = chrono::Utc::now().to_rfc3339();
    for i in 0..10_000 {
        let p = &people[i % 2].person;
        csv.push_str(&format!(
            "cli-{i},{},张三,{},public,,中国式现代化,0.5,合格,{now},\n",
            p.id_card_no,
            this_year()
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let base = app.client.base_url();

    let started = Instant::now();
    let first = cli::run(args(base, &id, &secret, &file)).await.unwrap();
    let took = started.elapsed();
    eprintln!("ce-push: 10,000 CSV lines in {took:?}");
    assert_eq!(
        (
            first.report.accepted,
            first.report.duplicate,
            first.rejected()
        ),
        (10_000, 0, 0)
    );
    assert_eq!(first.report.batches.len(), 10);
    assert_eq!(first.exit_code(), 0);
    assert_eq!(first.rejected_file, None);
    assert!(!dir.0.join("completions.rejected.csv").exists());
    assert_eq!(public_hours(&app, &people[0]).await, 2500.0);

    let started = Instant::now();
    let again = cli::run(args(base, &id, &secret, &file)).await.unwrap();
    eprintln!("ce-push: 10,000 duplicates in {:?}", started.elapsed());
    assert_eq!(
        (
            again.report.accepted,
            again.report.duplicate,
            again.rejected()
        ),
        (0, 10_000, 0)
    );
    assert_eq!(cli::exit_code(&Ok(again)), 0);
    assert_eq!(public_hours(&app, &people[1]).await, 2500.0);
}

#[tokio::test]
async fn ce_push_writes_unreadable_and_rejected_lines_back_to_fix_and_push_again() {
    let app = spawn_app().await;
    let (id, secret) = credentials(&app).await;
    let person = app.verified_person().await;
    let dir = temp_dir();
    let file = dir.0.join("batch.jsonl");
    let line = |ext: &str| public(ext, &person.person).to_string();
    let mut wrong_name = public("j-wrong", &person.person);
    wrong_name["name"] = "李四".into();
    let lines = [
        line("j-0"),
        "{\"external_id\": \"j-broken\", ".to_string(),
        line("j-1"),
        String::new(),
        wrong_name.to_string(),
        "[\"not\", \"an\", \"object\"]".to_string(),
        line("j-2"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let base = app.client.base_url();

    let result = cli::run(args(base, &id, &secret, &file)).await;
    assert_eq!(cli::exit_code(&result), 2);
    let out = result.unwrap();
    assert_eq!((out.report.accepted, out.report.rejected), (3, 1));
    assert_eq!((out.invalid_lines, out.rejected()), (2, 3));
    let rejected_path = dir.0.join("batch.rejected.jsonl");
    assert_eq!(out.rejected_file.as_deref(), Some(rejected_path.as_path()));
    let written: Vec<Value> = std::fs::read_to_string(&rejected_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let codes: Vec<&str> = written
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["line_invalid", "name_mismatch", "line_invalid"]);
    assert_eq!(written[0]["line"], 2);
    assert_eq!(written[0]["raw"], lines[1]);
    assert!(written[0]["detail"].as_str().unwrap().contains("line 2"));
    assert_eq!(written[1]["external_id"], "j-wrong");
    assert!(!written[1]["detail"].as_str().unwrap().is_empty());
    assert_eq!(written[2]["line"], 6);

    // Fixed in the rejected file (its code and detail are ignored) and
    // pushed from there, into a rejected file of its own.
    let fixed = dir.0.join("fixed.jsonl");
    let mut item = written[1].clone();
    item["name"] = "张三".into();
    std::fs::write(&fixed, format!("{item}\n{}\n", lines[0])).unwrap();
    let again = cli::run(args(base, &id, &secret, &fixed)).await.unwrap();
    assert_eq!((again.report.accepted, again.report.duplicate), (1, 1));
    assert_eq!(again.exit_code(), 0);
    assert_eq!(public_hours(&app, &person).await, 4.0);

    // Errors exit 1: wrong credentials, an unknown format, bad arguments.
    let r = cli::run(args(base, &id, "wrong", &fixed)).await;
    assert!(matches!(r, Err(cli::CliError::Push(..))), "{r:?}");
    assert_eq!(cli::exit_code(&r), 1);
    let txt = dir.0.join("batch.txt");
    std::fs::write(&txt, "").unwrap();
    let r = cli::run(args(base, &id, &secret, &txt)).await;
    assert_eq!(cli::exit_code(&r), 1);
    let r = cli::run(["ce-push", "--batch-size", "5000", "x.csv"]).await;
    assert_eq!(cli::exit_code(&r), 1);
    assert_eq!(cli::exit_code(&cli::run(["ce-push", "--help"]).await), 0);
}
