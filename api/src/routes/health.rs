//! Liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::observe::Metrics;
use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    #[schema(example = "ok")]
    pub status: String,
}

/// Is the process up
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Health)),
    security(())
)]
#[get("/health/live")]
pub async fn health_live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Can the process reach its database
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer (`database_unavailable`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/health/ready")]
pub async fn health_ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::unavailable("database_unavailable", e))?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
    }))
}

/// Prometheus metrics
///
/// Request counts and latencies per route and status, and what each
/// in-memory cache (grants, verify answers, policies) served, in the
/// Prometheus text exposition format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Metrics in Prometheus text format", body = String, content_type = "text/plain")),
    security(())
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>, state: web::Data<AppState>) -> HttpResponse {
    let caches = crate::cache::exposition(&[
        ("grants", state.grants.stats()),
        ("verify", state.verified.stats()),
        ("policies", state.policies.stats()),
    ]);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render() + &caches)
}
