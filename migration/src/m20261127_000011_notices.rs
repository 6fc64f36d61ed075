//! Notices and policy documents (通知公告 / 政策法规) that hrss publishes
//! for everyone, with attachments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    Kind,
    Title,
    Body,
    AttachmentIds,
    PublishedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(pk_uuid(Notices::Id))
                    .col(string_len(Notices::Kind, 16))
                    .col(string_len(Notices::Title, 200))
                    .col(text(Notices::Body))
                    .col(json(Notices::AttachmentIds))
                    .col(timestamp_with_time_zone(Notices::PublishedAt))
                    .col(uuid(Notices::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notices_kind")
                    .table(Notices::Table)
                    .col(Notices::Kind)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await
    }
}
