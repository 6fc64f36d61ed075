//! What integrators were promised (issue 19): `Idempotency-Key` on every
//! creating `POST`, `If-None-Match` on reads, the token operation as RFC
//! 6749 writes it, strict bodies, and answers that name what a client needs
//! at the top level.

use ce_sdk::{Client, call, types};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn platform_body(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "categories": ["professional"],
        "series_families": ["engineering"],
    })
}

/// Sends `body` with the caller's token and an `Idempotency-Key`.
async fn post_with_key(
    c: &Client,
    path: &str,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", c.base_url()))
        .bearer_auth(c.token().unwrap())
        .header("Idempotency-Key", key)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_json(
    c: &Client,
    path: &str,
    key: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    post_with_key(
        c,
        path,
        key,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

async fn platforms_named(hrss: &Client, name: &str) -> usize {
    let page = call!(
        hrss.api()
            .platform_list(None, Some(std::num::NonZeroU32::new(500).unwrap()))
    )
    .unwrap();
    page.items
        .iter()
        .filter(|p| p.name.as_str() == name)
        .count()
}

#[tokio::test]
async fn a_create_retried_with_its_key_replays_the_first_answer_and_creates_once() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let body = platform_body("重试平台");
    let first = post_json(&hrss, "/api/v1/platforms", "create-platform-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("Idempotency-Replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();

    let again = post_json(&hrss, "/api/v1/platforms", "create-platform-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["Idempotency-Replayed"], "true");
    assert!(
        again.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let again: serde_json::Value = again.json().await.unwrap();
    // The same platform, secret included: the client lost the first answer.
    assert_eq!(again, first);
    assert_eq!(platforms_named(&hrss, "重试平台").await, 1);

    // A new key is a new platform.
    let other = post_json(&hrss, "/api/v1/platforms", "create-platform-2", &body).await;
    assert_eq!(other.status(), 201);
    assert_eq!(platforms_named(&hrss, "重试平台").await, 2);
}

#[tokio::test]
async fn another_request_under_a_used_key_is_409_and_a_refused_one_frees_its_key() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    // Refused (422): not kept, so the corrected request may use the key.
    let bad = post_json(
        &hrss,
        "/api/v1/platforms",
        "k-1",
        &serde_json::json!({"name": "", "categories": [], "series_families": []}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let good = post_json(
        &hrss,
        "/api/v1/platforms",
        "k-1",
        &platform_body("改正平台"),
    )
    .await;
    assert_eq!(good.status(), 201);

    let other = post_json(
        &hrss,
        "/api/v1/platforms",
        "k-1",
        &platform_body("另一平台"),
    )
    .await;
    assert_eq!(other.status(), 409);
    let problem: serde_json::Value = other.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_reused");
    assert_eq!(platforms_named(&hrss, "另一平台").await, 0);

    // The same key on another creating operation is another request too.
    let unit = post_json(
        &hrss,
        "/api/v1/units",
        "k-1",
        &serde_json::to_value(unit_request(&credit_code())).unwrap(),
    )
    .await;
    assert_eq!(unit.status(), 409);

    // A key that is no visible ASCII is refused before anything runs.
    let res = post_json(&hrss, "/api/v1/platforms", "键", &platform_body("x")).await;
    assert_eq!(res.status(), 400);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_invalid");
}

#[tokio::test]
async fn keys_belong_to_their_caller_and_bodies_are_hashed_as_streamed() {
    let app = spawn_app().await;
    let a = app.person().await;
    let b = app.person().await;
    let path = "/api/v1/attachments?filename=proof.pdf";
    let up = |c: Client, bytes: Vec<u8>| async move {
        post_with_key(&c, path, "upload-1", "application/octet-stream", bytes).await
    };
    let first = up(a.client.clone(), PDF.to_vec()).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    // Another caller's same key is its own.
    let theirs = up(b.client.clone(), PDF.to_vec()).await;
    assert_eq!(theirs.status(), 201);
    let theirs: serde_json::Value = theirs.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
    // The same bytes again: the kept answer; other bytes: 409.
    let again = up(a.client.clone(), PDF.to_vec()).await;
    assert_eq!(again.headers()["Idempotency-Replayed"], "true");
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["id"],
        first["id"]
    );
    let mut changed = PDF.to_vec();
    changed.extend_from_slice(b"% one more line\n");
    assert_eq!(up(a.client.clone(), changed).await.status(), 409);
}

#[tokio::test]
async fn a_kept_answer_holds_no_secret_in_clear_and_an_abandoned_claim_is_taken_over() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let me = call!(hrss.api().me_view()).unwrap();
    let res = post_json(
        &hrss,
        "/api/v1/platforms",
        "sealed",
        &platform_body("密封平台"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_string();

    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT response, request_hash, response_status FROM idempotent_requests",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let sealed: Vec<u8> = rows[0].try_get("", "response").unwrap();
    let status: i16 = rows[0].try_get("", "response_status").unwrap();
    assert_eq!(status, 201);
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(!String::from_utf8_lossy(&sealed).contains("密封平台"));

    // A request still in flight under a key: 409 in use, with Retry-After.
    let claim = |key: &str, minutes_ago: i64| {
        use sea_orm::{ActiveModelTrait, Set};
        let row = ce_entity::idempotent_request::ActiveModel {
            caller_id: Set(me.id),
            idempotency_key: Set(key.to_string()),
            request_hash: Set(None),
            response_status: Set(None),
            response: Set(None),
            created_at: Set(chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)),
            completed_at: Set(None),
        };
        let db = &db;
        async move { row.insert(db).await.unwrap() }
    };
    claim("running", 0).await;
    let res = post_json(
        &hrss,
        "/api/v1/platforms",
        "running",
        &platform_body("并发平台"),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["Retry-After"], "1");
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["code"],
        "idempotency_key_in_use"
    );

    // One whose process died long ago does not block its key for ever.
    claim("abandoned", 30).await;
    let res = post_json(
        &hrss,
        "/api/v1/platforms",
        "abandoned",
        &platform_body("接管平台"),
    )
    .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn every_creating_operation_documents_the_key_and_the_token_one_content_type() {
    let app = spawn_app().await;
    let spec = app.served_spec().await;
    let mut creating = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(op) = item.get("post") else { continue };
        let public = op["security"].as_array().is_some_and(|s| s.is_empty());
        let creates = op["responses"].get("201").is_some() && !public;
        let has_key = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
        assert_eq!(
            has_key,
            creates || path == "/api/v1/records/batch",
            "{path}"
        );
        if creates {
            creating += 1;
            assert!(op["responses"].get("409").is_some(), "{path}");
            assert!(
                op["responses"]["201"]["headers"]
                    .get("Idempotency-Replayed")
                    .is_some(),
                "{path}"
            );
        }
    }
    assert!(creating >= 20, "{creating}");
    let token = &spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"];
    assert_eq!(
        token.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["application/x-www-form-urlencoded"]
    );
    let scheme = &spec["components"]["securitySchemes"]["client_credentials"];
    assert_eq!(scheme["type"], "oauth2");
    assert_eq!(
        scheme["flows"]["clientCredentials"]["tokenUrl"],
        "/api/v1/auth/token"
    );
    let push_security = &spec["paths"]["/api/v1/records/batch"]["post"]["security"];
    assert!(
        push_security
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("client_credentials").is_some())
    );
}

#[tokio::test]
async fn the_token_still_takes_json_and_refuses_a_scope_it_does_not_grant() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(hrss.api().platform_create(
        None,
        &types::CreatePlatformRequest {
            name: "令牌平台".parse().unwrap(),
            categories: vec![types::Category::Professional],
            series_families: vec!["engineering".parse().unwrap()],
        }
    ))
    .unwrap();
    let send = |ct: &'static str, body: String| {
        let c = app.client.clone();
        async move {
            c.send_raw(
                Method::POST,
                "/api/v1/auth/token",
                Some(ct),
                body.into_bytes(),
            )
            .await
            .unwrap()
        }
    };
    let json = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": created.client_id.as_str(),
        "client_secret": created.client_secret.as_str(),
    });
    assert_eq!(send("application/json", json.to_string()).await.status, 200);
    let form = |scope: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
            created.client_id.as_str(),
            created.client_secret.as_str()
        )
    };
    let ok = send("application/x-www-form-urlencoded", form("records%3Apush")).await;
    assert_eq!(ok.status, 200);
    let bad = send(
        "application/x-www-form-urlencoded",
        form("records%3Adelete"),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.problem().unwrap().code, "invalid_scope");
}

#[tokio::test]
async fn a_read_whose_etag_the_client_holds_answers_304() {
    let app = spawn_app().await;
    let p = app.person().await;
    let url = format!("{}/api/v1/persons/{}", p.client.base_url(), p.person_id());
    let get = |inm: Option<String>| {
        let mut r = reqwest::Client::new()
            .get(&url)
            .bearer_auth(p.client.token().unwrap());
        if let Some(v) = inm {
            r = r.header("If-None-Match", v);
        }
        r.send()
    };
    let first = get(None).await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["ETag"].to_str().unwrap().to_string();
    let same = get(Some(etag.clone())).await.unwrap();
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["ETag"].to_str().unwrap(), etag);
    assert!(same.bytes().await.unwrap().is_empty());
    let weak_list = get(Some(format!("\"999\", W/{etag}"))).await.unwrap();
    assert_eq!(weak_list.status(), 304);
    let other = get(Some("\"999\"".into())).await.unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn an_unknown_or_read_only_field_is_refused_by_name_and_a_type_error_names_its_path() {
    let app = spawn_app().await;
    let p = app.person().await;
    let token = p.client.token().unwrap().to_string();
    let send = |method: reqwest::Method, path: String, body: serde_json::Value| {
        let token = token.clone();
        let base = p.client.base_url().to_string();
        async move {
            let res = reqwest::Client::new()
                .request(method, format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    // A read-only field: refused, not dropped without a word.
    let (status, problem) = send(
        Method::PATCH,
        format!("/api/v1/persons/{}", p.person_id()),
        serde_json::json!({"verified": true}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "unknown_field");
    assert_eq!(problem["errors"][0]["field"], "verified");

    // A field of the wrong type names its path.
    let hrss = app.hrss().await;
    let res = post_json(
        &hrss,
        "/api/v1/platforms",
        "typed",
        &serde_json::json!({"name": "平台", "categories": ["professional", 7], "series_families": ["engineering"]}),
    )
    .await;
    let status = res.status();
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "body_invalid");
    assert_eq!(problem["errors"][0]["field"], "categories[1]");

    // The spec says so.
    let spec = app.served_spec().await;
    assert_eq!(
        spec["components"]["schemas"]["CreatePlatformRequest"]["additionalProperties"],
        false
    );
}

#[tokio::test]
async fn the_register_answer_names_the_person_at_the_top_level() {
    let app = spawn_app().await;
    let p = app.register().await;
    let person = p.me.person.as_ref().expect("a person");
    assert_eq!(p.me.person_id, Some(person.id));
    assert_ne!(
        p.me.id, person.id,
        "id is the account's, person_id the person's"
    );
    let hrss = app.hrss().await;
    let me = call!(hrss.api().me_view()).unwrap();
    assert_eq!(me.person_id, None);
}
