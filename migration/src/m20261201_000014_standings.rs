//! The standing (年度学时汇总, issue 17): one maintained truth of each
//! person's year.
//!
//! - `standing_lines`: per person and year, the hours of the records that
//!   share a category, series, counted status (approved or pending),
//!   conversion form, general-knowledge flag and public topic — changed by
//!   atomic increments in the transaction of every change that moves hours.
//! - `standings`: the compliance calculator's judgement of those lines
//!   (complete, missing), and the approved hours per category.
//! - `records.approved_tenths`: the part of a record that counts as
//!   approved, so hours a class adds to an approved record wait for the
//!   unit without withdrawing the approved ones (R-CL-4).
//! - `records.topic`: the public topic the hours belong to (R-RC-8).
//! - `certificates.policy`: the requirement a certificate was issued under
//!   (R-REQ-4).
//! - `maintenance_tasks`: work left to the server's next start; here the
//!   first build of the standings from the records, which needs the
//!   calculator (Rust), not SQL.

use ce_entity::state::RecordStatus;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Records {
    Table,
    ApprovedTenths,
    Topic,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Policy,
}

#[derive(DeriveIden)]
enum StandingLines {
    Table,
    PersonId,
    Year,
    Category,
    SeriesCode,
    Counted,
    ConversionCode,
    GeneralKnowledge,
    Topic,
    HoursTenths,
    Records,
}

#[derive(DeriveIden)]
enum Standings {
    Table,
    PersonId,
    Year,
    Complete,
    PublicTenths,
    ProfessionalTenths,
    ElectiveTenths,
    PendingTenths,
    MissingTenths,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MaintenanceTasks {
    Table,
    Name,
    RequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .add_column(integer(Records::ApprovedTenths).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .add_column(string_len_null(Records::Topic, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE records SET approved_tenths = hours_tenths WHERE status = '{}'",
                RecordStatus::Approved.as_str()
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(json_null(Certificates::Policy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StandingLines::Table)
                    .col(uuid(StandingLines::PersonId))
                    .col(integer(StandingLines::Year))
                    .col(string_len(StandingLines::Category, 16))
                    .col(string_len(StandingLines::SeriesCode, 64))
                    .col(string_len(StandingLines::Counted, 16))
                    .col(string_len(StandingLines::ConversionCode, 64))
                    .col(boolean(StandingLines::GeneralKnowledge))
                    .col(string_len(StandingLines::Topic, 100))
                    .col(big_integer(StandingLines::HoursTenths))
                    .col(big_integer(StandingLines::Records))
                    .primary_key(
                        Index::create()
                            .col(StandingLines::PersonId)
                            .col(StandingLines::Year)
                            .col(StandingLines::Category)
                            .col(StandingLines::SeriesCode)
                            .col(StandingLines::Counted)
                            .col(StandingLines::ConversionCode)
                            .col(StandingLines::GeneralKnowledge)
                            .col(StandingLines::Topic),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Standings::Table)
                    .col(uuid(Standings::PersonId))
                    .col(integer(Standings::Year))
                    .col(boolean(Standings::Complete))
                    .col(big_integer(Standings::PublicTenths))
                    .col(big_integer(Standings::ProfessionalTenths))
                    .col(big_integer(Standings::ElectiveTenths))
                    .col(big_integer(Standings::PendingTenths))
                    .col(big_integer(Standings::MissingTenths))
                    .col(timestamp_with_time_zone(Standings::UpdatedAt))
                    .col(integer(Standings::Version))
                    .primary_key(
                        Index::create()
                            .col(Standings::PersonId)
                            .col(Standings::Year),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_standings_person")
                            .from(Standings::Table, Standings::PersonId)
                            .to(Persons::Table, Persons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Statistics and dashboards count a year's complete persons.
        manager
            .create_index(
                Index::create()
                    .name("ix_standings_year_complete")
                    .table(Standings::Table)
                    .col(Standings::Year)
                    .col(Standings::Complete)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MaintenanceTasks::Table)
                    .col(string_len(MaintenanceTasks::Name, 64).primary_key())
                    .col(timestamp_with_time_zone(MaintenanceTasks::RequestedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(MaintenanceTasks::Table)
                    .columns([MaintenanceTasks::Name, MaintenanceTasks::RequestedAt])
                    .values_panic(["rebuild_standings".into(), Expr::current_timestamp()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MaintenanceTasks::Table.into_iden(),
            Standings::Table.into_iden(),
            StandingLines::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .drop_column(Certificates::Policy)
                    .to_owned(),
            )
            .await?;
        for c in [
            Records::Topic.into_iden(),
            Records::ApprovedTenths.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Records::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
