//! Public deadlines on their own (R-RC-8, issue 17): the deadline closes
//! registration (过期不办理补学补登), so a year's public hours are refused
//! when *received* after it, and a year without a published deadline uses
//! a default hrss can change.
//!
//! - `public_deadlines`: the published deadline of a year, with or without
//!   topics (seeded from the topics' `offline_after`).
//! - `policy_defaults`: `public_deadline` = `04-30`, the month and day of
//!   the next year (the 2023 guide's: 2023's courses went offline after
//!   2024-04-30).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PublicDeadlines {
    Table,
    Year,
    Deadline,
    Source,
}

#[derive(DeriveIden)]
enum PolicyDefaults {
    Table,
    Name,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PublicDeadlines::Table)
                    .col(integer(PublicDeadlines::Year).primary_key())
                    .col(date(PublicDeadlines::Deadline))
                    .col(text(PublicDeadlines::Source))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO public_deadlines (year, deadline, source) \
                 SELECT year, MAX(offline_after), MAX(source) FROM public_subjects GROUP BY year",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PolicyDefaults::Table)
                    .col(string_len(PolicyDefaults::Name, 64).primary_key())
                    .col(string_len(PolicyDefaults::Value, 200))
                    .col(timestamp_with_time_zone(PolicyDefaults::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PolicyDefaults::Table)
                    .columns([
                        PolicyDefaults::Name,
                        PolicyDefaults::Value,
                        PolicyDefaults::UpdatedAt,
                    ])
                    .values_panic([
                        "public_deadline".into(),
                        "04-30".into(),
                        Expr::current_timestamp(),
                    ])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PolicyDefaults::Table.into_iden(),
            PublicDeadlines::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
