//! A login storm: many sign-ins over many connections at once, each retried
//! after its `Retry-After` while the server answers busy (503) or limited
//! (429) — it bounds its password hashing (issue 16). Used by the storm
//! test and the benchmark; included by each with `#[path]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The seconds a 503 or 429 asks the client to wait.
pub fn retry_after(res: &reqwest::Response) -> Duration {
    let secs = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.clamp(1, 30))
}

/// One sign-in, retried while the server answers busy with a problem body,
/// until `deadline` from the first attempt: its time from the first
/// attempt, and the attempts refused.
pub async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    account: &str,
    password: &str,
    deadline: Duration,
) -> Result<(Duration, u32), String> {
    let started = Instant::now();
    let mut refused = 0;
    loop {
        let res = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"account": account, "password": password}))
            .send()
            .await
            .map_err(|e| format!("login transport error: {e}"))?;
        match res.status().as_u16() {
            200 => {
                let v: Value = res.json().await.map_err(|e| e.to_string())?;
                if v["access_token"].as_str().is_none() {
                    return Err(format!("login answered 200 without a token: {v}"));
                }
                return Ok((started.elapsed(), refused));
            }
            s @ (503 | 429) => {
                refused += 1;
                let wait = retry_after(&res);
                let body = res.text().await.unwrap_or_default();
                if !body.contains("\"code\"") {
                    return Err(format!("{s} without a problem body: {body}"));
                }
                if started.elapsed() + wait > deadline {
                    return Err(format!("still refused ({s}) after {:?}", started.elapsed()));
                }
                tokio::time::sleep(wait).await;
            }
            s => {
                return Err(format!(
                    "login answered {s}: {}",
                    res.text().await.unwrap_or_default()
                ));
            }
        }
    }
}

/// `logins` sign-ins of `accounts` in turn over `connections` concurrent
/// workers: each one's outcome ([`sign_in`]), in no particular order.
pub async fn storm(
    http: &reqwest::Client,
    url: &str,
    accounts: Vec<String>,
    password: &'static str,
    logins: usize,
    connections: usize,
    deadline: Duration,
) -> Vec<Result<(Duration, u32), String>> {
    let accounts = Arc::new(accounts);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (http, url, next, accounts) = (
                http.clone(),
                url.to_string(),
                next.clone(),
                accounts.clone(),
            );
            tokio::spawn(async move {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= logins {
                        return done;
                    }
                    let account = &accounts[i % accounts.len()];
                    done.push(sign_in(&http, &url, account, password, deadline).await);
                }
            })
        })
        .collect();
    let mut results = Vec::with_capacity(logins);
    for w in workers {
        match w.await {
            Ok(done) => results.extend(done),
            Err(e) => results.push(Err(format!("a login worker: {e}"))),
        }
    }
    results
}
