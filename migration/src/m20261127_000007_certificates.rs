//! Annual certificates (R-CE-1..3): one valid certificate per person and
//! year, with the hours it was issued for; reissue supersedes, hrss revokes.

use ce_entity::state::CertificateStatus;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Number,
    PersonId,
    Year,
    UnitId,
    Status,
    Hours,
    SupersededBy,
    RevokedReason,
    RevokedAt,
    IssuedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(pk_uuid(Certificates::Id))
                    .col(string_len(Certificates::Number, 19).unique_key())
                    .col(uuid(Certificates::PersonId))
                    .col(integer(Certificates::Year))
                    .col(uuid_null(Certificates::UnitId))
                    .col(string_len(Certificates::Status, 16))
                    .col(json(Certificates::Hours))
                    .col(uuid_null(Certificates::SupersededBy))
                    .col(string_len_null(Certificates::RevokedReason, 500))
                    .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                    .col(timestamp_with_time_zone(Certificates::IssuedAt))
                    .col(timestamp_with_time_zone(Certificates::UpdatedAt))
                    .col(integer(Certificates::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_person")
                            .from(Certificates::Table, Certificates::PersonId)
                            .to(Persons::Table, Persons::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // R-CE-1: exactly one valid certificate per person and year, however
        // many approvals complete the year at once.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_certificates_one_valid ON certificates (person_id, year) WHERE status = '{}'",
                CertificateStatus::Valid.as_str()
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_person_year")
                    .table(Certificates::Table)
                    .col(Certificates::PersonId)
                    .col(Certificates::Year)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Certificates::Table).to_owned())
            .await
    }
}
