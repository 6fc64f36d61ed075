//! Connecting to SQLite (WAL) or PostgreSQL and running the migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use ce_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, SqlxSqliteConnector};

use crate::config::Settings;

/// Opens the pool named by the settings and brings the schema up to date.
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.effective_database_url();
    let db = if url.starts_with("sqlite:") {
        connect_sqlite(&url, settings).await?
    } else {
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(settings.database.max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(
                settings.database.acquire_timeout_seconds,
            ))
            .sqlx_logging(false);
        Database::connect(opts)
            .await
            .context("connecting to PostgreSQL")?
    };
    Migrator::up(&db, None)
        .await
        .context("running migrations")?;
    Ok(db)
}

async fn connect_sqlite(url: &str, settings: &Settings) -> anyhow::Result<DatabaseConnection> {
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
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.database.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(
            settings.database.acquire_timeout_seconds,
        ))
        .connect_with(opts)
        .await
        .context("opening the SQLite database")?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at `BEGIN` (`IMMEDIATE`), so two writers queue on the busy timeout
/// instead of one failing when it upgrades a read lock; PostgreSQL ignores
/// the mode.
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
