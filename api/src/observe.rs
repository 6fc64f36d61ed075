//! Request ids, one structured log line per request, and Prometheus metrics.
//!
//! Log lines carry the route *pattern* (`/api/v1/platforms/{id}`), never the
//! raw path or query, so ID and phone numbers cannot reach a log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tracing::Instrument;
use uuid::Uuid;

/// The header that carries the request id in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    queries: HistogramVec,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["method", "route"],
        )?;
        let queries = HistogramVec::new(
            HistogramOpts::new(
                "http_request_db_queries",
                "Database queries per request by method and route, besides those that \
                 authenticated the caller",
            )
            .buckets(vec![
                0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0,
            ]),
            &["method", "route"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(queries.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            queries,
        })
    }

    fn observe(
        &self,
        method: &str,
        route: &str,
        status: u16,
        seconds: f64,
        q: crate::audit::Queries,
    ) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
        self.queries
            .with_label_values(&[method, route])
            .observe(f64::from(q.total.saturating_sub(q.authentication)));
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| v.to_string())
}

/// The middleware: request id in and out, a span, a log line, metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let request_id = incoming_id(&req).unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    // The route pattern, found once: the audit trail's operation, the log
    // line and the metrics all name it.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let state = req.app_data::<web::Data<crate::state::AppState>>().cloned();
    let ((res, changed), queries) = crate::audit::scope(
        request_id.clone(),
        format!("{method} {route}"),
        crate::cache::scope(next.call(req).instrument(span.clone())),
    )
    .await;
    // What the request changed is forgotten here, after its commit and
    // before its answer leaves (issue 21): this process reads it anew at
    // once; the others within `cache.poll_ms`.
    if let Some(state) = &state {
        for kind in changed {
            state.generations.forget(kind);
        }
    }
    let mut res = match res {
        Ok(res) => res,
        Err(e) => {
            // Errors from inner middleware: render them here so they are counted.
            let r = e.error_response();
            return Err(actix_web::error::InternalError::from_response(e, r).into());
        }
    };
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    if let Some(m) = metrics {
        m.observe(&method, &route, status, elapsed.as_secs_f64(), queries);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(route = %route, status, latency_ms = ms, "request failed");
        } else {
            tracing::info!(route = %route, status, latency_ms = ms, "request");
        }
    });
    Ok(res)
}
