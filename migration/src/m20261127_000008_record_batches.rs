//! Platform pushes (R-RC-2): each batch's outcome, item by item, kept so a
//! platform can read it again (`GET /records/batch/{id}`) and so a request
//! retried with the same `Idempotency-Key` replays it instead of running
//! twice. The items themselves are records, idempotent on
//! `(platform_id, external_id)` by `ux_records_platform_item`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordBatches {
    Table,
    Id,
    PlatformId,
    IdempotencyKey,
    RequestHash,
    ItemCount,
    Accepted,
    Duplicate,
    Rejected,
    Items,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Platforms {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecordBatches::Table)
                    .col(pk_uuid(RecordBatches::Id))
                    .col(uuid(RecordBatches::PlatformId))
                    .col(string_len_null(RecordBatches::IdempotencyKey, 255))
                    .col(string_len(RecordBatches::RequestHash, 64))
                    .col(integer(RecordBatches::ItemCount))
                    .col(integer(RecordBatches::Accepted))
                    .col(integer(RecordBatches::Duplicate))
                    .col(integer(RecordBatches::Rejected))
                    .col(json(RecordBatches::Items))
                    .col(timestamp_with_time_zone(RecordBatches::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_record_batches_platform")
                            .from(RecordBatches::Table, RecordBatches::PlatformId)
                            .to(Platforms::Table, Platforms::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One outcome per key and platform, across every server process.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_record_batches_key ON record_batches (platform_id, idempotency_key) WHERE idempotency_key IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecordBatches::Table).to_owned())
            .await
    }
}
