//! Who reviews a record beyond the unit, and what a person's series
//! membership says about what they owe (issue 20).
//!
//! - `records.authority_id`: the authority that reviews a record instead
//!   of the unit — the district finance department of an accounting
//!   conversion the person applies for (R-ACC-4: 由会计人员自行申请，信息采集所属
//!   区级财政部门确认, 广州市财政局 2023 通知 附件 2), or the education or health
//!   authority of what a person of those series declares (R-RC-10: 专业科目
//!   学时…除教育、卫生计生行业外由用人单位认定, 粤人社规〔2018〕11号).
//! - `records.results_published_on`: when a related exam's results were
//!   published (R-ACC-5: 在 2023 年 5 月 1 日至 2024 年 4 月 30 日期间公布成绩的).
//! - `records.initial_training`: hours of archives initial training
//!   (R-ARC-1: 初任培训, 档案专业人员继续教育规定 第九条).
//! - `persons.region`: the district of the person's information collection
//!   (信息采集所属区), which names their finance department and sector
//!   authority.
//! - `person_series_terms`: per person and series, when the duty or the
//!   post started (R-ACC-6: 自取得会计专业技术资格的次年开始; R-ARC-1: 上岗 1 年内),
//!   until when the person studies (在校学习期间无需进行继续教育), and whether
//!   they hold the series' degree (未取得档案专业大专以上学历).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Records {
    Table,
    AuthorityId,
    ResultsPublishedOn,
    InitialTraining,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Region,
}

#[derive(DeriveIden)]
enum PersonSeriesTerms {
    Table,
    PersonId,
    SeriesCode,
    StartedOn,
    StudyingUntil,
    HasDegree,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Records::AuthorityId)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Records::ResultsPublishedOn)
                .date()
                .null()
                .to_owned(),
            ColumnDef::new(Records::InitialTraining)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Records::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        // An authority's review queue.
        manager
            .create_index(
                Index::create()
                    .name("ix_records_authority")
                    .table(Records::Table)
                    .col(Records::AuthorityId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Persons::Table)
                    .add_column(ColumnDef::new(Persons::Region).string_len(6).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonSeriesTerms::Table)
                    .col(uuid(PersonSeriesTerms::PersonId))
                    .col(string_len(PersonSeriesTerms::SeriesCode, 64))
                    .col(date_null(PersonSeriesTerms::StartedOn))
                    .col(date_null(PersonSeriesTerms::StudyingUntil))
                    .col(boolean_null(PersonSeriesTerms::HasDegree))
                    .col(timestamp_with_time_zone(PersonSeriesTerms::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(PersonSeriesTerms::PersonId)
                            .col(PersonSeriesTerms::SeriesCode),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonSeriesTerms::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Persons::Table)
                    .drop_column(Persons::Region)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_records_authority")
                    .table(Records::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Records::InitialTraining,
            Records::ResultsPublishedOn,
            Records::AuthorityId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Records::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
