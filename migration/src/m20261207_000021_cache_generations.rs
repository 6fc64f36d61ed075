//! What each process may hold in memory, and how it learns that another
//! changed it (issue 21): one counter per kind of cached data, bumped in
//! the same transaction as any change that makes a cached answer wrong
//! (a certificate issued, superseded or revoked; a grant added or
//! removed; a policy changed). Each process polls this table (a few rows,
//! read by primary key) and forgets what a changed counter covers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CacheGenerations {
    Table,
    Name,
    Generation,
}

/// The kinds of cached data (`api/src/cache.rs` names the same).
const NAMES: [&str; 3] = ["certificates", "grants", "policies"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheGenerations::Table)
                    .col(string_len(CacheGenerations::Name, 32).primary_key())
                    .col(big_integer(CacheGenerations::Generation).default(0))
                    .to_owned(),
            )
            .await?;
        let mut q = Query::insert();
        q.into_table(CacheGenerations::Table)
            .columns([CacheGenerations::Name, CacheGenerations::Generation]);
        for name in NAMES {
            q.values_panic([name.into(), 0i64.into()]);
        }
        manager.get_connection().execute(&q).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheGenerations::Table).to_owned())
            .await
    }
}
