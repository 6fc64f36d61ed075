//! Course plans, their classes and enrolments (R-CP-1, R-CP-4, R-CL-1..2),
//! and the continuing-education records that closing a class produces
//! (R-CL-3, R-CL-4). Records are designed for every source of R-RC-2, so
//! later issues add columns' uses, not tables.

use ce_entity::state::EnrollmentStatus;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoursePlans {
    Table,
    Id,
    OwnerType,
    OwnerId,
    SeriesCode,
    Year,
    CourseName,
    Region,
    Description,
    ReviewerAuthorityId,
    Status,
    CreatedBy,
    SubmittedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
    PlanId,
    Name,
    Mode,
    StartDate,
    EndDate,
    HoursTenths,
    Capacity,
    EnrolledCount,
    Venue,
    Content,
    HeadTeacherId,
    Status,
    CreatedBy,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ClassTeachers {
    Table,
    ClassId,
    TeacherId,
}

#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
    ClassId,
    PersonId,
    Status,
    Score,
    Passed,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Records {
    Table,
    Id,
    PersonId,
    Year,
    Category,
    SeriesCode,
    CourseName,
    HoursTenths,
    Result,
    Source,
    ProviderId,
    ProviderName,
    ClassId,
    PlatformId,
    ExternalId,
    UnitId,
    Status,
    AttachmentIds,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RecordContributions {
    Table,
    Id,
    RecordId,
    ClassId,
    PersonId,
    HoursTenths,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProfessionalSeries {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teachers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

fn fk(name: &str) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.name(name).on_delete(ForeignKeyAction::Restrict);
    f
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CoursePlans::Table)
                    .col(pk_uuid(CoursePlans::Id))
                    .col(string_len(CoursePlans::OwnerType, 16))
                    .col(uuid(CoursePlans::OwnerId))
                    .col(string_len(CoursePlans::SeriesCode, 64))
                    .col(integer(CoursePlans::Year))
                    .col(string_len(CoursePlans::CourseName, 200))
                    .col(string_len(CoursePlans::Region, 6))
                    .col(text_null(CoursePlans::Description))
                    .col(uuid_null(CoursePlans::ReviewerAuthorityId))
                    .col(string_len(CoursePlans::Status, 16))
                    .col(uuid(CoursePlans::CreatedBy))
                    .col(timestamp_with_time_zone_null(CoursePlans::SubmittedAt))
                    .col(timestamp_with_time_zone(CoursePlans::CreatedAt))
                    .col(timestamp_with_time_zone(CoursePlans::UpdatedAt))
                    .col(integer(CoursePlans::Version))
                    .foreign_key(
                        fk("fk_course_plans_series")
                            .from(CoursePlans::Table, CoursePlans::SeriesCode)
                            .to(ProfessionalSeries::Table, ProfessionalSeries::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_course_plans_owner",
                vec![CoursePlans::OwnerId, CoursePlans::Id],
            ),
            (
                "ix_course_plans_reviewer",
                vec![CoursePlans::ReviewerAuthorityId, CoursePlans::Id],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(CoursePlans::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Classes::Table)
                    .col(pk_uuid(Classes::Id))
                    .col(uuid(Classes::PlanId))
                    .col(string_len(Classes::Name, 200))
                    .col(string_len(Classes::Mode, 16))
                    .col(date(Classes::StartDate))
                    .col(date(Classes::EndDate))
                    .col(integer(Classes::HoursTenths))
                    .col(integer(Classes::Capacity))
                    .col(integer(Classes::EnrolledCount).default(0))
                    .col(string_len_null(Classes::Venue, 200))
                    .col(text_null(Classes::Content))
                    .col(uuid_null(Classes::HeadTeacherId))
                    .col(string_len(Classes::Status, 16))
                    .col(uuid(Classes::CreatedBy))
                    .col(timestamp_with_time_zone_null(Classes::ClosedAt))
                    .col(timestamp_with_time_zone(Classes::CreatedAt))
                    .col(timestamp_with_time_zone(Classes::UpdatedAt))
                    .col(integer(Classes::Version))
                    .foreign_key(
                        fk("fk_classes_plan")
                            .from(Classes::Table, Classes::PlanId)
                            .to(CoursePlans::Table, CoursePlans::Id),
                    )
                    .foreign_key(
                        fk("fk_classes_head_teacher")
                            .from(Classes::Table, Classes::HeadTeacherId)
                            .to(Teachers::Table, Teachers::Id),
                    )
                    // The room check is an atomic conditional update; this
                    // makes overbooking impossible even if that is ever lost.
                    .check(Expr::col(Classes::EnrolledCount).lte(Expr::col(Classes::Capacity)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_classes_plan")
                    .table(Classes::Table)
                    .col(Classes::PlanId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_classes_head_teacher")
                    .table(Classes::Table)
                    .col(Classes::HeadTeacherId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClassTeachers::Table)
                    .col(uuid(ClassTeachers::ClassId))
                    .col(uuid(ClassTeachers::TeacherId))
                    .primary_key(
                        Index::create()
                            .col(ClassTeachers::ClassId)
                            .col(ClassTeachers::TeacherId),
                    )
                    .foreign_key(
                        fk("fk_class_teachers_class")
                            .from(ClassTeachers::Table, ClassTeachers::ClassId)
                            .to(Classes::Table, Classes::Id),
                    )
                    .foreign_key(
                        fk("fk_class_teachers_teacher")
                            .from(ClassTeachers::Table, ClassTeachers::TeacherId)
                            .to(Teachers::Table, Teachers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_class_teachers_teacher")
                    .table(ClassTeachers::Table)
                    .col(ClassTeachers::TeacherId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollments::Table)
                    .col(pk_uuid(Enrollments::Id))
                    .col(uuid(Enrollments::ClassId))
                    .col(uuid(Enrollments::PersonId))
                    .col(string_len(Enrollments::Status, 16))
                    .col(integer_null(Enrollments::Score))
                    .col(boolean_null(Enrollments::Passed))
                    .col(timestamp_with_time_zone(Enrollments::CreatedAt))
                    .col(timestamp_with_time_zone(Enrollments::UpdatedAt))
                    .col(integer(Enrollments::Version))
                    .foreign_key(
                        fk("fk_enrollments_class")
                            .from(Enrollments::Table, Enrollments::ClassId)
                            .to(Classes::Table, Classes::Id),
                    )
                    .foreign_key(
                        fk("fk_enrollments_person")
                            .from(Enrollments::Table, Enrollments::PersonId)
                            .to(Persons::Table, Persons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // R-CL-2: one live enrolment per person and class; a cancelled one
        // does not stop the person enrolling again.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_enrollments_live ON enrollments (class_id, person_id) WHERE status <> '{}'",
                EnrollmentStatus::Cancelled.as_str()
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_enrollments_person")
                    .table(Enrollments::Table)
                    .col(Enrollments::PersonId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Records::Table)
                    .col(pk_uuid(Records::Id))
                    .col(uuid(Records::PersonId))
                    .col(integer(Records::Year))
                    .col(string_len(Records::Category, 16))
                    .col(string_len_null(Records::SeriesCode, 64))
                    .col(string_len(Records::CourseName, 200))
                    .col(integer(Records::HoursTenths))
                    .col(string_len_null(Records::Result, 100))
                    .col(string_len(Records::Source, 16))
                    .col(uuid_null(Records::ProviderId))
                    .col(string_len_null(Records::ProviderName, 100))
                    .col(uuid_null(Records::ClassId))
                    .col(uuid_null(Records::PlatformId))
                    .col(string_len_null(Records::ExternalId, 100))
                    .col(uuid_null(Records::UnitId))
                    .col(string_len(Records::Status, 24))
                    .col(json(Records::AttachmentIds))
                    .col(timestamp_with_time_zone_null(Records::CompletedAt))
                    .col(timestamp_with_time_zone(Records::CreatedAt))
                    .col(timestamp_with_time_zone(Records::UpdatedAt))
                    .col(integer(Records::Version))
                    .foreign_key(
                        fk("fk_records_person")
                            .from(Records::Table, Records::PersonId)
                            .to(Persons::Table, Persons::Id),
                    )
                    .foreign_key(
                        fk("fk_records_unit")
                            .from(Records::Table, Records::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_records_person_year",
                vec![Records::PersonId, Records::Year],
            ),
            ("ix_records_unit", vec![Records::UnitId, Records::Id]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Records::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        // A platform's item is recorded once (R-RC-2 platform push).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_records_platform_item ON records (platform_id, external_id) WHERE platform_id IS NOT NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecordContributions::Table)
                    .col(pk_uuid(RecordContributions::Id))
                    .col(uuid(RecordContributions::RecordId))
                    .col(uuid(RecordContributions::ClassId))
                    .col(uuid(RecordContributions::PersonId))
                    .col(integer(RecordContributions::HoursTenths))
                    .col(timestamp_with_time_zone(RecordContributions::CreatedAt))
                    .foreign_key(
                        fk("fk_record_contributions_record")
                            .from(RecordContributions::Table, RecordContributions::RecordId)
                            .to(Records::Table, Records::Id),
                    )
                    .foreign_key(
                        fk("fk_record_contributions_class")
                            .from(RecordContributions::Table, RecordContributions::ClassId)
                            .to(Classes::Table, Classes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // R-CL-3/R-CL-4: a class gives a learner its hours once, however
        // often closing is attempted.
        manager
            .create_index(
                Index::create()
                    .name("ux_record_contributions_class_person")
                    .table(RecordContributions::Table)
                    .col(RecordContributions::ClassId)
                    .col(RecordContributions::PersonId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_record_contributions_record")
                    .table(RecordContributions::Table)
                    .col(RecordContributions::RecordId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RecordContributions::Table.into_iden(),
            Records::Table.into_iden(),
            Enrollments::Table.into_iden(),
            ClassTeachers::Table.into_iden(),
            Classes::Table.into_iden(),
            CoursePlans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
