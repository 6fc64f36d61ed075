//! The professional-subject catalogue (专业科目学习指南): courses published
//! per year and series by an authority of that series (R-CP-2).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueCourses {
    Table,
    Id,
    Year,
    SeriesCode,
    Name,
    HoursTenths,
    Level,
    AuthorityId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProfessionalSeries {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Authorities {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueCourses::Table)
                    .col(pk_uuid(CatalogueCourses::Id))
                    .col(integer(CatalogueCourses::Year))
                    .col(string_len(CatalogueCourses::SeriesCode, 64))
                    .col(string_len(CatalogueCourses::Name, 200))
                    .col(integer_null(CatalogueCourses::HoursTenths))
                    .col(string_len(CatalogueCourses::Level, 16))
                    .col(uuid(CatalogueCourses::AuthorityId))
                    .col(uuid(CatalogueCourses::CreatedBy))
                    .col(timestamp_with_time_zone(CatalogueCourses::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_catalogue_courses_series")
                            .from(CatalogueCourses::Table, CatalogueCourses::SeriesCode)
                            .to(ProfessionalSeries::Table, ProfessionalSeries::Code)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_catalogue_courses_authority")
                            .from(CatalogueCourses::Table, CatalogueCourses::AuthorityId)
                            .to(Authorities::Table, Authorities::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One course name per year and series: the name is what records match on.
        manager
            .create_index(
                Index::create()
                    .name("ux_catalogue_courses_year_series_name")
                    .table(CatalogueCourses::Table)
                    .col(CatalogueCourses::Year)
                    .col(CatalogueCourses::SeriesCode)
                    .col(CatalogueCourses::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogueCourses::Table).to_owned())
            .await
    }
}
