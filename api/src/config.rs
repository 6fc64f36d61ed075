//! Layered settings: defaults → optional file → `APP__SECTION__KEY`
//! environment → the contract's environment names (`DATABASE_URL`,
//! `DATABASE_READ_URL`, `BIND_ADDR`, `DATA_DIR`, `JWT_SECRET`, `MFA_REQUIRED`,
//! `BOOTSTRAP_HRSS_PASSWORD`, `PII_KEY`).
//!
//! The file is `CONFIG_FILE` when set, else `./config.toml` when present.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything the server can be told.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`; unset means `DATA_DIR/ce.db` (WAL).
    pub database_url: Option<String>,
    /// A PostgreSQL streaming replica of `database_url`
    /// (`DATABASE_READ_URL`) for the heavy reads — statistics, exports,
    /// dashboards, lists (`AppState::read_db`, docs/ARCHITECTURE.md, Read
    /// replicas). Its connections are read-only. Unset (the default): every
    /// read on the primary.
    pub database_read_url: Option<String>,
    /// Listen address.
    pub bind_addr: String,
    /// Attachments and generated keys live here.
    pub data_dir: PathBuf,
    /// HS256 secret for access tokens; unset means generated once into `DATA_DIR`.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<String>,
    /// 64 hex characters: the key that encrypts and hashes ID and phone
    /// numbers; unset means generated once into `DATA_DIR`.
    #[serde(skip_serializing)]
    pub pii_key: Option<String>,
    /// Versioned PII encryption keys (`APP__PII_KEYS=2:<hex>,1:<hex>`): new
    /// ciphertexts are sealed with the first (or `pii_current_version`),
    /// any listed version opens. Empty (the default): `PII_KEY` alone, as
    /// version 1. Version 1 is the key `PII_KEY` was before keys rotated.
    #[serde(skip_serializing, deserialize_with = "list_or_commas")]
    pub pii_keys: Vec<String>,
    /// The version of `pii_keys` that seals new ciphertexts; unset: the first.
    pub pii_current_version: Option<u8>,
    /// 64 hex characters: the master of the lookup hashes that keep one
    /// person per ID number (`APP__PII_HASH_KEY`). It does not rotate;
    /// unset means `PII_KEY` (or `DATA_DIR/pii.key`), as before keys were
    /// versioned.
    #[serde(skip_serializing)]
    pub pii_hash_key: Option<String>,
    /// Ed25519 issuer keys (`APP__ISSUER_KEYS=<hex seed>,x:<base64url>`):
    /// the first is a 64-hex-character seed and signs new credentials; the
    /// others are retired keys, a seed or only the public key (`x:` and the
    /// JWK's `x`), published in the JWKS so old credentials still verify.
    /// Empty (the default): the key in `DATA_DIR/issuer-ed25519.key`.
    #[serde(skip_serializing, deserialize_with = "list_or_commas")]
    pub issuer_keys: Vec<String>,
    /// SMS second factor for human accounts (R-ID-3).
    pub mfa_required: bool,
    /// When set and no `hrss` account exists, `hrss-admin` is created with it.
    #[serde(skip_serializing)]
    pub bootstrap_hrss_password: Option<String>,
    /// The address the public reaches this server at (`PUBLIC_URL`), e.g.
    /// `https://ce.example.gov.cn`: certificates' QR codes and credentials
    /// point there. Unset means `http://` + `bind_addr`.
    pub public_url: Option<String>,
    /// Who signs certificates and credentials.
    pub issuer_name: String,
    pub auth: AuthSettings,
    pub database: DatabaseSettings,
    pub limits: LimitSettings,
    pub training: TrainingSettings,
    pub webhooks: WebhookSettings,
    pub legacy: LegacySettings,
    pub cors: CorsSettings,
    pub pools: PoolSettings,
    pub proxies: ProxySettings,
    pub audit: AuditSettings,
    pub cache: CacheSettings,
}

/// The reverse proxies and load balancers in front of the server.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxySettings {
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`) of the proxies whose
    /// `X-Forwarded-For` is believed; in the environment a comma-separated
    /// list (`APP__PROXIES__TRUSTED=10.0.0.5,10.1.0.0/16`). Empty (the
    /// default): the client is the connection's peer and the header is
    /// ignored, so nobody can pick their own address for the per-address
    /// rate limits.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted: Vec<String>,
}

/// The audit chain (issue 22): events are sealed into a chain of keyed
/// hashes behind the writers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditSettings {
    /// 64 hex characters: the key of the chain's hashes
    /// (`APP__AUDIT__CHAIN_KEY`); unset means `DATA_DIR/audit.key`,
    /// generated once. Every server process of a deployment must use the
    /// same key; it is never stored in the database.
    #[serde(skip_serializing)]
    pub chain_key: Option<String>,
    /// How often the sealer looks for unsealed events, in milliseconds.
    pub seal_interval_ms: u64,
    /// The most events one sealing transaction seals (then the next batch
    /// at once, until none wait).
    pub seal_batch: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            chain_key: None,
            seal_interval_ms: 200,
            seal_batch: 500,
        }
    }
}

/// What each process holds in memory (issue 21, `api/src/cache.rs`): sizes
/// and how often it asks whether another process changed what it holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct CacheSettings {
    /// How often the process reads the change counters
    /// (`cache_generations`), in ms: another process's revocation or
    /// removed grant shows here within this plus one query.
    pub poll_ms: u64,
    /// Public verify answers held (least recently used out first; about
    /// 0.5 KiB each: 20,000 ≈ 10 MiB). 0 holds none.
    pub verify_entries: usize,
    /// Accounts whose grants are held (about 0.2 KiB each: 20,000 ≈
    /// 4 MiB). 0 holds none.
    pub grant_entries: usize,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            poll_ms: 250,
            verify_entries: 20_000,
            grant_entries: 20_000,
        }
    }
}

/// Threads and queues: what bounds the server's threads, and the memory
/// each holds, under any load. `0` threads means one per core.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolSettings {
    /// Threads that hash passwords (argon2id, 19 MiB of work memory each,
    /// kept and reused): logins, registrations, password resets.
    pub hash_threads: usize,
    /// Hashes that may wait for a thread; beyond, 503 `server_busy` with
    /// `Retry-After` (each waits about 40 ms × its place ÷ threads).
    pub hash_queue: usize,
    /// Threads for the other blocking work: PDF rendering, attachment files.
    pub blocking_threads: usize,
    /// Blocking jobs that may wait for a thread; beyond, 503 `server_busy`.
    pub blocking_queue: usize,
    /// Requests that hold a large body at once — pushes, attachment uploads
    /// and downloads, legacy imports; more wait up to `bulk_wait_ms`, then
    /// get 503 `server_busy` with `Retry-After`.
    pub bulk_requests: usize,
    /// How long a bulk request (or a download) waits for a place.
    pub bulk_wait_ms: u64,
    /// File downloads (attachments, a notice's files) being sent at once;
    /// each holds its file (at most `limits.attachment_bytes`) until sent.
    pub file_downloads: usize,
    /// HTTP worker threads (each an event loop serving many connections).
    pub http_workers: usize,
    /// Connections each HTTP worker serves at once; more wait in the
    /// listen backlog. Each open connection holds its buffers (~16 KiB).
    pub http_connections_per_worker: usize,
    /// The async runtimes' own blocking threads (DNS lookups of webhook
    /// hosts), per runtime. Nothing of ours runs there.
    pub runtime_blocking_threads: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            hash_threads: 0,
            hash_queue: 32,
            blocking_threads: 0,
            blocking_queue: 64,
            bulk_requests: 4,
            bulk_wait_ms: 2000,
            file_downloads: 4,
            http_workers: 0,
            http_connections_per_worker: 4096,
            runtime_blocking_threads: 4,
        }
    }
}

impl PoolSettings {
    /// `n`, or the number of cores when `n` is 0.
    pub fn or_cores(n: usize) -> usize {
        if n > 0 {
            n
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

/// Cross-origin access for browser front-ends (SPAs) served from other
/// origins. Empty (the default): no cross-origin reads at all.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CorsSettings {
    /// Exact origins, e.g. `https://jxjy.gdhrss.gov.cn`; in the environment
    /// a comma-separated list (`APP__CORS__ALLOWED_ORIGINS=https://a,https://b`).
    #[serde(deserialize_with = "list_or_commas")]
    pub allowed_origins: Vec<String>,
}

/// A list, or one comma-separated string (as environment variables carry it).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        One(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(v) => v,
        Either::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Tokens, one-time codes and lock-out.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    /// Lifetime of a person's or admin's access token (15 minutes by
    /// default: a session goes on through its refresh token).
    pub token_ttl_seconds: u32,
    /// Lifetime of a refresh token: each refresh spends it and issues the
    /// next with this lifetime again; unused this long, the session ends.
    pub refresh_ttl_seconds: u32,
    /// How often each process reads the access tokens other processes
    /// signed out (the deny list), in ms: a token signed out on one
    /// process is refused by the others after at most this (on its own
    /// process at once).
    pub deny_list_refresh_ms: u64,
    /// How often expired SMS codes and challenges, refresh tokens past
    /// their expiry and expired deny-list entries are deleted, in seconds.
    pub purge_interval_seconds: u64,
    /// Lifetime of a platform's client-credentials token.
    pub platform_token_ttl_seconds: u32,
    /// Consecutive failures that lock an account (R-ID-3).
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    /// Lifetime of an SMS code.
    pub code_ttl_seconds: u32,
    /// Wrong guesses a single SMS code tolerates before it is void.
    pub code_max_attempts: u32,
    /// HS256 signing keys with their key ids (`APP__AUTH__JWT_KEYS=k2:<secret>,k1:<secret>`;
    /// ids of letters, digits, `-` and `_`; secrets of at least 32
    /// characters): tokens name their key in `kid`; the first (or
    /// `jwt_current_kid`) signs new tokens; any listed key verifies. Empty
    /// (the default): `JWT_SECRET` (or `DATA_DIR/jwt.key`) alone.
    #[serde(skip_serializing, deserialize_with = "list_or_commas")]
    pub jwt_keys: Vec<String>,
    /// The key id of `jwt_keys` that signs new tokens; unset: the first.
    pub jwt_current_kid: Option<String>,
}

/// Connection pool.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// Pooled connections; unset means 8 on SQLite (each is a thread with
    /// its own page cache, and writes take turns anyway) and four per core
    /// on PostgreSQL (at least 8; see [`postgres_pool`]).
    pub max_connections: Option<u32>,
    /// Prepared statements each connection keeps (sqlx's cache; 100 by
    /// its default). On SQLite each holds its compiled program in the
    /// connection's thread — a 500-row INSERT is hundreds of KiB.
    pub statement_cache: usize,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size`).
    pub sqlite_cache_kib: u32,
    /// How long a SQLite write waits for another writer's lock, in ms,
    /// before the request answers 503 `database_busy` with `Retry-After`.
    pub sqlite_busy_timeout_ms: u64,
    /// How often a background task checkpoints SQLite's write-ahead log
    /// into the database file, in ms; 0 leaves it to the writer whose
    /// commit passes 1,000 pages (SQLite's default), on its request's time.
    pub sqlite_checkpoint_ms: u64,
    /// The largest the SQLite file may grow, in pages (`PRAGMA
    /// max_page_count`; unset: SQLite's own limit). A write beyond it
    /// answers 503 `database_full`; reads go on.
    pub sqlite_max_pages: Option<u32>,
    /// Seconds a request waits for a pooled connection.
    pub acquire_timeout_seconds: u64,
    /// How long a process answers a year's policy from memory, in ms
    /// (another process's change to a policy shows after at most this).
    pub policy_cache_ms: u64,
    /// Pooled connections to the read replica (`DATABASE_READ_URL`);
    /// unset means `max_connections`' figure.
    pub read_max_connections: Option<u32>,
    /// The most the replica may lag the primary, in seconds, before the
    /// heavy reads go to the primary until it catches up; 0: no bound
    /// (a paused or far-behind replica goes on answering).
    pub read_max_lag_seconds: u64,
    /// How often the replica's reachability and lag are checked, in ms.
    pub read_check_ms: u64,
}

/// Request size limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    /// Largest JSON or form body accepted, in bytes (413 beyond).
    pub json_body_bytes: usize,
    /// Largest attachment accepted, in bytes (413 beyond).
    pub attachment_bytes: usize,
    /// Public certificate checks per client address and minute (429 beyond),
    /// so numbers cannot be enumerated (R-CE-3).
    pub verify_per_minute: u32,
    /// Largest platform push (`POST /records/batch`) body, in bytes (413
    /// beyond); a batch of 1,000 items is about 300 KB.
    pub batch_body_bytes: usize,
    /// Password logins, SMS-code answers and password-reset requests per
    /// client address and minute (429 beyond), on top of the per-account
    /// lock-out: one address cannot try many accounts.
    pub login_per_minute: u32,
    /// Self-registrations per client address and minute (429 beyond): each
    /// hashes a password, and registration needs no token.
    pub register_per_minute: u32,
    /// Client-credentials token requests per client address and minute.
    pub token_per_minute: u32,
    /// Holder checks (`POST /verify/{number}/holder`) per account and
    /// minute (429 beyond): an ID number cannot be guessed by asking.
    pub holder_check_per_minute: u32,
    /// Bulk checks by title committees (`POST /certificates/checks`,
    /// R-CE-5) per account and minute (429 beyond); each names up to 200
    /// applicants.
    pub evaluator_checks_per_minute: u32,
    /// Largest legacy CSV import (`POST /legacy/imports`) body, in bytes
    /// (413 beyond).
    pub legacy_import_bytes: usize,
}

/// Legacy data from the old city system (历史(旧系统)数据).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacySettings {
    /// **Reading**: the old system holds the years up to and including this
    /// one; later years exist only in this system, so an import refuses them.
    pub last_year: i32,
    /// The earliest year an import accepts (a sanity bound).
    pub first_year: i32,
}

impl Default for LegacySettings {
    fn default() -> Self {
        Self {
            last_year: 2018,
            first_year: 1990,
        }
    }
}

/// Training policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingSettings {
    /// R-CP-3: a face-to-face class is filed at most this many days before
    /// it starts (开班前30日内), and no later than its start.
    pub filing_window_days: u32,
}

/// Webhook delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// How often the worker looks for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
    /// The first retry waits this long; each next one twice as long (with
    /// jitter), up to an hour.
    pub retry_base_ms: u64,
    /// Attempts before a delivery is given up as `failed` (it can still be
    /// replayed).
    pub max_attempts: u32,
    /// How long one attempt may take, in seconds.
    pub timeout_seconds: u64,
    /// Whether endpoints may be on loopback or private networks. Off: a
    /// registered address cannot make the server call its own network
    /// (cloud metadata, internal services).
    pub allow_private_addresses: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1000,
            retry_base_ms: 10_000,
            max_attempts: 12,
            timeout_seconds: 10,
            allow_private_addresses: false,
        }
    }
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            filing_window_days: 30,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            database_read_url: None,
            bind_addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            jwt_secret: None,
            pii_key: None,
            pii_keys: Vec::new(),
            pii_current_version: None,
            pii_hash_key: None,
            issuer_keys: Vec::new(),
            mfa_required: true,
            bootstrap_hrss_password: None,
            public_url: None,
            issuer_name: "广东省人力资源和社会保障厅".into(),
            auth: AuthSettings::default(),
            database: DatabaseSettings::default(),
            limits: LimitSettings::default(),
            training: TrainingSettings::default(),
            webhooks: WebhookSettings::default(),
            cors: CorsSettings::default(),
            proxies: ProxySettings::default(),
            legacy: LegacySettings::default(),
            pools: PoolSettings::default(),
            audit: AuditSettings::default(),
            cache: CacheSettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "ce-api".into(),
            audience: "ce-api".into(),
            token_ttl_seconds: 900,
            refresh_ttl_seconds: 30 * 24 * 3600,
            deny_list_refresh_ms: 1000,
            purge_interval_seconds: 600,
            platform_token_ttl_seconds: 3600,
            lockout_threshold: 5,
            lockout_minutes: 15,
            code_ttl_seconds: 300,
            code_max_attempts: 5,
            jwt_keys: Vec::new(),
            jwt_current_kid: None,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            max_connections: None,
            statement_cache: 100,
            sqlite_cache_kib: 1024,
            sqlite_busy_timeout_ms: 10_000,
            sqlite_checkpoint_ms: 200,
            sqlite_max_pages: None,
            acquire_timeout_seconds: 5,
            policy_cache_ms: 1000,
            read_max_connections: None,
            read_max_lag_seconds: 30,
            read_check_ms: 1000,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            json_body_bytes: 256 * 1024,
            attachment_bytes: 10 * 1024 * 1024,
            verify_per_minute: 60,
            batch_body_bytes: 4 * 1024 * 1024,
            login_per_minute: 30,
            register_per_minute: 30,
            token_per_minute: 120,
            holder_check_per_minute: 30,
            evaluator_checks_per_minute: 10,
            legacy_import_bytes: 8 * 1024 * 1024,
        }
    }
}

/// The contract's plain environment names and the setting each overrides.
const CONTRACT_ENV: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("DATABASE_READ_URL", "database_read_url"),
    ("BIND_ADDR", "bind_addr"),
    ("DATA_DIR", "data_dir"),
    ("JWT_SECRET", "jwt_secret"),
    ("PII_KEY", "pii_key"),
    ("MFA_REQUIRED", "mfa_required"),
    ("BOOTSTRAP_HRSS_PASSWORD", "bootstrap_hrss_password"),
    ("PUBLIC_URL", "public_url"),
];

/// `APP__` variables taken verbatim, as text: keys and key ids, which
/// `try_parsing` would otherwise read as numbers when they are all digits
/// (`0123` → `123`).
const VERBATIM_ENV: &[(&str, &str)] = &[
    ("APP__AUTH__JWT_KEYS", "auth.jwt_keys"),
    ("APP__AUTH__JWT_CURRENT_KID", "auth.jwt_current_kid"),
    ("APP__PII_KEYS", "pii_keys"),
    ("APP__PII_HASH_KEY", "pii_hash_key"),
    ("APP__ISSUER_KEYS", "issuer_keys"),
];

impl Settings {
    /// Settings from the process environment (and the file it names).
    pub fn load() -> Result<Self, config::ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_env(&env)
    }

    /// Settings from the given environment; the pure core of [`Settings::load`].
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, config::ConfigError> {
        let file = match env.get("CONFIG_FILE") {
            Some(path) => config::File::with_name(path).required(true),
            None => config::File::with_name("config.toml").required(false),
        };
        let app_env: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("APP__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut builder = config::Config::builder()
            .add_source(config::Config::try_from(&Settings::default())?)
            .add_source(file)
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(app_env)),
            );
        for (var, key) in VERBATIM_ENV.iter().chain(CONTRACT_ENV) {
            if let Some(v) = env.get(*var).filter(|v| !v.is_empty()) {
                builder = builder.set_override(*key, v.as_str())?;
            }
        }
        builder.build()?.try_deserialize()
    }

    /// The public base address, without a trailing slash.
    pub fn effective_public_url(&self) -> String {
        match &self.public_url {
            Some(u) if !u.trim().is_empty() => u.trim().trim_end_matches('/').to_string(),
            _ => format!("http://{}", self.bind_addr),
        }
    }

    /// Where anyone checks a certificate number (R-CE-3).
    pub fn verify_url(&self, number: &str) -> String {
        format!("{}/api/v1/verify/{number}", self.effective_public_url())
    }

    /// The pool size in force: the setting, or the backend's default —
    /// 8 on SQLite; on PostgreSQL [`postgres_pool`] of this machine's
    /// cores.
    pub fn max_connections(&self, sqlite: bool) -> u32 {
        let cores = PoolSettings::or_cores(0);
        self.database
            .max_connections
            .unwrap_or(if sqlite { 8 } else { postgres_pool(cores) })
            .max(1)
    }

    /// The read replica's pool size: its own setting, or the primary's.
    pub fn read_max_connections(&self) -> u32 {
        self.database
            .read_max_connections
            .unwrap_or_else(|| self.max_connections(false))
            .max(1)
    }

    /// The read replica's URL, when one is set (an empty value is none).
    pub fn read_url(&self) -> Option<&str> {
        self.database_read_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    /// The database URL in force: the setting, or the SQLite file in `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ce.db").display()
            ),
        }
    }
}

/// PostgreSQL's default pool for a machine of `cores`: four connections a
/// core, at least 8. Each connection is a backend process that takes a core
/// while its query runs; past a few per core they only take turns (issue
/// 21, wrk 2 × 16 on 2 cores, 1.6 M records: compliance p99 12.8 ms with 16
/// connections, 8.4 ms with 8, 9.1 ms with 4).
pub fn postgres_pool(cores: usize) -> u32 {
    u32::try_from(cores.saturating_mul(4))
        .unwrap_or(u32::MAX)
        .max(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_with_an_empty_environment() {
        let s = Settings::from_env(&env(&[])).unwrap();
        assert_eq!(s.bind_addr, "127.0.0.1:8080");
        assert!(s.mfa_required);
        assert_eq!(s.auth.lockout_threshold, 5);
        assert_eq!(s.auth.lockout_minutes, 15);
        assert!(s.effective_database_url().ends_with("ce.db?mode=rwc"));
    }

    #[test]
    fn contract_names_override_everything() {
        let s = Settings::from_env(&env(&[
            ("BIND_ADDR", "0.0.0.0:9000"),
            ("APP__BIND_ADDR", "1.2.3.4:1"),
            ("MFA_REQUIRED", "false"),
            ("DATABASE_URL", "postgres://x@localhost/y"),
            ("APP__AUTH__LOCKOUT_THRESHOLD", "3"),
        ]))
        .unwrap();
        assert_eq!(s.bind_addr, "0.0.0.0:9000");
        assert!(!s.mfa_required);
        assert_eq!(s.effective_database_url(), "postgres://x@localhost/y");
        assert_eq!(s.auth.lockout_threshold, 3);
    }

    #[test]
    fn postgresql_pools_four_connections_a_core() {
        assert_eq!(postgres_pool(1), 8);
        assert_eq!(postgres_pool(2), 8);
        assert_eq!(postgres_pool(16), 64);
        let s = Settings::from_env(&env(&[])).unwrap();
        assert_eq!(s.max_connections(true), 8);
        let s = Settings::from_env(&env(&[("APP__DATABASE__MAX_CONNECTIONS", "3")])).unwrap();
        assert_eq!(s.max_connections(false), 3);
    }

    #[test]
    fn the_read_replica_is_off_unless_named() {
        let s = Settings::from_env(&env(&[])).unwrap();
        assert_eq!(s.read_url(), None);
        assert_eq!(
            s.read_max_connections(),
            postgres_pool(PoolSettings::or_cores(0))
        );
        assert_eq!(s.database.read_max_lag_seconds, 30);
        let s = Settings::from_env(&env(&[
            ("DATABASE_READ_URL", "postgres://x@replica/y"),
            ("APP__DATABASE__MAX_CONNECTIONS", "12"),
            ("APP__DATABASE__READ_MAX_LAG_SECONDS", "0"),
        ]))
        .unwrap();
        assert_eq!(s.read_url(), Some("postgres://x@replica/y"));
        assert_eq!(s.read_max_connections(), 12);
        assert_eq!(s.database.read_max_lag_seconds, 0);
        let s = Settings::from_env(&env(&[("APP__DATABASE__READ_MAX_CONNECTIONS", "40")])).unwrap();
        assert_eq!(s.read_max_connections(), 40);
    }

    #[test]
    fn the_public_url_defaults_to_the_bind_address() {
        let s = Settings::from_env(&env(&[])).unwrap();
        assert_eq!(
            s.verify_url("2026-7KQ2-M9XD-3HTV"),
            "http://127.0.0.1:8080/api/v1/verify/2026-7KQ2-M9XD-3HTV"
        );
        let s = Settings::from_env(&env(&[("PUBLIC_URL", "https://ce.example.cn/")])).unwrap();
        assert_eq!(s.effective_public_url(), "https://ce.example.cn");
    }

    #[test]
    fn key_lists_come_as_comma_separated_variables() {
        let s = Settings::from_env(&env(&[
            ("APP__AUTH__JWT_KEYS", "k2:second-secret, k1:first-secret"),
            ("APP__AUTH__JWT_CURRENT_KID", "01"),
            ("APP__PII_KEYS", "2:abcd,1:ef01"),
            ("APP__PII_CURRENT_VERSION", "1"),
            ("APP__PII_HASH_KEY", "0123"),
            ("APP__ISSUER_KEYS", "aa11,x:bb22"),
        ]))
        .unwrap();
        assert_eq!(s.auth.jwt_keys, ["k2:second-secret", "k1:first-secret"]);
        assert_eq!(s.auth.jwt_current_kid.as_deref(), Some("01"));
        assert_eq!(s.pii_keys, ["2:abcd", "1:ef01"]);
        assert_eq!(s.pii_current_version, Some(1));
        assert_eq!(s.pii_hash_key.as_deref(), Some("0123"));
        assert_eq!(s.issuer_keys, ["aa11", "x:bb22"]);
        let none = Settings::from_env(&env(&[])).unwrap();
        assert!(none.auth.jwt_keys.is_empty() && none.pii_keys.is_empty());
        assert!(none.issuer_keys.is_empty() && none.pii_current_version.is_none());
    }

    #[test]
    fn a_named_file_that_is_missing_is_an_error() {
        assert!(Settings::from_env(&env(&[("CONFIG_FILE", "/nonexistent/ce.toml")])).is_err());
    }
}
