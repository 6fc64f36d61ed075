//! SQLite's push, faster (issue 21): a platform's item is unique on
//! `records` itself again, as before `m20261208_000026`; `record_keys`
//! stays a PostgreSQL table only.
//!
//! `record_keys` exists because a PostgreSQL `records` partitioned by year
//! cannot be unique on `(platform_id, external_id)`. SQLite's `records` is
//! not partitioned, and there the table cost every pushed record two more
//! B-tree entries (the key's primary key and its `record_id` index, which
//! the deferred foreign key searches when the record arrives): the
//! benchmark's push spent 7 of its 48 ms a batch of 1,000 in the keys. On
//! SQLite the partial unique index `ux_records_platform_item` comes back
//! and the push inserts into `records` with `ON CONFLICT DO NOTHING`
//! (`platforms::push`); a racing push of the same item still waits for the
//! one write lock and finds the item taken. PostgreSQL: nothing changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn run(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        run(
            manager,
            "CREATE UNIQUE INDEX ux_records_platform_item ON records (platform_id, external_id) \
             WHERE platform_id IS NOT NULL",
        )
        .await?;
        run(manager, "DROP INDEX ix_record_keys_record").await?;
        run(manager, "DROP TABLE record_keys").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        // As `m20261208_000026` left it.
        run(
            manager,
            "CREATE TABLE record_keys (\
             platform_id uuid_text NOT NULL, \
             external_id varchar(100) NOT NULL, \
             record_id uuid_text NOT NULL, \
             year integer NOT NULL, \
             PRIMARY KEY (platform_id, external_id), \
             CONSTRAINT fk_record_keys_record FOREIGN KEY (record_id) REFERENCES records (id) \
             DEFERRABLE INITIALLY DEFERRED)",
        )
        .await?;
        run(
            manager,
            "INSERT INTO record_keys (platform_id, external_id, record_id, year) \
             SELECT platform_id, external_id, id, year FROM records \
             WHERE platform_id IS NOT NULL AND external_id IS NOT NULL",
        )
        .await?;
        run(
            manager,
            "CREATE INDEX ix_record_keys_record ON record_keys (record_id)",
        )
        .await?;
        run(manager, "DROP INDEX ux_records_platform_item").await
    }
}
