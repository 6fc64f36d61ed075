//! Delivery: the worker of each server process claims due deliveries with
//! a conditional update, signs them as Standard Webhooks (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,…`), and retries failures
//! with exponential backoff and jitter; every attempt is logged.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::Sha256;
use uuid::Uuid;

use ce_entity::{webhook, webhook_attempt, webhook_delivery, webhook_event};

use crate::error::ServiceError;
use crate::state::AppState;

use super::address::{check_resolved, client_for};
use crate::outbox::DeliveryStatus;

/// The `webhook-signature` value of a body (Standard Webhooks `v1`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// How long to wait after the `attempt`-th failure: base × 2^(attempt−1),
/// at most an hour, less up to a quarter at random so retries spread out.
pub fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(3_600_000);
    let jitter = rand::random::<u64>() % (capped / 4 + 1);
    Duration::from_millis(capped - jitter)
}

/// Delivers what is due, forever (one per server process; safe with many).
pub async fn run_worker(state: AppState) {
    let every = Duration::from_millis(state.settings.webhooks.poll_interval_ms.max(10));
    loop {
        match deliver_due(&state, 20).await {
            // A full batch: more may be waiting.
            Ok(n) if n >= 20 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery round failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// One round: claims up to `limit` due deliveries and attempts each.
pub async fn deliver_due(state: &AppState, limit: u64) -> Result<usize, ServiceError> {
    let now = Utc::now();
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(&state.db)
        .await?;
    let mut done = 0;
    for d in due {
        // Claim: push its next attempt past the attempt's timeout; only
        // one process wins the update.
        let lease =
            now + chrono::Duration::seconds(state.settings.webhooks.timeout_seconds as i64 + 30);
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(lease))
            .filter(webhook_delivery::Column::Id.eq(d.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(d.next_attempt_at))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected == 1 {
            attempt(state, d).await?;
            done += 1;
        }
    }
    Ok(done)
}

async fn attempt(state: &AppState, d: webhook_delivery::Model) -> Result<(), ServiceError> {
    let (Some(w), Some(e)) = (
        webhook::Entity::find_by_id(d.webhook_id)
            .one(&state.db)
            .await?,
        webhook_event::Entity::find_by_id(d.event_id)
            .one(&state.db)
            .await?,
    ) else {
        return Ok(());
    };
    let secret = state.pii.decrypt(&w.secret_enc)?;
    let body = serde_json::to_vec(&e.payload).map_err(anyhow::Error::from)?;
    let ts = Utc::now().timestamp();
    let msg_id = e.id.to_string();
    let signature = sign(&secret, &msg_id, ts, &body)
        .ok_or_else(|| anyhow::anyhow!("webhook {} has an unreadable secret", w.id))?;
    let started = std::time::Instant::now();
    let timeout = Duration::from_secs(state.settings.webhooks.timeout_seconds);
    let checked = check_resolved(&w.url, state.settings.webhooks.allow_private_addresses)
        .await
        .and_then(|r| client_for(&r, timeout));
    let sent = match checked {
        Err(refused) => Err(refused),
        Ok(http) => http
            .post(&w.url)
            .header("content-type", "application/json")
            .header("user-agent", "ce-api-webhooks/1")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string()),
    };
    let took = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let (status_code, error) = match &sent {
        Ok(r) => (Some(i32::from(r.status().as_u16())), None),
        Err(err) => (None, Some(err.chars().take(500).collect::<String>())),
    };
    let ok = sent.as_ref().is_ok_and(|r| r.status().is_success());
    let n = d.attempts + 1;
    let now = Utc::now();
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        attempt: Set(n),
        at: Set(now),
        status_code: Set(status_code),
        error: Set(error.clone()),
        duration_ms: Set(took),
    }
    .insert(&state.db)
    .await?;
    let max = state.settings.webhooks.max_attempts.max(1) as i32;
    let (status, next) = if ok {
        (DeliveryStatus::Delivered, now)
    } else if n >= max {
        (DeliveryStatus::Failed, now)
    } else {
        let wait = backoff(state.settings.webhooks.retry_base_ms, n as u32);
        (
            DeliveryStatus::Pending,
            now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)),
        )
    };
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(status))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(n))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            webhook_delivery::Column::LastStatus,
            Expr::value(status_code),
        )
        .col_expr(webhook_delivery::Column::LastError, Expr::value(error))
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(ok.then_some(now)),
        )
        .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platforms::webhooks::address::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's example.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("no-prefix", "a", 1, b""), None);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour_with_jitter() {
        for attempt in 1..30 {
            let d = backoff(1000, attempt).as_millis() as u64;
            let full = (1000u64 << (attempt - 1).min(20)).min(3_600_000);
            assert!(d <= full && d >= full - full / 4, "{attempt}: {d}");
        }
    }

    #[test]
    fn private_networks_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(check_public_literal("http://127.0.0.1:9/x", false).is_err());
        assert!(check_public_literal("http://localhost/x", false).is_err());
        assert!(check_public_literal("http://[::1]/x", false).is_err());
        assert!(check_public_literal("https://hr.example.com/x", false).is_ok());
        assert!(check_public_literal("http://127.0.0.1:9/x", true).is_ok());
    }

    #[tokio::test]
    async fn deliveries_to_names_of_private_addresses_are_refused() {
        let refused = check_resolved("http://localhost:9/x", false).await;
        assert!(refused.is_err_and(|e| e.contains("loopback or private")));
        let allowed = check_resolved("http://localhost:9/x", true).await.unwrap();
        assert_eq!(allowed.host, "localhost");
        assert!(
            allowed
                .addrs
                .iter()
                .all(|a| a.port() == 9 && a.ip().is_loopback())
        );
    }

    /// The delivery connects to the addresses it checked and never looks
    /// the name up again (DNS rebinding): a name that resolves nowhere is
    /// reached at the address checked for it.
    #[tokio::test]
    async fn a_delivery_connects_to_the_address_it_checked() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let served = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).to_string()
        });
        // `.invalid` never resolves (RFC 6761): only the pin reaches it.
        let url = format!("http://hooks.rebind.invalid:{}/ce", at.port());
        let pinned = Resolved {
            host: "hooks.rebind.invalid".into(),
            addrs: vec![at],
        };
        let http = client_for(&pinned, Duration::from_secs(5)).unwrap();
        let answer = http.post(&url).body("{}").send().await.unwrap();
        assert_eq!(answer.status(), 204);
        let request = served.await.unwrap();
        assert!(
            request
                .to_ascii_lowercase()
                .contains(&format!("host: hooks.rebind.invalid:{}", at.port())),
            "{request}"
        );
        // Unpinned, the same name is looked up and fails.
        let unpinned = reqwest::Client::new().post(&url).send().await;
        assert!(unpinned.is_err());
    }

    #[test]
    fn endpoint_addresses_are_checked() {
        assert!(check_url("https://hr.example.com/hook").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "https://:80/",
            "https://u:p@x/",
            "http://a b/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
