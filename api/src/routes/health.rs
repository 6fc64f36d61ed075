//! Liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::replica::ReplicaStatus;
use crate::error::{ApiError, Problem};
use crate::observe::Metrics;
use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    #[schema(example = "ok")]
    pub status: String,
    /// The read replica (`DATABASE_READ_URL`), on `/health/ready` when one
    /// is set. It does not decide readiness: while it is unreachable or
    /// lags beyond the bound the heavy reads go to the primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub replica: Option<ReplicaHealth>,
}

/// Where the heavy reads (statistics, exports, dashboards, lists) go.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaHealth {
    /// `serving`: they go to the replica; `lagging` (behind by more than
    /// `database.read_max_lag_seconds`) or `unreachable`: to the primary.
    pub status: ReplicaState,
    /// How far the replica was behind the primary at the last check
    /// (every `database.read_check_ms`); absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0.0, example = 0.0)]
    pub lag_seconds: Option<f64>,
}

/// The read replica's state at the last check.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaState {
    Serving,
    Lagging,
    Unreachable,
}

impl From<ReplicaStatus> for ReplicaState {
    fn from(s: ReplicaStatus) -> Self {
        match s {
            ReplicaStatus::Serving => ReplicaState::Serving,
            ReplicaStatus::Lagging => ReplicaState::Lagging,
            ReplicaStatus::Unreachable => ReplicaState::Unreachable,
        }
    }
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
        replica: None,
    })
}

/// Can the process reach its database
///
/// 200 while the primary answers. With a read replica set
/// (`DATABASE_READ_URL`), `replica` says whether the heavy reads are
/// served there (`serving`) or, while it is `unreachable` or `lagging`,
/// from the primary — the process stays ready either way.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answers (and, with a read replica, where the heavy reads go)", body = Health),
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
    let replica = state.replica.as_ref().map(|r| ReplicaHealth {
        status: r.status().into(),
        // Milliseconds are the measure's precision.
        lag_seconds: r.lag().map(|l| l.as_millis() as f64 / 1000.0),
    });
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        replica,
    }))
}

/// Prometheus metrics
///
/// Request counts and latencies per route and status, what each
/// in-memory cache (grants, verify answers, policies) served, and with a
/// read replica whether it serves and how far it lags, in the Prometheus
/// text exposition format.
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
    let replica = state
        .replica
        .as_deref()
        .map(crate::db::replica::exposition)
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render() + &caches + &replica)
}
