//! Legacy data (历史(旧系统)数据): records and certificates of 2018 and
//! earlier from the old city system, imported by hrss from CSV. Tables of
//! their own, so nothing of the current records' or certificates' state
//! machines, compliance or statistics can change or count them. Each row
//! is keyed by the old system's own key (record id, certificate number)
//! under a unique index, so importing the same file again changes
//! nothing; persons are found by the same keyed hash of the ID number the
//! `persons` table keeps, so history shows up once its holder registers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LegacyRecords {
    Table,
    Id,
    LegacyId,
    IdCardHash,
    IdCardMasked,
    Name,
    Year,
    Category,
    SeriesCode,
    CourseName,
    HoursTenths,
    Result,
    ProviderName,
    UnitName,
    CompletedOn,
    ImportId,
    ImportedBy,
    ImportedAt,
}

#[derive(DeriveIden)]
enum LegacyCertificates {
    Table,
    Id,
    Number,
    IdCardHash,
    IdCardMasked,
    Name,
    Year,
    PublicTenths,
    ProfessionalTenths,
    ElectiveTenths,
    UnitName,
    IssuedOn,
    ImportId,
    ImportedBy,
    ImportedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LegacyRecords::Table)
                    .col(pk_uuid(LegacyRecords::Id))
                    .col(string_len_uniq(LegacyRecords::LegacyId, 64))
                    .col(string_len(LegacyRecords::IdCardHash, 64))
                    .col(string_len(LegacyRecords::IdCardMasked, 18))
                    .col(string_len(LegacyRecords::Name, 50))
                    .col(integer(LegacyRecords::Year))
                    .col(string_len(LegacyRecords::Category, 16))
                    .col(string_len_null(LegacyRecords::SeriesCode, 64))
                    .col(string_len(LegacyRecords::CourseName, 200))
                    .col(integer(LegacyRecords::HoursTenths))
                    .col(string_len_null(LegacyRecords::Result, 100))
                    .col(string_len_null(LegacyRecords::ProviderName, 100))
                    .col(string_len_null(LegacyRecords::UnitName, 200))
                    .col(date_null(LegacyRecords::CompletedOn))
                    .col(uuid(LegacyRecords::ImportId))
                    .col(uuid(LegacyRecords::ImportedBy))
                    .col(timestamp_with_time_zone(LegacyRecords::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_legacy_records_id_card_hash")
                    .table(LegacyRecords::Table)
                    .col(LegacyRecords::IdCardHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegacyCertificates::Table)
                    .col(pk_uuid(LegacyCertificates::Id))
                    .col(string_len_uniq(LegacyCertificates::Number, 40))
                    .col(string_len(LegacyCertificates::IdCardHash, 64))
                    .col(string_len(LegacyCertificates::IdCardMasked, 18))
                    .col(string_len(LegacyCertificates::Name, 50))
                    .col(integer(LegacyCertificates::Year))
                    .col(integer(LegacyCertificates::PublicTenths))
                    .col(integer(LegacyCertificates::ProfessionalTenths))
                    .col(integer(LegacyCertificates::ElectiveTenths))
                    .col(string_len_null(LegacyCertificates::UnitName, 200))
                    .col(date(LegacyCertificates::IssuedOn))
                    .col(uuid(LegacyCertificates::ImportId))
                    .col(uuid(LegacyCertificates::ImportedBy))
                    .col(timestamp_with_time_zone(LegacyCertificates::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_legacy_certificates_id_card_hash")
                    .table(LegacyCertificates::Table)
                    .col(LegacyCertificates::IdCardHash)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LegacyCertificates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LegacyRecords::Table).to_owned())
            .await
    }
}
