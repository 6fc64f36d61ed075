//! Builds the application: settings → keys → database → state → server.
//! Tests call [`Application::build`] with `BIND_ADDR` port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, middleware, web};
use anyhow::Context;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtKeys;
use crate::config::{PoolSettings, Settings};
use crate::error::{ApiError, extractors};
use crate::observe::{Metrics, observe};
use crate::parties::bootstrap;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::identity::FormatVerifier;
use crate::ports::sms::{LogSmsSender, SmsSender};
use crate::ports::work::{Gate, WorkPool};
use crate::state::AppState;

/// A built, not yet awaited, server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// With the default SMS sender.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, Arc::new(LogSmsSender)).await
    }

    /// With a given SMS sender (a gateway, or a test's capture).
    pub async fn build_with(settings: Settings, sms: Arc<dyn SmsSender>) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, sms, Arc::new(SystemClock)).await
    }

    /// With a given SMS sender and clock (a test's settable one).
    pub async fn build_with_clock(
        mut settings: Settings,
        sms: Arc<dyn SmsSender>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("binding {}", settings.bind_addr))?;
        let addr = listener.local_addr()?;
        if settings.public_url.is_none() {
            // The port really bound (`:0` in tests), not the one asked for.
            settings.public_url = Some(format!("http://{addr}"));
        }
        let jwt = JwtKeys::from_settings(&settings)?;
        let pii = crate::crypto::pii_vault(&settings)?;
        let issuer = crate::crypto::issuer::IssuerKey::from_settings(&settings)?;
        tracing::info!(
            jwt_kid = jwt.current_kid(),
            pii_version = pii.current_version(),
            issuer_kid = %issuer.jwk().kid,
            "keys loaded"
        );
        let audit_chain = Arc::new(crate::audit::chain::ChainKey::load_or_create(&settings)?);
        let db = crate::db::connect_and_migrate(&settings).await?;
        // A migration that changed how standings are kept asks for them to
        // be recomputed from the records, once (issue 17).
        if let Some(done) = crate::ledger::standing::rebuild_if_asked(&db)
            .await
            .map_err(|e| anyhow::anyhow!("rebuilding the standings: {e}"))?
        {
            tracing::info!(
                records = done.records,
                standings = done.standings,
                "standings rebuilt from the records"
            );
        }
        // The read replica for the heavy reads (issue 21), checked before
        // the first request and then every `read_check_ms`.
        let replica = crate::db::replica::Replica::connect(&settings, &db).await?;
        if let Some(r) = &replica {
            tracing::info!(status = r.status().as_str(), "read replica configured");
            crate::db::replica::watch(
                r.clone(),
                db.clone(),
                std::time::Duration::from_millis(settings.database.read_check_ms.max(50)),
            );
        }
        let reference = Arc::new(
            crate::reference::Reference::load(&db)
                .await
                .map_err(|e| anyhow::anyhow!("reading the reference data: {e}"))?,
        );
        let limiter = |per_minute| Arc::new(crate::state::address_limiter(per_minute));
        let verify_limiter = limiter(settings.limits.verify_per_minute);
        let login_limiter = limiter(settings.limits.login_per_minute);
        let token_limiter = limiter(settings.limits.token_per_minute);
        let register_limiter = limiter(settings.limits.register_per_minute);
        let holder_limiter = Arc::new(crate::state::account_limiter(
            settings.limits.holder_check_per_minute,
        ));
        let evaluator_limiter = Arc::new(crate::state::account_limiter(
            settings.limits.evaluator_checks_per_minute,
        ));
        let pools = &settings.pools;
        let hashing = Arc::new(WorkPool::new(
            "hash",
            PoolSettings::or_cores(pools.hash_threads),
            pools.hash_queue,
        )?);
        let blocking = Arc::new(WorkPool::new(
            "blocking",
            PoolSettings::or_cores(pools.blocking_threads),
            pools.blocking_queue,
        )?);
        let bulk = Arc::new(Gate::new(
            "bulk",
            pools.bulk_requests,
            std::time::Duration::from_millis(pools.bulk_wait_ms),
        ));
        let files = Arc::new(Gate::new(
            "files",
            pools.file_downloads,
            std::time::Duration::from_millis(pools.bulk_wait_ms),
        ));
        let policy_ttl = std::time::Duration::from_millis(settings.database.policy_cache_ms);
        let proxies = crate::proxies::TrustedProxies::parse(&settings.proxies.trusted)
            .map_err(|e| anyhow::anyhow!("proxies.trusted: {e}"))?;
        // What this process holds in memory, and the counters that say
        // when another changed it (issue 21): read once before serving.
        let generations = Arc::new(crate::cache::Generations::default());
        generations
            .poll(&db)
            .await
            .map_err(|e| anyhow::anyhow!("reading the cache generations: {e}"))?;
        crate::cache::watch(
            db.clone(),
            &generations,
            std::time::Duration::from_millis(settings.cache.poll_ms.max(10)),
        );
        let grants = Arc::new(crate::cache::Lru::new(
            crate::cache::Kind::Grants,
            generations.clone(),
            settings.cache.grant_entries,
        ));
        let verified = Arc::new(crate::cache::Lru::new(
            crate::cache::Kind::Certificates,
            generations.clone(),
            settings.cache.verify_entries,
        ));
        let state = AppState {
            db,
            replica,
            jwt: Arc::new(jwt),
            pii: Arc::new(pii),
            settings: Arc::new(settings),
            sms,
            verifier: Arc::new(FormatVerifier),
            verify_limiter,
            login_limiter,
            register_limiter,
            token_limiter,
            holder_limiter,
            evaluator_limiter,
            hashing,
            blocking,
            bulk,
            files,
            reference,
            policies: Arc::new(crate::reference::PolicyCache::new(
                policy_ttl,
                generations.clone(),
            )),
            generations,
            grants,
            verified,
            follower: Arc::new(crate::certificates::FollowTheStanding),
            series_changed: Arc::new(crate::certificates::FollowTheStanding),
            issuer: Arc::new(issuer),
            clock,
            denied: Arc::new(crate::auth::deny::DenyList::default()),
            proxies: Arc::new(proxies),
            audit_chain,
        };
        bootstrap::ensure_hrss_admin(&state).await?;
        // Signed-out tokens are refused from the first request on.
        state
            .denied
            .refresh(&state.db)
            .await
            .map_err(|e| anyhow::anyhow!("reading the deny list: {e}"))?;

        let port = addr.port();
        let server = run(listener, state.clone())?;
        tokio::spawn(crate::platforms::webhooks::run_worker(state.clone()));
        tokio::spawn(crate::auth::deny::run_refresher(
            state.denied.clone(),
            state.db.clone(),
            std::time::Duration::from_millis(state.settings.auth.deny_list_refresh_ms),
        ));
        tokio::spawn(crate::parties::sessions::run_purge(state.clone()));
        // Checkpoints SQLite's log behind the writers (issue 21).
        crate::db::sqlite::start(&state.db, &state.settings);
        // Seals the audit events behind the writers (issue 22).
        crate::audit::chain::start(state.db.clone(), state.audit_chain.clone(), &state.settings);
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The paths of the spec with their methods, to tell 404 from 405.
struct KnownRoutes(Vec<(Vec<String>, Vec<Method>)>);

impl KnownRoutes {
    fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<(Vec<String>, Vec<Method>)> = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segs = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_string)
                    .collect();
                let mut methods = Vec::new();
                for (m, op) in [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                ] {
                    if op.is_some() {
                        methods.push(m);
                    }
                }
                (segs, methods)
            })
            .collect();
        routes.push((
            vec!["api-docs".into(), "openapi.json".into()],
            vec![Method::GET],
        ));
        Self(routes)
    }

    /// The methods of a path of the spec without templates, e.g.
    /// `/api/v1/authorities/reviews`, which a template beside it
    /// (`/api/v1/authorities/{id}`) would otherwise swallow.
    fn literal(&self, path: &str) -> Option<&[Method]> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find_map(|(pattern, methods)| {
            (pattern.len() == segs.len()
                && !pattern.iter().any(|p| p.starts_with('{'))
                && pattern.iter().zip(&segs).all(|(p, s)| p == s))
            .then_some(methods.as_slice())
        })
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find_map(|(pattern, methods)| {
            let fits = pattern.len() == segs.len()
                && pattern.iter().zip(&segs).all(|(p, s)| {
                    (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s
                });
            fits.then_some(methods.as_slice())
        })
    }
}

fn method_not_allowed(method: &Method, methods: &[Method]) -> ApiError {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed here; allowed: {allow}"),
    )
    .with_header(header::ALLOW, allow)
}

/// A path that did not parse: 405 when it is a literal path of the spec
/// asked with another method (`GET /api/v1/authorities/reviews` reaches
/// `GET /api/v1/authorities/{id}`), else the 400 problem.
fn path_error(e: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    if let Some(known) = req.app_data::<web::Data<KnownRoutes>>()
        && let Some(methods) = known.literal(req.path())
        && !methods.contains(req.method())
    {
        return method_not_allowed(req.method(), methods).into();
    }
    extractors::path(e, req)
}

async fn fallback(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    match known.allowed(req.path()) {
        Some(methods) if !methods.contains(req.method()) => {
            Err(method_not_allowed(req.method(), methods))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such resource",
        )),
    }
}

/// Headers every answer carries: no MIME sniffing, no framing, no referrer
/// leaking IDs in URLs, HTTPS only once a browser has seen it over TLS.
fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Resource-Policy", "same-site"))
        .add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
}

/// CORS for the configured front-end origins only: with none configured a
/// browser on another origin can read nothing. Bearer tokens, not cookies,
/// so no credentials mode.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::IF_MATCH,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
            crate::observe::REQUEST_ID,
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::CONTENT_DISPOSITION,
            actix_web::http::header::HeaderName::from_static("idempotency-replayed"),
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::LOCATION,
            crate::observe::REQUEST_ID,
        ])
        .max_age(3600);
    for o in origins {
        cors = cors.allowed_origin(o);
    }
    cors
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let spec = crate::openapi::spec();
    let known = web::Data::new(KnownRoutes::from_spec(&spec));
    let creating = web::Data::new(crate::routes::idempotency::CreatingOperations::from_spec(
        &spec,
    ));
    let metrics = web::Data::new(Metrics::new()?);
    let limit = state.settings.limits.json_body_bytes;
    let data = web::Data::new(state);
    let origins = data.settings.cors.allowed_origins.clone();
    let pools = data.settings.pools.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware::from_fn(crate::routes::idempotency::idempotency))
            .wrap(middleware::from_fn(
                crate::routes::conditional::not_modified,
            ))
            .wrap(cors(&origins))
            .wrap(security_headers())
            .wrap(middleware::from_fn(observe))
            .app_data(data.clone())
            .app_data(metrics.clone())
            .app_data(known.clone())
            .app_data(creating.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(extractors::json(limit)),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(limit)
                    .error_handler(extractors::form(limit)),
            )
            .app_data(web::PayloadConfig::default().limit(limit))
            .app_data(web::QueryConfig::default().error_handler(extractors::query))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .configure(|cfg| {
                let mut cfg = utoipa_actix_web::service_config::ServiceConfig::new(cfg);
                crate::routes::configure(&mut cfg);
            })
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", spec.clone()))
            .service(web::redirect("/docs", "/docs/"))
            .default_service(web::to(fallback))
    })
    // Longer than load balancers' idle timeouts (60 s), so the server never
    // closes a kept-alive connection a client is about to reuse.
    .keep_alive(std::time::Duration::from_secs(75))
    .workers(PoolSettings::or_cores(pools.http_workers))
    .max_connections(pools.http_connections_per_worker.max(1))
    // Our blocking work runs on the bounded pools (`crate::work`); what
    // is left to each worker runtime's own pool is small.
    .worker_max_blocking_threads(pools.runtime_blocking_threads.max(1))
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_routes_match_templates() {
        let known = KnownRoutes::from_spec(&crate::openapi::spec());
        assert!(known.allowed("/api/v1/platforms/abc").is_some());
        assert!(known.allowed("/api/v1/nothing").is_none());
        let m = known.allowed("/api/v1/auth/register").unwrap();
        assert_eq!(m, &[Method::POST]);
    }
}
