//! Connecting to SQLite (WAL) or PostgreSQL and running the migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use ce_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, SqlxSqliteConnector};

use crate::config::Settings;

pub mod fault;
pub mod replica;
pub mod sqlite;
pub mod unique;

/// The most values one `IN (…)` list carries: longer lists are read in
/// chunks of this many (PostgreSQL and SQLite cap the bound parameters of
/// a statement; one plan per chunk size keeps their statement caches warm).
pub const IN_LIST_CHUNK: usize = 500;

/// Opens the pool named by the settings and brings the schema up to date.
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.effective_database_url();
    let db = if url.starts_with("sqlite:") {
        // The migrations on one connection of their own: spread over a
        // pool, a statement could run on a connection whose view of the
        // schema predates the previous statement's change (a fresh test
        // database once failed with `index ux_records_platform_item
        // already exists` — dropped by one migration, created again by a
        // later one). Then the pool the server uses.
        let one = connect_sqlite(&url, settings, 1).await?;
        Migrator::up(&one, None)
            .await
            .context("running migrations")?;
        one.close()
            .await
            .context("closing the migrations' connection")?;
        connect_sqlite(&url, settings, settings.max_connections(true)).await?
    } else {
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(settings.max_connections(false))
            .min_connections(1)
            .map_sqlx_postgres_opts({
                let capacity = settings.database.statement_cache;
                move |o| o.statement_cache_capacity(capacity)
            })
            .acquire_timeout(Duration::from_secs(
                settings.database.acquire_timeout_seconds,
            ))
            .sqlx_logging(false);
        let db = Database::connect(opts)
            .await
            .context("connecting to PostgreSQL")?;
        // Each migration in a transaction of its own (sea-orm-migration's
        // way on PostgreSQL).
        Migrator::up(&db, None)
            .await
            .context("running migrations")?;
        db
    };
    let mut db = db;
    // Every query counts for the request making it (`/metrics`:
    // `http_request_db_queries`).
    db.set_metric_callback(|_| crate::audit::query_made());
    Ok(db)
}

async fn connect_sqlite(
    url: &str,
    settings: &Settings,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    use sea_orm::sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };

    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    }
    let opts = SqliteConnectOptions::from_str(url)
        .with_context(|| "parsing the SQLite URL".to_string())?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL makes NORMAL durable against application crashes.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(
            settings.database.sqlite_busy_timeout_ms,
        ))
        .statement_cache_capacity(settings.database.statement_cache)
        // Negative: KiB rather than pages.
        .pragma(
            "cache_size",
            format!("-{}", settings.database.sqlite_cache_kib.max(64)),
        );
    // The log is checkpointed by a background task (`db::sqlite`); the
    // writers only past a bound.
    let opts = if sqlite::checkpointer_on(settings) {
        opts.pragma(
            "wal_autocheckpoint",
            sqlite::WRITER_CHECKPOINT_PAGES.to_string(),
        )
    } else {
        opts
    };
    let opts = match settings.database.sqlite_max_pages {
        Some(pages) => opts.pragma("max_page_count", pages.to_string()),
        None => opts,
    };
    let pool = SqlitePoolOptions::new()
        // A local file's connection does not go stale: no ping before each
        // use (a round trip to the connection's thread, doubling a query's).
        .test_before_acquire(false)
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(
            settings.database.acquire_timeout_seconds,
        ))
        .after_connect(|conn, _| Box::pin(stable_plans(conn)))
        .connect_with(opts)
        .await
        .context("opening the SQLite database")?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Turns on SQLite's query planner stability guarantee for a new connection.
///
/// Without it, SQLite (3.47 and later) plans `LIMIT ?` with the bound value
/// and marks the statement to be compiled again whenever that parameter is
/// bound anew — which sqlx does on every execution, and sea-orm's `.one()`
/// always sends `LIMIT ?`. Every point lookup was parsed and planned again
/// (a quarter of the server's time under the benchmark's verify load). With
/// the guarantee, a cached statement keeps its plan.
async fn stable_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    use std::ffi::c_int;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, locked for the call
    // (no other thread uses it meanwhile). ENABLE_QPSG takes an int (1: on)
    // and an optional `int*` for the new setting, here null.
    let rc = unsafe {
        sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc == SQLITE_OK {
        Ok(())
    } else {
        Err(sea_orm::sqlx::Error::Configuration(
            format!("sqlite3_db_config(ENABLE_QPSG) returned {rc}").into(),
        ))
    }
}

/// Inserts inside a savepoint of `txn`: `None` when a unique index refuses
/// the row (a concurrent writer got there first). Only the savepoint is
/// undone, so the caller's transaction goes on — PostgreSQL would otherwise
/// abort it.
pub async fn insert_unless_taken<A>(
    txn: &sea_orm::DatabaseTransaction,
    row: A,
) -> Result<Option<<A::Entity as sea_orm::EntityTrait>::Model>, sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    use sea_orm::TransactionTrait;
    let sp = txn.begin().await?;
    match row.insert(&sp).await {
        Ok(m) => {
            sp.commit().await?;
            Ok(Some(m))
        }
        Err(e) if crate::error::is_unique_violation(&e) => {
            sp.rollback().await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at `BEGIN` (`IMMEDIATE`), so two writers queue on the busy timeout
/// instead of one failing when it upgrades a read lock; PostgreSQL ignores
/// the mode.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Placeholders are written `?` and numbered for PostgreSQL.
pub fn statement(
    backend: sea_orm::DbBackend,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = if backend == sea_orm::DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// An online copy of a SQLite database into the new file `to` (`VACUUM
/// INTO`): a consistent snapshot taken in one read transaction while the
/// server goes on writing (WAL). PostgreSQL is backed up with `pg_dump`.
pub async fn backup_sqlite(db: &DatabaseConnection, to: &std::path::Path) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait;
    anyhow::ensure!(
        db.get_database_backend() == sea_orm::DbBackend::Sqlite,
        "the database is PostgreSQL: back it up with pg_dump -Fc (see README, Backup and restore)"
    );
    anyhow::ensure!(!to.exists(), "{} exists already", to.display());
    let path = to
        .to_str()
        .with_context(|| format!("{} is not UTF-8", to.display()))?;
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await
    .with_context(|| format!("VACUUM INTO {}", to.display()))?;
    Ok(())
}

/// Where a platform item's key is unique: in `record_keys` beside
/// `records` (PostgreSQL, whose `records` is partitioned by year), or in
/// `records`' own unique index `ux_records_platform_item` (SQLite;
/// `m20261208_000028`).
pub struct KeysApart;

impl KeysApart {
    pub fn on<C: sea_orm::ConnectionTrait>(conn: &C) -> bool {
        Self::of(conn.get_database_backend())
    }

    pub fn of(backend: sea_orm::DbBackend) -> bool {
        backend == sea_orm::DbBackend::Postgres
    }
}
