//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::crypto::PiiVault;
use crate::crypto::issuer::IssuerKey;
use crate::ports::identity::IdentityVerifier;
use crate::ports::sms::SmsSender;
use crate::ports::work::{Gate, WorkPool};

/// Shared application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The primary: every write, and every read not listed under
    /// [`AppState::read_db`].
    pub db: DatabaseConnection,
    /// The read replica (`DATABASE_READ_URL`), when one is set; reach it
    /// through [`AppState::read_db`] only.
    pub replica: Option<Arc<crate::db::replica::Replica>>,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub pii: Arc<PiiVault>,
    pub sms: Arc<dyn SmsSender>,
    /// Real-name verification (R-ID-2).
    pub verifier: Arc<dyn IdentityVerifier>,
    /// Public certificate checks per client address (R-CE-3).
    pub verify_limiter: Arc<AddressLimiter>,
    /// Logins, SMS codes and password resets per address.
    pub login_limiter: Arc<AddressLimiter>,
    /// Self-registrations per address.
    pub register_limiter: Arc<AddressLimiter>,
    /// Client-credentials tokens per address.
    pub token_limiter: Arc<AddressLimiter>,
    /// Holder checks per account.
    pub holder_limiter: Arc<AccountLimiter>,
    /// Title committees' bulk checks per account (R-CE-5).
    pub evaluator_limiter: Arc<AccountLimiter>,
    /// Password hashing: a few threads, each reusing its argon2 memory.
    pub hashing: Arc<WorkPool>,
    /// Other blocking work: PDF rendering, attachment files.
    pub blocking: Arc<WorkPool>,
    /// Requests that hold a large body: pushes, files, imports.
    pub bulk: Arc<Gate>,
    /// File downloads being sent.
    pub files: Arc<Gate>,
    /// Reference data only migrations write (series groups, conversion
    /// forms), read once at start.
    pub reference: Arc<crate::reference::Reference>,
    /// What follows a judgement of a person's year: the certificates.
    pub follower: Arc<dyn crate::ports::ledger::Follower>,
    /// What follows a change of the series a person holds.
    pub series_changed: Arc<dyn crate::ports::ledger::SeriesChanged>,
    /// Policies held until one changes (`PolicyCache`).
    pub policies: Arc<crate::reference::PolicyCache>,
    /// The change counters what this process holds is checked against
    /// (`crate::cache`).
    pub generations: Arc<crate::cache::Generations>,
    /// Each account's grants, held until a grant changes.
    pub grants: Arc<crate::cache::Lru<uuid::Uuid, Vec<crate::auth::Grant>>>,
    /// Public verify answers of known numbers, held until a certificate
    /// is superseded or revoked (R-CE-3).
    pub verified: Arc<crate::cache::Lru<String, crate::domain::certificate::Verification>>,
    /// Signs certificates' credentials (R-CE-3).
    pub issuer: Arc<IssuerKey>,
    /// What time it is (the system's; a test's settable one).
    pub clock: Arc<dyn crate::ports::clock::Clock>,
    /// The proxies whose `X-Forwarded-For` names the client.
    pub proxies: Arc<crate::proxies::TrustedProxies>,
    /// The key of the audit chain's hashes (kept outside the database).
    pub audit_chain: Arc<crate::audit::chain::ChainKey>,
    /// Access tokens signed out before they expire (issue 22).
    pub denied: Arc<crate::auth::deny::DenyList>,
}

impl AppState {
    /// The pool for the heavy reads, and for them only: statistics, the
    /// CSV exports, the unit dashboard (`GET /units/{id}/compliance`) and
    /// the paged lists (docs/ARCHITECTURE.md, Read replicas, names each).
    /// The replica's while `DATABASE_READ_URL` is set and the replica
    /// answers within the lag bound, else the primary's. What it answers
    /// may lag the primary by the replication delay; never write through
    /// it (its connections are read-only), and never use it for a read that
    /// must see a write just made — a push read back, a review, anything in
    /// a transaction, sign-in and grants, verify and compliance.
    pub fn read_db(&self) -> &DatabaseConnection {
        match &self.replica {
            Some(r) if r.serving() => &r.db,
            _ => &self.db,
        }
    }

    /// The client's address: the connection's peer, or the one a trusted
    /// proxy names (`proxies::TrustedProxies::client`).
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        let peer = req.peer_addr()?.ip();
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.proxies.client(peer, &forwarded))
    }
}

/// A rate limiter keyed by client address.
pub type AddressLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

/// A rate limiter keyed by account.
pub type AccountLimiter = governor::DefaultKeyedRateLimiter<uuid::Uuid>;

/// `RateLimited` (429 with `Retry-After`) when the account has used up its
/// allowance of `limiter`.
pub fn check_account_rate(
    limiter: &AccountLimiter,
    account: uuid::Uuid,
) -> Result<(), crate::error::ServiceError> {
    if let Err(not_until) = limiter.check_key(&account) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(limiter.clock()));
        return Err(crate::error::ServiceError::RateLimited {
            retry_after: wait + std::time::Duration::from_secs(1),
        });
    }
    if limiter.len() > 10_000 {
        limiter.retain_recent();
    }
    Ok(())
}

/// `per_minute` requests a minute per account, in a burst of as many.
pub fn account_limiter(per_minute: u32) -> AccountLimiter {
    let n = std::num::NonZeroU32::new(per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    governor::RateLimiter::keyed(governor::Quota::per_minute(n))
}

/// 429 (`rate_limited`, with `Retry-After`) when the client's address has
/// used up its allowance of `limiter`.
pub fn check_rate(
    limiter: &AddressLimiter,
    client: Option<std::net::IpAddr>,
) -> Result<(), crate::error::ApiError> {
    if let Some(addr) = client
        && let Err(not_until) = limiter.check_key(&addr)
    {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(limiter.clock()));
        return Err(crate::error::ApiError::too_many_requests(
            "rate_limited",
            wait.as_secs() + 1,
        ));
    }
    // Forget addresses that have been quiet, so the table stays small.
    if limiter.len() > 10_000 {
        limiter.retain_recent();
    }
    Ok(())
}

/// `per_minute` requests a minute per address, in a burst of as many.
pub fn address_limiter(per_minute: u32) -> AddressLimiter {
    let n = std::num::NonZeroU32::new(per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    governor::RateLimiter::keyed(governor::Quota::per_minute(n))
}
