//! Webhooks: events written with the change, delivered signed, retried
//! until the receiver answers 2xx, logged attempt by attempt, replayable.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ce_sdk::{call, types};
use hmac::{Hmac, Mac};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::certificates::{accountant, confirm, exam_subject};
use crate::helpers::*;

/// A request the receiver got: lower-case headers and the body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A local HTTP receiver that answers 500 to the first `failures`
/// requests and 204 after, keeping every request.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (Some(i + 4), length);
                }
            };
            let Some(start) = head_end else { continue };
            while buf.len() < start + length {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf[..start]).to_string();
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                .collect();
            let n = {
                let mut all = kept.lock().unwrap();
                all.push(Received {
                    headers,
                    body: buf[start..(start + length).min(buf.len())].to_vec(),
                });
                all.len()
            };
            let answer: &[u8] = if n <= failures {
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
            };
            let _ = sock.write_all(answer).await;
            let _ = sock.shutdown().await;
        }
    });
    (url, seen)
}

/// Checks a Standard Webhooks signature with the endpoint's secret.
fn signed(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.",
            r.header("webhook-id"),
            r.header("webhook-timestamp")
        )
        .as_bytes(),
    );
    mac.update(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.header("webhook-signature") == expected
}

async fn deliveries(c: &ce_sdk::Client, webhook: &uuid::Uuid) -> Vec<types::DeliveryView> {
    call!(c.api().webhook_deliveries(webhook, None, None))
        .unwrap()
        .items
}

/// Waits until the webhook's newest delivery is no longer pending.
async fn settled(c: &ce_sdk::Client, webhook: &uuid::Uuid) -> types::DeliveryView {
    for _ in 0..200 {
        let d = deliveries(c, webhook).await;
        if let Some(first) = d.first()
            && first.status.as_str() != "pending"
        {
            return first.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the delivery did not settle: {:?}",
        deliveries(c, webhook).await
    );
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_signed() {
    let app = spawn_app_with(Options {
        webhook_poll_ms: 50,
        ..Options::default()
    })
    .await;
    let (url, seen) = receiver(2).await;
    let (person, admin, unit_id) = accountant(&app).await;
    let hook = call!(admin.client.api().webhook_create(
        None,
        &types::WebhookRequest {
            url: url.parse().unwrap(),
            events: vec![types::EventType::CertificateIssued],
            unit_id: Some(unit_id),
        }
    ))
    .unwrap();
    let secret = hook.secret.as_str().to_string();
    let id = hook.webhook.id;

    // The approval that completes the year issues the certificate: one event.
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(&app, r.id).await;
    let d = settled(&admin.client, &id).await;
    assert_eq!(d.status.as_str(), "delivered", "{d:?}");
    assert_eq!(d.attempts, 3);
    assert_eq!(d.event_type, types::EventType::CertificateIssued);
    let codes: Vec<Option<i32>> = d.log.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(204)]);
    assert_eq!(deliveries(&admin.client, &id).await.len(), 1);

    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    // The same event id on every attempt, each signed with the secret.
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == d.event_id.to_string())
    );
    assert!(got.iter().all(|r| signed(&secret, r)));
    let body: serde_json::Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(body["type"], "certificate.issued");
    // The body is what the spec's `webhooks` promise, field for field.
    let spec = app.served_spec().await;
    assert_eq!(
        spec["webhooks"]["certificate.issued"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/CertificateEvent"
    );
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let schema = |name: &str| spec["components"]["schemas"][name]["properties"].clone();
    assert_eq!(keys(&body), keys(&schema("CertificateEvent")));
    assert_eq!(keys(&body["data"]), keys(&schema("CertificateEventData")));
    let cert = call!(
        person
            .client
            .api()
            .certificate_list(None, None, None, None, None)
    )
    .unwrap()
    .items
    .remove(0);
    assert_eq!(body["data"]["number"], cert.number.as_str());
    // A tampered body fails the check.
    let mut forged = got[2].clone();
    forged.body = forged
        .body
        .iter()
        .map(|b| if *b == b'1' { b'2' } else { *b })
        .collect();
    assert!(!signed(&secret, &forged));

    // Replay sends it once more, with the same id.
    call!(admin.client.api().webhook_replay(&id, &d.id)).unwrap();
    for _ in 0..200 {
        if seen.lock().unwrap().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].header("webhook-id"), d.event_id.to_string());

    // Another unit's admin cannot read the log.
    let (other, _) = app.unit().await;
    let err = call!(other.client.api().webhook_deliveries(&id, None, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn webhooks_are_registered_by_platforms_and_unit_admins_only() {
    let app = spawn_app().await;
    let person = app.person().await;
    let req = |unit_id| types::WebhookRequest {
        url: "https://hr.example.com/ce".parse().unwrap(),
        events: vec![],
        unit_id,
    };
    let err = call!(person.client.api().webhook_create(None, &req(None))).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let (admin, unit) = app.unit().await;
    let err = call!(admin.client.api().webhook_create(None, &req(None))).unwrap_err();
    assert_eq!(err.code(), Some("unit_required"));
    let (_, other_unit) = app.unit().await;
    let err = call!(
        admin
            .client
            .api()
            .webhook_create(None, &req(Some(other_unit.id)))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let created = call!(admin.client.api().webhook_create(None, &req(Some(unit.id)))).unwrap();
    // Every event type by default, `record.invalidated` (R-RC-12) included.
    assert_eq!(created.webhook.events.len(), 6);
    assert!(created.secret.as_str().starts_with("whsec_"));
    let platform = app.platform().await;
    let mine = call!(platform.api().webhook_create(None, &req(None))).unwrap();
    assert_eq!(mine.webhook.owner_type.as_str(), "platform");
    // Each sees its own.
    let listed = call!(admin.client.api().webhook_list(None, None))
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.webhook.id);
    let err = call!(platform.api().webhook_delete(&created.webhook.id)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    call!(admin.client.api().webhook_delete(&created.webhook.id)).unwrap();
    assert!(
        call!(admin.client.api().webhook_list(None, None))
            .unwrap()
            .items
            .is_empty()
    );
    let bad = types::WebhookRequest {
        url: "ftp://example.com/x".parse().unwrap(),
        events: vec![],
        unit_id: Some(unit.id),
    };
    let err = call!(admin.client.api().webhook_create(None, &bad)).unwrap_err();
    assert_eq!(err.code(), Some("url_invalid"));
}

#[tokio::test]
async fn endpoints_on_the_servers_own_networks_are_refused() {
    let app = spawn_app_with(Options {
        webhooks_to_loopback: false,
        ..Options::default()
    })
    .await;
    let (admin, unit) = app.unit().await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
    ] {
        let err = call!(admin.client.api().webhook_create(
            None,
            &types::WebhookRequest {
                url: url.parse().unwrap(),
                events: vec![],
                unit_id: Some(unit.id),
            }
        ))
        .unwrap_err();
        assert_eq!(err.status(), Some(422), "{url}");
        assert_eq!(err.code(), Some("url_not_allowed"), "{url}");
    }
}
