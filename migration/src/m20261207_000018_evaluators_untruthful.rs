//! Title-evaluation committees and untruthful records (issue 20).
//!
//! - R-CE-5: an evaluator (评审委员会) is granted by hrss to an account and
//!   names the series it evaluates. The seed lists Guangzhou's committees
//!   with the series each evaluates (十三、广州市专业技术人员职称评审委员会联系方式:
//!   `序号 评委会名称 评审专业（系列） 评委会所在单位`), and title evaluation asks for
//!   the current year's certificate (有问有答 六: 职称申报评审材料只要求提供当年
//!   （本年度）的继续教育证书). The `evaluator` grant's `org_id` is the row of
//!   `evaluators`; revoking deletes the grant, so it stops at once.
//! - R-RC-12: a record found untruthful is invalid (条例 第三十四条: 对个人
//!   专业技术档案和继续教育证书的记载不真实的，其记载内容无效); hrss's reason is
//!   kept on the record.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Evaluators {
    Table,
    Id,
    Name,
    AccountId,
    GrantedBy,
    CreatedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum EvaluatorSeries {
    Table,
    EvaluatorId,
    SeriesCode,
}

#[derive(DeriveIden)]
enum Records {
    Table,
    InvalidatedReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Evaluators::Table)
                    .col(pk_uuid(Evaluators::Id))
                    .col(string_len(Evaluators::Name, 100))
                    .col(uuid(Evaluators::AccountId))
                    .col(uuid(Evaluators::GrantedBy))
                    .col(timestamp_with_time_zone(Evaluators::CreatedAt))
                    .col(timestamp_with_time_zone_null(Evaluators::RevokedAt))
                    .col(uuid_null(Evaluators::RevokedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_evaluators_account")
                    .table(Evaluators::Table)
                    .col(Evaluators::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluatorSeries::Table)
                    .col(uuid(EvaluatorSeries::EvaluatorId))
                    .col(string_len(EvaluatorSeries::SeriesCode, 64))
                    .primary_key(
                        Index::create()
                            .col(EvaluatorSeries::EvaluatorId)
                            .col(EvaluatorSeries::SeriesCode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .add_column(
                        ColumnDef::new(Records::InvalidatedReason)
                            .string_len(500)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .drop_column(Records::InvalidatedReason)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(EvaluatorSeries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Evaluators::Table).to_owned())
            .await
    }
}
