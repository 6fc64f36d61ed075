//! PostgreSQL at scale (issue 21): `records` partitioned by year, and the
//! unique rules that a partitioned table cannot keep moved beside it.
//!
//! On PostgreSQL `records` becomes a declaratively partitioned table,
//! `PARTITION BY RANGE (year)`: one partition a year for
//! [`FIRST_YEAR`]..=[`LAST_YEAR`] (`records_2015` … `records_2035`) and a
//! `records_default` partition, so that an insert of any other year never
//! fails. The standing and compliance reads (`WHERE person_id = ? AND year
//! = ?`) then touch one partition's index; a year's statistics scan one
//! partition. An operator adds a later year's partition before its records
//! arrive (README, "PostgreSQL: records partitioned by year").
//!
//! A partitioned table's primary key and unique indexes must include the
//! partition key, so two rules move out of `records`:
//!
//! - **A platform's item is recorded once** (R-RC-2, the push's
//!   exactly-once; was the partial unique index `ux_records_platform_item`
//!   on `records (platform_id, external_id)`): `record_keys (platform_id,
//!   external_id) PRIMARY KEY → record_id, year`. The push claims the keys
//!   first (`INSERT … ON CONFLICT DO NOTHING`, in the record's transaction)
//!   and inserts only the records whose key it claimed; a concurrent push
//!   of the same item waits on the key's row and then finds it taken. The
//!   same table and code on SQLite, so both backends run one path.
//! - **A record's id is unique**: the primary key is `(id, year)` on
//!   PostgreSQL. `record_contributions` (the only table with a foreign key
//!   to `records`) now carries the record's year, `record_year`, and its
//!   foreign key is composite: `(record_id, record_year) → records (id,
//!   year)`. Chosen over a `record_ids (id)` table, which would cost every
//!   insert of every record one more row and index entry to protect one
//!   small table's references, and over dropping the foreign key, which
//!   would leave a class's contribution able to point at nothing; a
//!   record's year never changes (no operation updates it), so the copy of
//!   it cannot go stale. Ids themselves are UUIDv7 made by the server, and
//!   every lookup by id is by the whole id. `record_keys` refers to its
//!   record the same way, `DEFERRABLE INITIALLY DEFERRED` because the key
//!   is written before its record. SQLite keeps `records` as it is (its
//!   `id` stays the primary key) and gets `record_keys` and `record_year`
//!   too, its foreign keys on `id` alone, and an index on
//!   `record_keys (record_id)` that its deferred foreign key needs.
//!
//! The unique index also served a platform's reads of its own records:
//! `ix_records_platform (platform_id, id)` takes its place on both
//! backends.
//!
//! The PostgreSQL step works on a database already in use: it reads what
//! `records` has (indexes, foreign keys, and the foreign keys pointing at
//! it), builds the partitioned table, moves the rows (`INSERT … SELECT`),
//! recreates every index and foreign key by its definition, and drops the
//! old table, in the migration's transaction. A unique index or an
//! incoming foreign key it does not know stops it with a message, rather
//! than be silently lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The first year with a partition of its own.
pub const FIRST_YEAR: i32 = 2015;
/// The last year with a partition of its own; later years land in
/// `records_default` until an operator adds theirs.
pub const LAST_YEAR: i32 = 2035;

/// The unique index whose rule moves to `record_keys`.
const PLATFORM_ITEM_INDEX: &str = "ux_records_platform_item";
/// A platform's records, in id order (its list and export): the unique
/// index gave the platform's rows an index; this one, not unique, takes
/// its place (as `ix_records_unit` does for a unit's).
const PLATFORM_INDEX: &str = "CREATE INDEX ix_records_platform ON records (platform_id, id)";
/// The one foreign key that points at `records`, made composite.
const CONTRIBUTION_FK: (&str, &str) = ("record_contributions", "fk_record_contributions_record");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => up_postgres(manager).await,
            _ => up_sqlite(manager).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => down_postgres(manager).await,
            _ => down_sqlite(manager).await,
        }
    }
}

async fn run(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

/// Two text columns of a query's rows.
async fn pairs(manager: &SchemaManager<'_>, sql: &str) -> Result<Vec<(String, String)>, DbErr> {
    let db = manager.get_connection();
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// `records`' indexes other than its primary key: name and definition.
async fn record_indexes(manager: &SchemaManager<'_>) -> Result<Vec<(String, String)>, DbErr> {
    pairs(
        manager,
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = 'records' \
         AND indexname <> 'records_pkey' ORDER BY indexname",
    )
    .await
}

/// `records`' own foreign keys: name and definition.
async fn record_foreign_keys(manager: &SchemaManager<'_>) -> Result<Vec<(String, String)>, DbErr> {
    pairs(
        manager,
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'records'::regclass AND contype = 'f' ORDER BY conname",
    )
    .await
}

/// The foreign keys of other tables that point at `records`.
async fn incoming(manager: &SchemaManager<'_>) -> Result<Vec<(String, String)>, DbErr> {
    pairs(
        manager,
        "SELECT conrelid::regclass::text, conname::text FROM pg_constraint \
         WHERE confrelid = 'records'::regclass AND contype = 'f' ORDER BY 1, 2",
    )
    .await
}

fn check_incoming(found: &[(String, String)]) -> Result<(), DbErr> {
    for (table, name) in found {
        if (table.as_str(), name.as_str()) != CONTRIBUTION_FK {
            return Err(DbErr::Migration(format!(
                "{table}.{name} refers to records(id); a partitioned records is unique on (id, year) only — give it the year first"
            )));
        }
    }
    Ok(())
}

async fn up_postgres(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let indexes = record_indexes(manager).await?;
    let fks = record_foreign_keys(manager).await?;
    check_incoming(&incoming(manager).await?)?;
    for (name, def) in &indexes {
        if def.starts_with("CREATE UNIQUE") && name != PLATFORM_ITEM_INDEX {
            return Err(DbErr::Migration(format!(
                "records has the unique index {name} ({def}); a partitioned table's unique indexes must include year — move its rule to a table of its own first"
            )));
        }
    }
    run(
        manager,
        &format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            CONTRIBUTION_FK.0, CONTRIBUTION_FK.1
        ),
    )
    .await?;
    // The old table keeps its rows until they are copied; its index names
    // are freed for the new table's.
    for (name, _) in &indexes {
        run(manager, &format!("DROP INDEX {name}")).await?;
    }
    run(
        manager,
        "ALTER TABLE records RENAME TO records_unpartitioned",
    )
    .await?;
    run(
        manager,
        "ALTER INDEX records_pkey RENAME TO records_unpartitioned_pkey",
    )
    .await?;
    run(
        manager,
        "CREATE TABLE records (LIKE records_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS, \
         CONSTRAINT records_pkey PRIMARY KEY (id, year)) PARTITION BY RANGE (year)",
    )
    .await?;
    for y in FIRST_YEAR..=LAST_YEAR {
        run(
            manager,
            &format!(
                "CREATE TABLE records_{y} PARTITION OF records FOR VALUES FROM ({y}) TO ({})",
                y + 1
            ),
        )
        .await?;
    }
    run(
        manager,
        "CREATE TABLE records_default PARTITION OF records DEFAULT",
    )
    .await?;
    run(
        manager,
        "INSERT INTO records SELECT * FROM records_unpartitioned",
    )
    .await?;
    for (name, def) in &indexes {
        if name != PLATFORM_ITEM_INDEX {
            run(manager, def).await?;
        }
    }
    run(manager, PLATFORM_INDEX).await?;
    for (name, def) in &fks {
        run(
            manager,
            &format!("ALTER TABLE records ADD CONSTRAINT {name} {def}"),
        )
        .await?;
    }
    run(
        manager,
        "CREATE TABLE record_keys (\
         platform_id uuid NOT NULL, \
         external_id varchar(100) NOT NULL, \
         record_id uuid NOT NULL, \
         year integer NOT NULL, \
         CONSTRAINT record_keys_pkey PRIMARY KEY (platform_id, external_id), \
         CONSTRAINT fk_record_keys_record FOREIGN KEY (record_id, year) REFERENCES records (id, year) \
         DEFERRABLE INITIALLY DEFERRED)",
    )
    .await?;
    run(
        manager,
        "INSERT INTO record_keys (platform_id, external_id, record_id, year) \
         SELECT platform_id, external_id, id, year FROM records_unpartitioned \
         WHERE platform_id IS NOT NULL AND external_id IS NOT NULL",
    )
    .await?;
    run(
        manager,
        "ALTER TABLE record_contributions ADD COLUMN record_year integer",
    )
    .await?;
    run(
        manager,
        "UPDATE record_contributions c SET record_year = r.year \
         FROM records_unpartitioned r WHERE r.id = c.record_id",
    )
    .await?;
    run(
        manager,
        "ALTER TABLE record_contributions ALTER COLUMN record_year SET NOT NULL",
    )
    .await?;
    run(
        manager,
        &format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY (record_id, record_year) REFERENCES records (id, year)",
            CONTRIBUTION_FK.0, CONTRIBUTION_FK.1
        ),
    )
    .await?;
    run(manager, "DROP TABLE records_unpartitioned").await?;
    run(manager, "ANALYZE records").await
}

async fn down_postgres(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    run(manager, "DROP INDEX ix_records_platform").await?;
    run(manager, "DROP TABLE record_keys").await?;
    let indexes = record_indexes(manager).await?;
    let fks = record_foreign_keys(manager).await?;
    check_incoming(&incoming(manager).await?)?;
    run(
        manager,
        &format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            CONTRIBUTION_FK.0, CONTRIBUTION_FK.1
        ),
    )
    .await?;
    for (name, _) in &indexes {
        run(manager, &format!("DROP INDEX {name}")).await?;
    }
    run(manager, "ALTER TABLE records RENAME TO records_partitioned").await?;
    run(
        manager,
        "ALTER INDEX records_pkey RENAME TO records_partitioned_pkey",
    )
    .await?;
    run(
        manager,
        "CREATE TABLE records (LIKE records_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS, \
         CONSTRAINT records_pkey PRIMARY KEY (id))",
    )
    .await?;
    run(
        manager,
        "INSERT INTO records SELECT * FROM records_partitioned",
    )
    .await?;
    for (_, def) in &indexes {
        run(manager, &def.replace(" ON ONLY ", " ON ")).await?;
    }
    run(
        manager,
        &format!(
            "CREATE UNIQUE INDEX {PLATFORM_ITEM_INDEX} ON records (platform_id, external_id) WHERE platform_id IS NOT NULL"
        ),
    )
    .await?;
    for (name, def) in &fks {
        run(
            manager,
            &format!("ALTER TABLE records ADD CONSTRAINT {name} {def}"),
        )
        .await?;
    }
    run(manager, "DROP TABLE records_partitioned").await?;
    run(
        manager,
        "ALTER TABLE record_contributions DROP COLUMN record_year",
    )
    .await?;
    run(
        manager,
        &format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY (record_id) REFERENCES records (id)",
            CONTRIBUTION_FK.0, CONTRIBUTION_FK.1
        ),
    )
    .await
}

async fn up_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // The types the other migrations' column helpers write on SQLite.
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
    // SQLite checks a deferred foreign key's outstanding violations when
    // the parent row arrives by searching the child table: without this
    // index every record inserted scans `record_keys` (a push of 100,000
    // items slowed to tens of records a second). PostgreSQL checks from
    // the child's side only and needs none.
    run(
        manager,
        "CREATE INDEX ix_record_keys_record ON record_keys (record_id)",
    )
    .await?;
    run(manager, &format!("DROP INDEX {PLATFORM_ITEM_INDEX}")).await?;
    run(manager, PLATFORM_INDEX).await?;
    run(
        manager,
        "ALTER TABLE record_contributions ADD COLUMN record_year integer NOT NULL DEFAULT 0",
    )
    .await?;
    run(
        manager,
        "UPDATE record_contributions SET record_year = \
         (SELECT year FROM records WHERE records.id = record_contributions.record_id)",
    )
    .await
}

async fn down_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    run(manager, "DROP INDEX ix_records_platform").await?;
    run(
        manager,
        "ALTER TABLE record_contributions DROP COLUMN record_year",
    )
    .await?;
    run(
        manager,
        &format!(
            "CREATE UNIQUE INDEX {PLATFORM_ITEM_INDEX} ON records (platform_id, external_id) WHERE platform_id IS NOT NULL"
        ),
    )
    .await?;
    run(manager, "DROP TABLE record_keys").await
}
