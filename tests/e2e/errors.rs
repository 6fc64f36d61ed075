//! Every failure is a problem+json with a stable code, including actix's own.

use reqwest::Method;

use crate::helpers::*;

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    ct: Option<&str>,
    body: &[u8],
) -> ce_sdk::RawResponse {
    app.client
        .send_raw(method, path, ct, body.to_vec())
        .await
        .unwrap()
}

fn assert_problem(res: &ce_sdk::RawResponse, status: u16, code: &str) {
    assert_eq!(res.status, status, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.content_type(), "application/problem+json");
    let p = res.problem().expect("a problem body");
    assert_eq!(p.status, status);
    assert_eq!(p.code, code);
    assert!(!p.detail.is_empty());
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/register",
        Some("application/json"),
        b"{\"name\": ",
    )
    .await;
    assert_problem(&res, 400, "malformed_request");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("application/json"),
        br#"{"account": 5}"#,
    )
    .await;
    assert_problem(&res, 422, "body_invalid");
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("text/plain"),
        b"hello",
    )
    .await;
    assert_problem(&res, 415, "unsupported_media_type");
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/token",
        Some("text/plain"),
        b"hello",
    )
    .await;
    assert_problem(&res, 415, "unsupported_media_type");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let big = format!(
        "{{\"account\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(300 * 1024)
    );
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("application/json"),
        big.as_bytes(),
    )
    .await;
    assert_problem(&res, 413, "payload_too_large");
}

#[tokio::test]
async fn an_unknown_route_is_404_and_a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let res = raw(&app, Method::GET, "/api/v1/no-such-thing", None, b"").await;
    assert_problem(&res, 404, "not_found");
    let res = raw(&app, Method::GET, "/api/v1/auth/register", None, b"").await;
    assert_problem(&res, 405, "method_not_allowed");
    assert_eq!(res.headers.get("allow").unwrap(), "POST");
    let res = raw(
        &app,
        Method::PUT,
        "/api/v1/platforms/0193c7f0-0000-7000-8000-000000000000",
        None,
        b"",
    )
    .await;
    assert_problem(&res, 405, "method_not_allowed");
}

#[tokio::test]
async fn a_bad_path_or_query_is_400_and_a_limit_out_of_range_is_422() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms/not-a-uuid", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 400, "path_invalid");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?limit=abc", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 400, "query_invalid");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?limit=501", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 422, "validation_failed");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?cursor=zzz", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 422, "cursor_invalid");
}

#[tokio::test]
async fn a_garbage_authorization_header_is_401() {
    let app = spawn_app().await;
    let res = app
        .client
        .with_token("x.y.z")
        .send_raw(Method::GET, "/api/v1/me", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 401, "token_invalid");
}
