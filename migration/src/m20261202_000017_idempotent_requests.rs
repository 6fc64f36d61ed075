//! Answers kept for `Idempotency-Key` (issue 19): a creating `POST` sent
//! again with the same key by the same caller within 24 hours replays the
//! first 2xx answer instead of creating a second resource. One row per
//! caller and key: in flight while `completed_at` is null, then the answer
//! (status and an encrypted copy of its headers and body — a new platform's
//! `client_secret` must not lie in the database in clear). The push keeps
//! its own batches (`record_batches`), written in the same transaction as
//! its records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotentRequests {
    Table,
    CallerId,
    IdempotencyKey,
    RequestHash,
    ResponseStatus,
    Response,
    CreatedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotentRequests::Table)
                    .col(uuid(IdempotentRequests::CallerId))
                    .col(string_len(IdempotentRequests::IdempotencyKey, 255))
                    .col(string_len_null(IdempotentRequests::RequestHash, 64))
                    .col(small_integer_null(IdempotentRequests::ResponseStatus))
                    .col(blob_null(IdempotentRequests::Response))
                    .col(timestamp_with_time_zone(IdempotentRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        IdempotentRequests::CompletedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(IdempotentRequests::CallerId)
                            .col(IdempotentRequests::IdempotencyKey),
                    )
                    .to_owned(),
            )
            .await?;
        // Expired answers are deleted by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotent_requests_created")
                    .table(IdempotentRequests::Table)
                    .col(IdempotentRequests::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotentRequests::Table).to_owned())
            .await
    }
}
