//! The read replica (issue 21): a PostgreSQL streaming replica of the
//! primary (`DATABASE_READ_URL`) that the heavy reads — statistics,
//! exports, dashboards, lists — are sent to through
//! [`crate::state::AppState::read_db`]. Everything else reads and writes
//! the primary (docs/ARCHITECTURE.md, Read replicas, says which and why).
//!
//! Its connections are read-only (`default_transaction_read_only`; a
//! SQLite read URL, the tests' stand-in, is opened `read_only`), so a code
//! path that wrote through the read handle fails on any backend, not only
//! on a standby.
//!
//! A watcher checks the replica every `database.read_check_ms`: whether it
//! answers, and how far it lags — nothing when it has replayed the
//! primary's current WAL position, else the age of the last transaction
//! it replayed (`pg_last_xact_replay_timestamp()`). While it does not
//! answer, or lags more than `database.read_max_lag_seconds` (0: no
//! bound), the heavy reads go to the primary; `/health/ready` says which.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, SqlxSqliteConnector,
};

use crate::config::Settings;

/// What the last check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaStatus {
    /// It answers within the lag bound: the heavy reads go there.
    Serving,
    /// It answers but lags more than the bound: the heavy reads go to the
    /// primary until it catches up.
    Lagging,
    /// It does not answer: the heavy reads go to the primary.
    Unreachable,
}

impl ReplicaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaStatus::Serving => "serving",
            ReplicaStatus::Lagging => "lagging",
            ReplicaStatus::Unreachable => "unreachable",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            0 => ReplicaStatus::Serving,
            1 => ReplicaStatus::Lagging,
            _ => ReplicaStatus::Unreachable,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            ReplicaStatus::Serving => 0,
            ReplicaStatus::Lagging => 1,
            ReplicaStatus::Unreachable => 2,
        }
    }
}

/// No lag measured (unreachable, or nothing replayed yet).
const UNKNOWN_LAG: u64 = u64::MAX;

/// The replica's pool and what the watcher last found.
pub struct Replica {
    pub db: DatabaseConnection,
    /// `None`: no bound.
    max_lag: Option<Duration>,
    status: AtomicU8,
    lag_ms: AtomicU64,
}

impl Replica {
    /// Opens the read pool `settings` name, lazily: a replica that is down
    /// at start does not keep the server from serving from the primary.
    /// `None` when no `DATABASE_READ_URL` is set.
    pub async fn connect(
        settings: &Settings,
        primary: &DatabaseConnection,
    ) -> anyhow::Result<Option<Arc<Self>>> {
        let Some(url) = settings.read_url() else {
            return Ok(None);
        };
        let sqlite = url.starts_with("sqlite:");
        let same_kind = sqlite == (primary.get_database_backend() == DbBackend::Sqlite);
        anyhow::ensure!(
            same_kind,
            "DATABASE_READ_URL must name the same kind of database as DATABASE_URL (a PostgreSQL replica of a PostgreSQL primary)"
        );
        let mut db = if sqlite {
            open_sqlite_read_only(url, settings).await?
        } else {
            let mut opts = ConnectOptions::new(url.to_string());
            opts.max_connections(settings.read_max_connections())
                .min_connections(0)
                .connect_lazy(true)
                .map_sqlx_postgres_opts({
                    let capacity = settings.database.statement_cache;
                    move |o| {
                        o.statement_cache_capacity(capacity)
                            // Every transaction on it refuses to write, as a
                            // standby's would.
                            .options([("default_transaction_read_only", "on")])
                    }
                })
                .acquire_timeout(Duration::from_secs(
                    settings.database.acquire_timeout_seconds,
                ))
                .sqlx_logging(false);
            Database::connect(opts)
                .await
                .context("opening the read replica's pool")?
        };
        db.set_metric_callback(|_| crate::audit::query_made());
        let max_lag = match settings.database.read_max_lag_seconds {
            0 => None,
            s => Some(Duration::from_secs(s)),
        };
        let replica = Arc::new(Self {
            db,
            max_lag,
            status: AtomicU8::new(ReplicaStatus::Unreachable.to_u8()),
            lag_ms: AtomicU64::new(UNKNOWN_LAG),
        });
        // Known before the first request.
        replica.check(primary).await;
        Ok(Some(replica))
    }

    /// Whether the heavy reads go to the replica now.
    pub fn serving(&self) -> bool {
        self.status() == ReplicaStatus::Serving
    }

    pub fn status(&self) -> ReplicaStatus {
        ReplicaStatus::from_u8(self.status.load(Ordering::Acquire))
    }

    /// How far behind the primary it was at the last check; `None` when
    /// unknown (unreachable, or nothing replayed yet while behind).
    pub fn lag(&self) -> Option<Duration> {
        match self.lag_ms.load(Ordering::Acquire) {
            UNKNOWN_LAG => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Asks the replica whether it answers and how far it lags, and
    /// decides where the heavy reads go until the next check.
    pub async fn check(&self, primary: &DatabaseConnection) {
        let lag = tokio::time::timeout(Duration::from_secs(2), measure(primary, &self.db))
            .await
            .map_err(|_| anyhow::anyhow!("no answer within 2 s"))
            .and_then(|r| r);
        let (status, lag_ms) = match lag {
            Err(e) => {
                if self.status() != ReplicaStatus::Unreachable {
                    tracing::warn!(error = %format!("{e:#}"), "the read replica does not answer: heavy reads go to the primary");
                }
                (ReplicaStatus::Unreachable, UNKNOWN_LAG)
            }
            Ok(lag) => {
                let within = match (self.max_lag, lag) {
                    (None, _) => true,
                    (Some(max), Some(lag)) => lag <= max,
                    (Some(_), None) => false,
                };
                let status = if within {
                    ReplicaStatus::Serving
                } else {
                    ReplicaStatus::Lagging
                };
                if status != self.status() {
                    tracing::info!(
                        status = status.as_str(),
                        lag_ms = lag.map(|l| l.as_millis() as u64),
                        "the read replica's status changed"
                    );
                }
                (
                    status,
                    lag.map_or(UNKNOWN_LAG, |l| (l.as_millis() as u64).min(UNKNOWN_LAG - 1)),
                )
            }
        };
        self.lag_ms.store(lag_ms, Ordering::Release);
        self.status.store(status.to_u8(), Ordering::Release);
    }
}

/// The replica's state in the Prometheus text format (`/metrics`):
/// `db_replica_serving` (1 while the heavy reads go there) and
/// `db_replica_lag_seconds` (absent while unknown).
pub fn exposition(replica: &Replica) -> String {
    let mut out = format!(
        "# HELP db_replica_serving Whether the heavy reads go to the read replica (1) or the primary (0)\n\
         # TYPE db_replica_serving gauge\ndb_replica_serving {}\n",
        u8::from(replica.serving())
    );
    if let Some(lag) = replica.lag() {
        out.push_str(&format!(
            "# HELP db_replica_lag_seconds How far the read replica was behind the primary at the last check\n\
             # TYPE db_replica_lag_seconds gauge\ndb_replica_lag_seconds {:.3}\n",
            lag.as_secs_f64()
        ));
    }
    out
}

/// Checks the replica every `every`, for as long as the process runs.
pub fn watch(replica: Arc<Replica>, primary: DatabaseConnection, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            replica.check(&primary).await;
        }
    });
}

/// How far `replica` lags `primary`: zero when it has replayed the
/// primary's current WAL position (or, when the primary does not say, all
/// it has received; or it is no standby: a primary, or the tests'
/// read-only handle on the same database), else the age of the last
/// transaction it replayed (`None` when it replayed none yet).
async fn measure(
    primary: &DatabaseConnection,
    replica: &DatabaseConnection,
) -> anyhow::Result<Option<Duration>> {
    if replica.get_database_backend() != DbBackend::Postgres {
        replica.ping().await?;
        return Ok(Some(Duration::ZERO));
    }
    // The primary's position first: whatever the replica has replayed by
    // the time it answers is compared with a position no later than now.
    // A primary that does not answer soon (its pool busy under load) says
    // nothing of the replica: then the replica's own received position
    // stands in, rather than the check failing and sending the heavy reads
    // to the busy primary.
    let position = match tokio::time::timeout(
        Duration::from_millis(500),
        primary.query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text AS lsn",
        )),
    )
    .await
    {
        Ok(Ok(Some(row))) => row.try_get::<String>("", "lsn").ok(),
        _ => None,
    };
    let row = replica
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_is_in_recovery() AS standby, \
             COALESCE(pg_last_wal_replay_lsn() >= COALESCE($1::pg_lsn, pg_last_wal_receive_lsn()), TRUE) AS caught_up, \
             EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS behind",
            [position.into()],
        ))
        .await?
        .context("the replica answered no row")?;
    let standby: bool = row.try_get("", "standby")?;
    let caught_up: bool = row.try_get("", "caught_up")?;
    let behind: Option<f64> = row.try_get("", "behind")?;
    if !standby || caught_up {
        return Ok(Some(Duration::ZERO));
    }
    Ok(behind.map(|s| Duration::from_secs_f64(s.max(0.0))))
}

/// The same SQLite file, read-only: the tests' stand-in for a replica, so
/// the heavy reads run through a handle that cannot write.
async fn open_sqlite_read_only(
    url: &str,
    settings: &Settings,
) -> anyhow::Result<DatabaseConnection> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let opts = SqliteConnectOptions::from_str(url)
        .context("parsing DATABASE_READ_URL")?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(Duration::from_millis(
            settings.database.sqlite_busy_timeout_ms,
        ))
        .statement_cache_capacity(settings.database.statement_cache);
    let pool = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(settings.read_max_connections())
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(
            settings.database.acquire_timeout_seconds,
        ))
        .connect_lazy_with(opts);
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}
