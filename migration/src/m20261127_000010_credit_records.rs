//! Credit records (信用档案 / 失信信息, R-CR-1): findings against persons,
//! units and providers; published findings on organisations are public, and
//! one against a provider blocks its plan submissions until it expires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CreditRecords {
    Table,
    Id,
    SubjectType,
    SubjectId,
    SubjectName,
    Reason,
    Rule,
    Severity,
    AttachmentIds,
    FoundOn,
    ExpiresOn,
    Published,
    RecordedBy,
    AuthorityId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CreditRecords::Table)
                    .col(pk_uuid(CreditRecords::Id))
                    .col(string_len(CreditRecords::SubjectType, 16))
                    .col(uuid(CreditRecords::SubjectId))
                    .col(string_len(CreditRecords::SubjectName, 200))
                    .col(string_len(CreditRecords::Reason, 1000))
                    .col(string_len(CreditRecords::Rule, 200))
                    .col(string_len(CreditRecords::Severity, 16))
                    .col(json(CreditRecords::AttachmentIds))
                    .col(date(CreditRecords::FoundOn))
                    .col(date_null(CreditRecords::ExpiresOn))
                    .col(boolean(CreditRecords::Published))
                    .col(uuid(CreditRecords::RecordedBy))
                    .col(uuid_null(CreditRecords::AuthorityId))
                    .col(timestamp_with_time_zone(CreditRecords::CreatedAt))
                    .col(timestamp_with_time_zone(CreditRecords::UpdatedAt))
                    .col(integer(CreditRecords::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_credit_records_subject")
                    .table(CreditRecords::Table)
                    .col(CreditRecords::SubjectType)
                    .col(CreditRecords::SubjectId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CreditRecords::Table).to_owned())
            .await
    }
}
