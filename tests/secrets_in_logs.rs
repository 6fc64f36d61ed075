//! Secrets never reach the log: the server runs with every target at
//! `debug` (more than production's `info`), the test walks through the
//! flows that handle passwords, ID and phone numbers, tokens, client and
//! webhook secrets, and then reads the whole log looking for any of them.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use ce_sdk::call;
use reqwest::Method;
use serde_json::{Value, json};

#[allow(dead_code)]
#[path = "e2e/helpers.rs"]
mod helpers;

use helpers::*;

/// Every log line of this process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        ce_api::telemetry::init_with(tracing_subscriber::EnvFilter::new("debug"), move || {
            writer.clone()
        });
        captured
    })
}

async fn raw(c: &ce_sdk::Client, method: Method, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .send_raw(
            method,
            &format!("/api/v1{path}"),
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .unwrap();
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn no_password_token_secret_id_or_phone_number_is_ever_logged() {
    let log = log();
    let app = spawn_app().await;
    let mut secrets: Vec<(String, &str)> = vec![(HRSS_PASSWORD.into(), "hrss password")];

    // Registration, a failed and a good login with the SMS code, a token.
    let person = app.register().await;
    secrets.push((person.password.clone(), "password"));
    secrets.push((person.id_card_no.clone(), "ID number"));
    secrets.push((person.phone.clone(), "phone number"));
    let (status, _) = raw(
        &app.client,
        Method::POST,
        "/auth/login",
        json!({"account": person.id_card_no, "password": "Not-the-password-1"}),
    )
    .await;
    assert_eq!(status, 401);
    secrets.push(("Not-the-password-1".into(), "wrong password"));
    let client = app.login_person(&person).await;
    secrets.push((client.token().unwrap().to_string(), "access token"));
    call!(client.api().person_verify(
        &person.me.person.as_ref().unwrap().id,
        &ce_sdk::types::VerificationRequest {
            name: "张三".parse().unwrap(),
            id_card_no: person.id_card_no.parse().unwrap(),
        }
    ))
    .unwrap();
    // An invalid ID number in a request (the problem may quote the field,
    // the log must not).
    let bad_id = with_wrong_check(&id_card_no());
    let (status, _) = raw(
        &app.client,
        Method::POST,
        "/auth/register",
        json!({"name": "王五", "id_card_no": bad_id, "phone": phone_no(), "password": "Another-pass-2026"}),
    )
    .await;
    assert_eq!(status, 422);
    secrets.push((bad_id, "rejected ID number"));

    // A password reset.
    let (_, started) = raw(
        &app.client,
        Method::POST,
        "/auth/password-reset",
        json!({"account": person.phone}),
    )
    .await;
    let code = app.phone.last_code(Some(&person.phone));
    let (status, _) = raw(
        &app.client,
        Method::POST,
        "/auth/password-reset/confirm",
        json!({"challenge_id": started["challenge_id"], "code": code, "new_password": "Brand-new-pass-2027"}),
    )
    .await;
    assert_eq!(status, 204);
    secrets.push(("Brand-new-pass-2027".into(), "new password"));

    // A platform's client secret and token; a push carrying an ID number.
    let hrss = app.hrss().await;
    secrets.push((hrss.token().unwrap().to_string(), "hrss token"));
    let (_, pf) = raw(
        &hrss,
        Method::POST,
        "/platforms",
        json!({"name": "平台", "categories": ["public"], "series_families": ["accounting"]}),
    )
    .await;
    let secret = pf["client_secret"].as_str().unwrap().to_string();
    let platform = app
        .client
        .client_credentials(pf["client_id"].as_str().unwrap(), &secret)
        .await
        .unwrap();
    secrets.push((secret, "client secret"));
    secrets.push((platform.token().unwrap().to_string(), "platform token"));
    let pushed = app.register().await;
    secrets.push((pushed.id_card_no.clone(), "pushed ID number"));
    let (status, _) = raw(
        &platform,
        Method::POST,
        "/records/batch",
        json!({"items": [{
            "external_id": "log-1", "id_card_no": pushed.id_card_no, "name": "张三",
            "year": this_year(), "category": "public", "course_name": "中国式现代化",
            "hours": 1, "completed_at": chrono::Utc::now().to_rfc3339(),
        }]}),
    )
    .await;
    assert_eq!(status, 200);

    // A webhook's signing secret.
    let (admin, unit) = app.unit().await;
    let (_, hook) = raw(
        &admin.client,
        Method::POST,
        "/webhooks",
        json!({"url": "https://hr.example.com/ce", "unit_id": unit.id}),
    )
    .await;
    let whsec = hook["secret"].as_str().unwrap().to_string();
    secrets.push((
        whsec.trim_start_matches("whsec_").to_string(),
        "webhook secret",
    ));

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.lines().count() > 20,
        "the log is empty: the capture is not working"
    );
    // Routes appear, so the log is the server's.
    assert!(text.contains("/api/v1/auth/login"));
    for (secret, what) in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "the {what} appears in the log:\n{}",
            text.lines()
                .filter(|l| l.contains(secret.as_str()))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
