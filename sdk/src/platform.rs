//! Pushing completions as a learning platform: [`PlatformClient`].
//!
//! A platform holds client credentials (issued by hrss) and sends the hours
//! its learners completed to `POST /api/v1/records/batch`, at most 1,000 a
//! request. [`PlatformClient::push_all`] takes any number of items and does
//! the rest:
//!
//! * it fetches a token with the client credentials, refreshes it before it
//!   expires, and once more when the server answers 401 `token_expired` or
//!   `token_invalid`;
//! * it splits the items into batches ([`PushOptions::batch_size`], 1,000 by
//!   default) and sends each with its own `Idempotency-Key`, a random UUID
//!   that every retry of that batch reuses, so a retry after a lost answer
//!   replays the stored outcome instead of pushing again;
//! * it retries 429 (after `Retry-After`), 408, 5xx and transport failures
//!   with exponential backoff and full jitter, and gives up on any other
//!   4xx at once;
//! * it merges the batches' outcomes into one [`PushReport`] whose indices
//!   are positions in the input.
//!
//! Items are anything serialisable as a `PushItem`: the generated
//! [`types::PushItem`], or a [`serde_json::Value`] when the data comes from a
//! file and may not fit the schema (the server then rejects that item alone
//! with `item_invalid`). Sending the same items again is safe: an item
//! already recorded under its `external_id` comes back `duplicate`.
//!
//! ```no_run
//! use ce_sdk::{PlatformClient, PushOptions};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let client = PlatformClient::new("https://ce.example.org", "pf_client_id", "pf_secret")
//!     .with_options(PushOptions {
//!         batch_size: 500,
//!         ..PushOptions::default()
//!     });
//! let items = vec![serde_json::json!({
//!     "external_id": "course-42/user-7",
//!     "id_card_no": "11010519491231002X",
//!     "name": "张三",
//!     "year": 2026,
//!     "category": "public",
//!     "course_name": "中国式现代化",
//!     "hours": 1.5,
//!     "completed_at": "2026-03-01T10:00:00+08:00",
//! })];
//! let report = client
//!     .push_all_with_progress(&items, |done, total| eprintln!("{done}/{total}"))
//!     .await?;
//! println!(
//!     "{} accepted, {} duplicate, {} rejected",
//!     report.accepted, report.duplicate, report.rejected
//! );
//! for item in report.rejected_items() {
//!     println!("item {}: {:?} {:?}", item.index, item.code, item.detail);
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Serialize;
use tokio::time::Instant;

use crate::{Error, types};

/// The most items the server takes in one request.
pub const MAX_BATCH: usize = 1000;

const PUSH_PATH: &str = "/api/v1/records/batch";
const TOKEN_PATH: &str = "/api/v1/auth/token";

/// How [`PlatformClient`] splits and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptions {
    /// Items per request, 1 to [`MAX_BATCH`] (values outside are clamped).
    pub batch_size: usize,
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest wait a `Retry-After` header is obeyed for.
    pub max_retry_after: Duration,
    /// The timeout of one request.
    pub request_timeout: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            batch_size: MAX_BATCH,
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// One item's outcome, at its position in the input of
/// [`PlatformClient::push_all`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportItem {
    /// The item's position in the input, from 0.
    pub index: usize,
    /// The item's `external_id`, when the server could read one.
    pub external_id: Option<String>,
    pub outcome: types::ItemOutcome,
    /// The record, when accepted or a duplicate.
    pub record_id: Option<uuid::Uuid>,
    /// The record's state (`approved`, `pending_unit_review`, …), when
    /// accepted or a duplicate.
    pub record_status: Option<types::RecordStatus>,
    /// Why it was rejected (`name_mismatch`, `item_invalid`, …).
    pub code: Option<String>,
    pub detail: Option<String>,
}

/// The merged outcome of a [`PlatformClient::push_all`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushReport {
    pub accepted: usize,
    pub duplicate: usize,
    pub rejected: usize,
    /// One per item pushed, in input order.
    pub items: Vec<ReportItem>,
    /// The server's `batch_id` of each request, in order.
    pub batches: Vec<uuid::Uuid>,
    /// Requests sent again after a failure (429, 5xx, transport, token).
    pub retries: u32,
    /// Batches whose outcome the server replayed for their
    /// `Idempotency-Key` (an earlier attempt had reached it).
    pub replayed: usize,
}

impl PushReport {
    /// The items the server refused, with their codes.
    pub fn rejected_items(&self) -> impl Iterator<Item = &ReportItem> {
        self.items
            .iter()
            .filter(|i| i.outcome == types::ItemOutcome::Rejected)
    }

    /// Whether every item was accepted or a duplicate.
    pub fn all_recorded(&self) -> bool {
        self.rejected == 0
    }

    fn merge(&mut self, offset: usize, outcome: types::BatchOutcome, replayed: bool) {
        self.batches.push(outcome.batch_id);
        self.replayed += usize::from(replayed);
        for r in outcome.items {
            match r.outcome {
                types::ItemOutcome::Accepted => self.accepted += 1,
                types::ItemOutcome::Duplicate => self.duplicate += 1,
                types::ItemOutcome::Rejected => self.rejected += 1,
            }
            self.items.push(ReportItem {
                index: offset + usize::try_from(r.index).unwrap_or_default(),
                external_id: r.external_id.map(|s| s.to_string()),
                outcome: r.outcome,
                record_id: r.record_id,
                record_status: r.record_status,
                code: r.code.map(|s| s.to_string()),
                detail: r.detail.map(|s| s.to_string()),
            });
        }
    }
}

/// A [`PlatformClient::push_all`] that stopped: the error of the batch that
/// failed, and the outcome of those sent before it. Sending everything
/// again is safe (items already recorded come back `duplicate`).
#[derive(Debug, thiserror::Error)]
#[error("batch of items {first}..{end}: {error}")]
pub struct PushError {
    pub error: Error,
    /// The input positions of the batch that failed.
    pub first: usize,
    pub end: usize,
    /// What the batches before it gave.
    pub partial: Box<PushReport>,
}

struct Token {
    value: String,
    refresh_at: Instant,
}

/// A learning platform's client: client credentials, a token kept fresh,
/// and batched, retried pushes. See the [module docs](self).
pub struct PlatformClient {
    base_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    options: PushOptions,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl std::fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformClient")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What one request gave.
enum Sent {
    Ok(reqwest::Response),
    /// Worth another attempt, after `Retry-After` if the server said.
    Retry(Error, Option<Duration>),
    /// 401 `token_expired` / `token_invalid`: a new token may help.
    TokenRefused(Error),
    Fail(Error),
}

impl PlatformClient {
    /// A client for the server at `base_url` (e.g. `https://ce.example.org`)
    /// with the platform's client credentials. Nothing is sent until the
    /// first push (or [`PlatformClient::authenticate`]).
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        let options = PushOptions::default();
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            http: http_client(&options),
            options,
            token: tokio::sync::Mutex::new(None),
        }
    }

    /// The same client with other options.
    pub fn with_options(mut self, options: PushOptions) -> Self {
        self.http = http_client(&options);
        self.options = options;
        self
    }

    pub fn options(&self) -> &PushOptions {
        &self.options
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Fetches a token now (if none is held or it is due for renewal), to
    /// learn early that the credentials are wrong.
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.bearer().await.map(|_| ())
    }

    /// Pushes `items` in batches; see the [module docs](self).
    pub async fn push_all<T: Serialize>(&self, items: &[T]) -> Result<PushReport, PushError> {
        self.push_all_with_progress(items, |_, _| {}).await
    }

    /// [`PlatformClient::push_all`], calling `progress(done, total)` after
    /// each batch with the number of items sent so far and in all.
    pub async fn push_all_with_progress<T: Serialize>(
        &self,
        items: &[T],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<PushReport, PushError> {
        let total = items.len();
        let size = self.options.batch_size.clamp(1, MAX_BATCH);
        let mut report = PushReport::default();
        let mut first = 0;
        for batch in items.chunks(size) {
            let end = first + batch.len();
            match self.push_batch(batch, &mut report.retries).await {
                Ok((outcome, replayed)) => report.merge(first, outcome, replayed),
                Err(error) => {
                    return Err(PushError {
                        error,
                        first,
                        end,
                        partial: Box::new(report),
                    });
                }
            }
            first = end;
            progress(first, total);
        }
        Ok(report)
    }

    /// Sends one batch (at most [`MAX_BATCH`] items) until it gets an
    /// outcome or a final error, under one `Idempotency-Key`. Returns the
    /// outcome and whether the server replayed it.
    async fn push_batch<T: Serialize>(
        &self,
        items: &[T],
        retries: &mut u32,
    ) -> Result<(types::BatchOutcome, bool), Error> {
        #[derive(Serialize)]
        struct Body<'a, T> {
            items: &'a [T],
        }
        // The same bytes on every attempt: the server recognises a retry by
        // its key and the body's hash.
        let body = serde_json::to_vec(&Body { items })
            .map_err(|e| Error::Transport(format!("encoding the batch: {e}")))?;
        let key = uuid::Uuid::new_v4().to_string();
        let url = format!("{}{PUSH_PATH}", self.base_url);
        let resp = self
            .with_retries(retries, true, |token| {
                self.http
                    .post(&url)
                    .bearer_auth(token.unwrap_or_default())
                    .header("Idempotency-Key", &key)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        let replayed = resp
            .headers()
            .get("idempotency-replayed")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let outcome = read_json::<types::BatchOutcome>(resp).await?;
        Ok((outcome, replayed))
    }

    /// The current token, fetched anew when none is held or it is due.
    async fn bearer(&self) -> Result<String, Error> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.as_ref()
            && Instant::now() < t.refresh_at
        {
            return Ok(t.value.clone());
        }
        let mut retries = 0;
        let url = format!("{}{TOKEN_PATH}", self.base_url);
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        });
        let resp = self
            .with_retries(&mut retries, false, |_| self.http.post(&url).json(&body))
            .await?;
        let fetched = Instant::now();
        let t = read_json::<types::TokenResponse>(resp).await?;
        let lifetime = Duration::from_secs(u64::from(t.expires_in.get()));
        // Renewed with a fifth of its life (at most a minute) to spare.
        let margin = (lifetime / 5).min(Duration::from_secs(60));
        *held = Some(Token {
            value: t.access_token.clone(),
            refresh_at: fetched + lifetime.saturating_sub(margin),
        });
        Ok(t.access_token)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// Sends the request `build` makes (given the bearer token when
    /// `authenticated`) until it succeeds, fails for good, or runs out of
    /// attempts.
    async fn with_retries(
        &self,
        retries: &mut u32,
        authenticated: bool,
        build: impl Fn(Option<&str>) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        let max_attempts = self.options.max_attempts.max(1);
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let token = match authenticated {
                // Boxed: fetching the token goes through here too.
                true => Some(Box::pin(self.bearer()).await?),
                false => None,
            };
            attempt += 1;
            let (error, retry_after) = match classify(build(token.as_deref()).send().await).await {
                Sent::Ok(resp) => return Ok(resp),
                Sent::Fail(e) => return Err(e),
                Sent::TokenRefused(e) if !authenticated || refreshed => return Err(e),
                Sent::TokenRefused(_) => {
                    // Once per request, and not counted as an attempt.
                    refreshed = true;
                    attempt -= 1;
                    *retries += 1;
                    self.forget_token().await;
                    continue;
                }
                Sent::Retry(e, after) => (e, after),
            };
            if attempt >= max_attempts {
                return Err(error);
            }
            *retries += 1;
            let delay = match retry_after {
                Some(after) => after.min(self.options.max_retry_after),
                None => backoff(&self.options, attempt),
            };
            tokio::time::sleep(delay).await;
        }
    }
}

fn http_client(options: &PushOptions) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(options.request_timeout)
        .build()
        .unwrap_or_default()
}

/// Full jitter: uniform in [0, min(max_delay, base_delay × 2^(attempt−1))].
pub fn backoff(options: &PushOptions, attempt: u32) -> Duration {
    use rand::Rng;
    let exp = options.base_delay.saturating_mul(
        1u32.checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX),
    );
    let cap = exp.min(options.max_delay);
    let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

async fn classify(sent: Result<reqwest::Response, reqwest::Error>) -> Sent {
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) => return Sent::Retry(Error::Transport(describe(&e)), None),
    };
    let status = resp.status();
    if status.is_success() {
        return Sent::Ok(resp);
    }
    let after = retry_after(resp.headers());
    let error = match resp.bytes().await {
        Ok(bytes) => crate::decode(status.as_u16(), &bytes),
        Err(e) => return Sent::Retry(Error::Transport(describe(&e)), after),
    };
    // A request with the same Idempotency-Key still being answered: its
    // outcome is replayed once it is stored.
    let in_flight =
        status == StatusCode::CONFLICT && error.code() == Some("idempotency_key_in_use");
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
        || in_flight
    {
        Sent::Retry(error, after)
    } else if status == StatusCode::UNAUTHORIZED
        && matches!(error.code(), Some("token_expired" | "token_invalid"))
    {
        Sent::TokenRefused(error)
    } else {
        Sent::Fail(error)
    }
}

/// An error with its causes ("error sending request: … connection refused").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

async fn read_json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, Error> {
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Error::Transport(describe(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Unexpected {
        status,
        body: format!("{e}: {}", String::from_utf8_lossy(&bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let o = PushOptions::default();
        for attempt in 1..40 {
            let d = backoff(&o, attempt);
            assert!(d <= o.max_delay);
            assert!(d <= o.base_delay * 2u32.saturating_pow(attempt - 1).max(1));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
