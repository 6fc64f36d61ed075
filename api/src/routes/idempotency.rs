//! `Idempotency-Key` on every creating `POST` (issue 19, API.md), as one
//! middleware: the operations it covers are those of the spec that answer
//! 201 to a caller with a token ([`creating_operations`]), so the spec's
//! documentation of the header (added by `openapi::finish`) and the
//! behaviour cannot drift apart. Same caller + key + method, path, query
//! and body within 24 hours replays the first 2xx answer with
//! `Idempotency-Replayed: true`; another request under the key is 409
//! `idempotency_key_reused`; while the first is still running, 409
//! `idempotency_key_in_use` with `Retry-After`. The body is hashed as the
//! handler reads it, never buffered. The rows are `crate::idempotency`'s.
//!
//! The push (`POST /records/batch`) answers 200 and keeps its own stored
//! batches, written in the same transaction as its records.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::idempotency::{self, Claim, StoredAnswer};
use crate::state::AppState;

/// The header a replayed answer carries.
pub const REPLAYED: &str = "Idempotency-Replayed";

/// The headers of an answer worth replaying.
const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII
/// characters, else 400 `idempotency_key_invalid`.
pub fn key_of(headers: &header::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k)
            if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            Ok(Some(k.to_string()))
        }
        _ => Err(ApiError::bad_request(
            "idempotency_key_invalid",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )),
    }
}

/// Whether an operation of the spec creates something for a caller with a
/// token: a `POST` that answers 201 and is not public (registration has
/// no caller and is idempotent by the ID number instead).
pub fn creates(method: &Method, op: &utoipa::openapi::path::Operation) -> bool {
    let public = matches!(&op.security, Some(reqs) if reqs.is_empty()
        || reqs.iter().all(|r| *r == utoipa::openapi::security::SecurityRequirement::default()));
    *method == Method::POST && op.responses.responses.contains_key("201") && !public
}

/// The route patterns of the creating operations, e.g.
/// `/api/v1/units/{id}/admins`.
#[derive(Debug, Clone, Default)]
pub struct CreatingOperations(Vec<String>);

impl CreatingOperations {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let mut out: Vec<String> = spec
            .paths
            .paths
            .iter()
            .filter(|(_, item)| {
                item.post
                    .as_ref()
                    .is_some_and(|op| creates(&Method::POST, op))
            })
            .map(|(path, _)| path.clone())
            .collect();
        out.sort();
        Self(out)
    }

    pub fn contains(&self, pattern: &str) -> bool {
        self.0.binary_search_by(|p| p.as_str().cmp(pattern)).is_ok()
    }
}

/// The body's hash as the handler reads it: method, path and query first.
struct Hashing {
    hasher: Sha256,
    /// The whole body went through (a handler that stops early leaves a
    /// hash that proves nothing, and its answer is not kept).
    complete: bool,
}

fn start_hash(req: &ServiceRequest) -> Sha256 {
    let mut h = Sha256::new();
    for part in [req.method().as_str(), req.path(), req.query_string()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h
}

/// Whether the request says it has no body.
fn bodyless(req: &ServiceRequest) -> bool {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length == Some(0)
        || (length.is_none() && !req.headers().contains_key(header::TRANSFER_ENCODING))
}

/// What a covered request is keyed by: its key, the caller and the state.
struct Keyed {
    key: String,
    caller: uuid::Uuid,
    state: web::Data<AppState>,
}

/// The key of a request the middleware covers — a `POST` of a creating
/// operation with an `Idempotency-Key` and a valid token — or `None` to let
/// it through untouched (without a valid token the handler answers 401).
async fn keyed(req: &mut ServiceRequest) -> Result<Option<Keyed>, ApiError> {
    let covered = req.method() == Method::POST
        && req.headers().contains_key("idempotency-key")
        && req
            .app_data::<web::Data<CreatingOperations>>()
            .zip(req.match_pattern())
            .is_some_and(|(ops, pattern)| ops.contains(&pattern));
    if !covered {
        return Ok(None);
    }
    let Some(key) = key_of(req.headers())? else {
        return Ok(None);
    };
    let (Ok(caller), Some(state)) = (
        req.extract::<Caller>().await,
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return Ok(None);
    };
    Ok(Some(Keyed {
        key,
        caller: caller.account_id(),
        state,
    }))
}

/// The middleware (registered on the app in `startup`).
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Keyed { key, caller, state } = match keyed(&mut req).await {
        Ok(Some(k)) => k,
        Ok(None) => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
        Err(e) => return Ok(req.error_response(e)),
    };
    let claim = match idempotency::claim(&state, caller, &key).await {
        Ok(c) => c,
        Err(e) => return Ok(req.error_response(ApiError::from(e))),
    };
    let mut hasher = start_hash(&req);
    match claim {
        Claim::InFlight => Ok(req.error_response(in_use())),
        Claim::Answered {
            request_hash,
            answer,
        } => {
            let mut payload = actix_web::HttpMessage::take_payload(&mut req);
            while let Some(chunk) = payload.next().await {
                match chunk {
                    Ok(bytes) => hasher.update(&bytes),
                    Err(e) => return Ok(req.error_response(unreadable(e))),
                }
            }
            if hex::encode(hasher.finalize()) != request_hash {
                return Ok(req.error_response(reused()));
            }
            let res = replay(&answer);
            Ok(req.into_response(res))
        }
        Claim::Claimed => {
            let bodyless = bodyless(&req);
            let hashing = Rc::new(RefCell::new(Hashing {
                hasher,
                complete: bodyless,
            }));
            if !bodyless {
                let seen = Rc::clone(&hashing);
                let inner = actix_web::HttpMessage::take_payload(&mut req);
                let stream = inner.map(move |chunk| {
                    if let Ok(bytes) = &chunk {
                        seen.borrow_mut().hasher.update(bytes);
                    }
                    chunk
                });
                let seen = Rc::clone(&hashing);
                let stream = stream.chain(futures_util::stream::poll_fn(move |_| {
                    seen.borrow_mut().complete = true;
                    std::task::Poll::Ready(None)
                }));
                req.set_payload(Payload::Stream {
                    payload: Box::pin(stream),
                });
            }
            match next.call(req).await {
                Ok(res) if res.status().is_success() => {
                    keep(&state, caller, &key, res, hashing).await
                }
                other => {
                    release(&state, caller, &key).await;
                    other.map(ServiceResponse::map_into_boxed_body)
                }
            }
        }
    }
}

/// Frees the key of a request that created nothing (or whose answer could
/// not be kept), so that a retry runs instead of waiting out the claim.
async fn release(state: &AppState, caller: uuid::Uuid, key: &str) {
    if let Err(e) = idempotency::release(state, caller, key).await {
        tracing::warn!(error = %e, "releasing an idempotency key");
    }
}

/// A body the client stopped sending midway: 400, as the extractors say.
fn unreadable(e: actix_web::error::PayloadError) -> ApiError {
    ApiError::bad_request(
        "malformed_request",
        format!("the body could not be read: {e}"),
    )
}

/// Keeps a 2xx answer and sends it on.
async fn keep(
    state: &AppState,
    caller: uuid::Uuid,
    key: &str,
    res: ServiceResponse<impl MessageBody + 'static>,
    hashing: Rc<RefCell<Hashing>>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    // The handler's own body (JSON in memory) cannot fail to read; if it
    // did, the answer is a problem, not actix's text/plain 500.
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(b) => b,
        Err(_) => {
            release(state, caller, key).await;
            let e = ApiError::internal(anyhow::anyhow!("reading a created answer"));
            return Ok(ServiceResponse::new(req, e.error_response()));
        }
    };
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let v = head.headers().get(name)?.to_str().ok()?;
            Some((name.as_str().to_string(), v.to_string()))
        })
        .collect();
    let (hash, complete) = {
        let h = hashing.borrow();
        (hex::encode(h.hasher.clone().finalize()), h.complete)
    };
    match (complete, std::str::from_utf8(&bytes)) {
        (true, Ok(text)) => {
            let answer = StoredAnswer {
                status: head.status().as_u16(),
                headers,
                body: text.to_string(),
            };
            if let Err(e) = idempotency::answer(state, caller, key, &hash, &answer).await {
                // The resource exists and the client gets its answer; the
                // key is freed rather than blocked until the claim expires.
                tracing::warn!(error = %e, "keeping an idempotent answer");
                release(state, caller, key).await;
            }
        }
        _ => release(state, caller, key).await,
    }
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
}

fn replay(answer: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        res.insert_header((name.as_str(), value.as_str()));
    }
    res.insert_header((REPLAYED, "true"));
    res.body(answer.body.clone())
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different request; use a new key for a new request",
    )
}

fn in_use() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being answered; retry shortly",
    )
    .with_header(header::RETRY_AFTER, "1")
}
