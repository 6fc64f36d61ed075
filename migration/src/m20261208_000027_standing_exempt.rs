//! A standing says when its year owes nothing (R-ACC-6, issue 20).
//!
//! `standings.exempt`: the reason (`duty_not_started`, `studying`) when
//! every series the person holds that year is exempt, else `NULL`. The
//! statistics count those persons apart (`persons_exempt`) instead of
//! among the incomplete, and a unit's list of the incomplete leaves them
//! out. The standings are rebuilt at the server's next start
//! (`maintenance_tasks`), so databases migrated before get the column
//! filled from the series terms already stored.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Standings {
    Table,
    Exempt,
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
        manager
            .alter_table(
                Table::alter()
                    .table(Standings::Table)
                    .add_column(ColumnDef::new(Standings::Exempt).string_len(24).null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(MaintenanceTasks::Table)
                    .columns([MaintenanceTasks::Name, MaintenanceTasks::RequestedAt])
                    .values_panic(["rebuild_standings".into(), Expr::current_timestamp()])
                    .on_conflict(
                        OnConflict::column(MaintenanceTasks::Name)
                            .do_nothing()
                            .to_owned(),
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
                    .table(Standings::Table)
                    .drop_column(Standings::Exempt)
                    .to_owned(),
            )
            .await
    }
}
