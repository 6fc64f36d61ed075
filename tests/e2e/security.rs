//! Hostile callers: forged tokens, brute force, rate limits, cross-origin
//! browsers, and the headers every answer carries.

use base64::Engine;
use ce_sdk::call;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

fn claims(sub: uuid::Uuid) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "ce-api", "aud": "ce-api", "sub": sub, "iat": now - 10, "exp": now + 3600,
        "jti": uuid::Uuid::now_v7(), "grants": [{"role": "hrss"}]
    })
}

#[tokio::test]
async fn tokens_with_another_algorithm_or_a_tampered_payload_are_401() {
    let app = spawn_app().await;
    let p = app.register().await;
    let me = |token: String| {
        let c = app.client.with_token(token);
        async move { call!(c.api().me_view()).unwrap_err() }
    };
    // The right secret, but HS512: the server takes HS256 only.
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(p.me.id),
        &jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes()),
    )
    .unwrap();
    let err = me(hs512).await;
    assert_eq!(
        (err.status(), err.code()),
        (Some(401), Some("token_invalid"))
    );

    // A real token whose payload is swapped for one granting hrss.
    let real = app.login_person(&p).await;
    let token = real.token().unwrap().to_string();
    let parts: Vec<&str> = token.split('.').collect();
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        e.encode(serde_json::to_vec(&claims(p.me.id)).unwrap()),
        parts[2]
    );
    let err = me(forged).await;
    assert_eq!(
        (err.status(), err.code()),
        (Some(401), Some("token_invalid"))
    );
    // And one flipped bit of the signature.
    let mut sig = e.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], e.encode(sig));
    let err = me(flipped).await;
    assert_eq!(
        (err.status(), err.code()),
        (Some(401), Some("token_invalid"))
    );
    // The untouched token still works.
    assert!(call!(real.api().me_view()).is_ok());
}

#[tokio::test]
async fn logins_and_tokens_from_one_address_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        login_per_minute: 3,
        token_per_minute: 2,
        ..Options::default()
    })
    .await;
    let body = serde_json::to_vec(&json!({"account": "nobody-here", "password": "x"})).unwrap();
    let mut statuses = vec![];
    for _ in 0..4 {
        let r = app
            .client
            .send_raw(
                Method::POST,
                "/api/v1/auth/login",
                Some("application/json"),
                body.clone(),
            )
            .await
            .unwrap();
        statuses.push(r.status);
        if r.status == 429 {
            let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
            assert_eq!(r.problem().unwrap().code, "rate_limited");
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    // Password resets share the login allowance.
    let r = app
        .client
        .send_raw(
            Method::POST,
            "/api/v1/auth/password-reset",
            Some("application/json"),
            serde_json::to_vec(&json!({"account": "nobody-here"})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 429);

    let form = b"grant_type=client_credentials&client_id=pf_x&client_secret=y".to_vec();
    let mut statuses = vec![];
    for _ in 0..3 {
        let r = app
            .client
            .send_raw(
                Method::POST,
                "/api/v1/auth/token",
                Some("application/x-www-form-urlencoded"),
                form.clone(),
            )
            .await
            .unwrap();
        statuses.push(r.status);
    }
    assert_eq!(statuses, [401, 401, 429]);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/health/live"),
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/no-such-thing"),
        (Method::GET, "/api/v1/series"),
    ] {
        let r = app
            .client
            .send_raw(method, path, None, vec![])
            .await
            .unwrap();
        for (h, v) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                r.headers.get(h).and_then(|v| v.to_str().ok()),
                Some(v),
                "{path}: {h}"
            );
        }
        assert!(
            r.headers.contains_key("strict-transport-security"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn only_the_configured_front_end_origins_may_call_from_a_browser() {
    let app = spawn_app_with(Options {
        cors_origins: vec!["https://jxjy.example.gov.cn".into()],
        ..Options::default()
    })
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/series", app.client.base_url());
    let preflight = |origin: &'static str| {
        http.request(Method::OPTIONS, &url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let ok = preflight("https://jxjy.example.gov.cn").await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        ok.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        "https://jxjy.example.gov.cn"
    );
    let evil = preflight("https://evil.example.com").await.unwrap();
    assert!(!evil.headers().contains_key("access-control-allow-origin"));

    // A simple cross-origin read: allowed origin gets the header, others not.
    let get = |origin: &'static str| http.get(&url).header("Origin", origin).send();
    let r = get("https://jxjy.example.gov.cn").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"].to_str().unwrap(),
        "https://jxjy.example.gov.cn"
    );
    let r = get("https://evil.example.com").await.unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

/// Behind a load balancer (issue 22): the per-address limits count the
/// client a trusted proxy names in `X-Forwarded-For`, not the balancer;
/// from anyone else the header is ignored, so a client cannot pick a new
/// address for each try.
#[tokio::test]
async fn the_per_address_limits_count_the_client_a_trusted_proxy_names() {
    let app = spawn_app().await;
    let verify = |base: String, forwarded: &'static str| async move {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/verify/GD2026000000000001"))
            .header("accept", "application/json")
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    // Not trusted: three "clients" are one address, the third is refused.
    let direct = app
        .server_with(|s| s.limits.verify_per_minute = 2)
        .await
        .base_url()
        .to_string();
    let answers = [
        verify(direct.clone(), "203.0.113.1").await,
        verify(direct.clone(), "203.0.113.2").await,
        verify(direct.clone(), "203.0.113.3").await,
    ];
    assert_ne!(answers[1], 429, "{answers:?}");
    assert_eq!(answers[2], 429, "the header was believed: {answers:?}");
    // Behind a trusted proxy (this test's loopback connection): each
    // client has its own allowance, whatever it wrote left of the proxy's
    // entry.
    let proxied = app
        .server_with(|s| {
            s.limits.verify_per_minute = 2;
            s.proxies.trusted = vec!["127.0.0.0/8".into(), "::1".into()];
        })
        .await
        .base_url()
        .to_string();
    assert_ne!(verify(proxied.clone(), "203.0.113.1").await, 429);
    assert_ne!(verify(proxied.clone(), "9.9.9.9, 203.0.113.1").await, 429);
    assert_eq!(verify(proxied.clone(), "8.8.8.8, 203.0.113.1").await, 429);
    assert_ne!(verify(proxied.clone(), "203.0.113.2").await, 429);
    assert_ne!(verify(proxied, "203.0.113.3").await, 429);
}
