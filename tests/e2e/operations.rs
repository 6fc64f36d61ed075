//! Health, metrics, request ids, docs.

use ce_sdk::call;
use reqwest::Method;

use crate::helpers::*;

#[tokio::test]
async fn health_live_and_ready_answer_ok() {
    let app = spawn_app().await;
    assert_eq!(call!(app.client.api().health_live()).unwrap().status, "ok");
    assert_eq!(call!(app.client.api().health_ready()).unwrap().status, "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = spawn_app().await;
    call!(app.client.api().health_live()).unwrap();
    let res = app
        .client
        .send_raw(Method::GET, "/metrics", None, vec![])
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    assert!(res.content_type().starts_with("text/plain"));
    let text = String::from_utf8(res.body).unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health/live",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_a_sane_incoming_one() {
    let app = spawn_app().await;
    let res = app
        .client
        .send_raw(Method::GET, "/health/live", None, vec![])
        .await
        .unwrap();
    assert!(!res.headers.get("x-request-id").unwrap().is_empty());
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/health/live", app.client.base_url()))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "trace-abc-123");
}

#[tokio::test]
async fn the_interactive_docs_are_served_without_a_cdn() {
    let app = spawn_app().await;
    let res = app
        .client
        .send_raw(Method::GET, "/docs/", None, vec![])
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let html = String::from_utf8(res.body).unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(!html.contains("cdn"), "the docs must work offline");
    let res = app
        .client
        .send_raw(Method::GET, "/docs/swagger-ui-bundle.js", None, vec![])
        .await
        .unwrap();
    assert_eq!(res.status, 200);
}
