//! Units, providers (with the 59 Guangzhou bases), authorities, their admins,
//! bindings, persons' series per year, teachers, qualifications, reviews and
//! attachments. R-ID-4, R-ID-5, R-PU-1..4, R-T-1, R-PQ-1..4, R-AU-1..3, R-RV-1.

use ce_entity::state::BindingStatus;
use sea_orm_migration::{prelude::*, schema::*};

use crate::csv::{field, rows};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BASES: &str = include_str!("../data/guangzhou_city_bases.csv");

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
    Education,
    Title,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProfessionalSeries {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    Name,
    CreditCode,
    Address,
    ContactPhone,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Providers {
    Table,
    Id,
    Name,
    CreditCode,
    Level,
    BaseNo,
    Scope,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Authorities {
    Table,
    Id,
    Name,
    Level,
    Region,
    ParentId,
    Status,
    ApplicantAccountId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum AuthoritySeries {
    Table,
    AuthorityId,
    SeriesCode,
}

#[derive(DeriveIden)]
enum AdminInvitations {
    Table,
    Id,
    OrgType,
    OrgId,
    AccountId,
    Status,
    InvitedBy,
    CreatedAt,
    AcceptedAt,
}

#[derive(DeriveIden)]
enum Bindings {
    Table,
    Id,
    PersonId,
    UnitId,
    Status,
    InitiatedBy,
    RequestedBy,
    DecidedBy,
    DecidedAt,
    Comment,
    EndedBy,
    EndedAt,
    CreatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PersonSeries {
    Table,
    PersonId,
    Year,
    SeriesCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Teachers {
    Table,
    Id,
    OwnerType,
    OwnerId,
    Name,
    Title,
    Enabled,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Qualifications {
    Table,
    Id,
    ProviderId,
    SeriesCode,
    AuthorityId,
    Status,
    AttachmentIds,
    SubmittedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    EntityType,
    EntityId,
    Decision,
    Comment,
    ReviewerAccountId,
    ReviewerRole,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    Sha256,
    Filename,
    ContentType,
    SizeBytes,
    UploadedBy,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // R-PU-2: education and title beside the series.
        manager
            .alter_table(
                Table::alter()
                    .table(Persons::Table)
                    .add_column(string_len_null(Persons::Education, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Persons::Table)
                    .add_column(string_len_null(Persons::Title, 64))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(pk_uuid(Units::Id))
                    .col(string_len(Units::Name, 100))
                    .col(string_len_uniq(Units::CreditCode, 18))
                    .col(string_len_null(Units::Address, 200))
                    .col(string_len_null(Units::ContactPhone, 20))
                    .col(timestamp_with_time_zone(Units::CreatedAt))
                    .col(timestamp_with_time_zone(Units::UpdatedAt))
                    .col(integer(Units::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_units_name",
                Units::Table,
                vec![Units::Name.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Providers::Table)
                    .col(pk_uuid(Providers::Id))
                    .col(string_len(Providers::Name, 100))
                    .col(string_len_null(Providers::CreditCode, 18).unique_key())
                    .col(string_len(Providers::Level, 16))
                    .col(string_len_null(Providers::BaseNo, 3).unique_key())
                    .col(text_null(Providers::Scope))
                    .col(timestamp_with_time_zone(Providers::CreatedAt))
                    .col(timestamp_with_time_zone(Providers::UpdatedAt))
                    .col(integer(Providers::Version).default(1))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Authorities::Table)
                    .col(pk_uuid(Authorities::Id))
                    .col(string_len(Authorities::Name, 100))
                    .col(string_len(Authorities::Level, 16))
                    .col(string_len(Authorities::Region, 6))
                    .col(uuid_null(Authorities::ParentId))
                    .col(string_len(Authorities::Status, 16))
                    .col(uuid(Authorities::ApplicantAccountId))
                    .col(timestamp_with_time_zone(Authorities::CreatedAt))
                    .col(timestamp_with_time_zone(Authorities::UpdatedAt))
                    .col(integer(Authorities::Version).default(1))
                    .foreign_key(&mut fk(
                        "fk_authorities_parent",
                        (Authorities::Table, Authorities::ParentId),
                        (Authorities::Table, Authorities::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthoritySeries::Table)
                    .col(uuid(AuthoritySeries::AuthorityId))
                    .col(string_len(AuthoritySeries::SeriesCode, 64))
                    .primary_key(
                        Index::create()
                            .col(AuthoritySeries::AuthorityId)
                            .col(AuthoritySeries::SeriesCode),
                    )
                    .foreign_key(&mut fk(
                        "fk_authority_series_authority",
                        (AuthoritySeries::Table, AuthoritySeries::AuthorityId),
                        (Authorities::Table, Authorities::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_authority_series_series",
                        (AuthoritySeries::Table, AuthoritySeries::SeriesCode),
                        (ProfessionalSeries::Table, ProfessionalSeries::Code),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AdminInvitations::Table)
                    .col(pk_uuid(AdminInvitations::Id))
                    .col(string_len(AdminInvitations::OrgType, 16))
                    .col(uuid(AdminInvitations::OrgId))
                    .col(uuid(AdminInvitations::AccountId))
                    .col(string_len(AdminInvitations::Status, 16))
                    .col(uuid_null(AdminInvitations::InvitedBy))
                    .col(timestamp_with_time_zone(AdminInvitations::CreatedAt))
                    .col(timestamp_with_time_zone_null(AdminInvitations::AcceptedAt))
                    .foreign_key(&mut fk(
                        "fk_admin_invitations_account",
                        (AdminInvitations::Table, AdminInvitations::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_admin_invitations_org",
                AdminInvitations::Table,
                vec![
                    AdminInvitations::OrgType.into_iden(),
                    AdminInvitations::OrgId.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bindings::Table)
                    .col(pk_uuid(Bindings::Id))
                    .col(uuid(Bindings::PersonId))
                    .col(uuid(Bindings::UnitId))
                    .col(string_len(Bindings::Status, 16))
                    .col(string_len(Bindings::InitiatedBy, 16))
                    .col(uuid(Bindings::RequestedBy))
                    .col(uuid_null(Bindings::DecidedBy))
                    .col(timestamp_with_time_zone_null(Bindings::DecidedAt))
                    .col(text_null(Bindings::Comment))
                    .col(uuid_null(Bindings::EndedBy))
                    .col(timestamp_with_time_zone_null(Bindings::EndedAt))
                    .col(timestamp_with_time_zone(Bindings::CreatedAt))
                    .col(integer(Bindings::Version).default(1))
                    .foreign_key(&mut fk(
                        "fk_bindings_person",
                        (Bindings::Table, Bindings::PersonId),
                        (Persons::Table, Persons::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_bindings_unit",
                        (Bindings::Table, Bindings::UnitId),
                        (Units::Table, Units::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_bindings_unit_status",
                Bindings::Table,
                vec![Bindings::UnitId.into_iden(), Bindings::Status.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_bindings_person",
                Bindings::Table,
                vec![Bindings::PersonId.into_iden()],
            ))
            .await?;
        // R-PU-1: at most one current unit per person, held by the database
        // even when two approvals race. Partial indexes read the same on
        // SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_bindings_one_current ON bindings (person_id) WHERE status = '{}'",
                BindingStatus::Approved.as_str()
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_bindings_one_pending ON bindings (person_id, unit_id) WHERE status = '{}'",
                BindingStatus::Pending.as_str()
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PersonSeries::Table)
                    .col(uuid(PersonSeries::PersonId))
                    .col(integer(PersonSeries::Year))
                    .col(string_len(PersonSeries::SeriesCode, 64))
                    .col(timestamp_with_time_zone(PersonSeries::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PersonSeries::PersonId)
                            .col(PersonSeries::Year)
                            .col(PersonSeries::SeriesCode),
                    )
                    .foreign_key(&mut fk(
                        "fk_person_series_person",
                        (PersonSeries::Table, PersonSeries::PersonId),
                        (Persons::Table, Persons::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_person_series_series",
                        (PersonSeries::Table, PersonSeries::SeriesCode),
                        (ProfessionalSeries::Table, ProfessionalSeries::Code),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teachers::Table)
                    .col(pk_uuid(Teachers::Id))
                    .col(string_len(Teachers::OwnerType, 16))
                    .col(uuid(Teachers::OwnerId))
                    .col(string_len(Teachers::Name, 50))
                    .col(string_len_null(Teachers::Title, 64))
                    .col(boolean(Teachers::Enabled).default(true))
                    .col(timestamp_with_time_zone(Teachers::CreatedAt))
                    .col(timestamp_with_time_zone(Teachers::UpdatedAt))
                    .col(integer(Teachers::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_teachers_owner",
                Teachers::Table,
                vec![
                    Teachers::OwnerType.into_iden(),
                    Teachers::OwnerId.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Qualifications::Table)
                    .col(pk_uuid(Qualifications::Id))
                    .col(uuid(Qualifications::ProviderId))
                    .col(string_len(Qualifications::SeriesCode, 64))
                    .col(uuid(Qualifications::AuthorityId))
                    .col(string_len(Qualifications::Status, 16))
                    .col(json(Qualifications::AttachmentIds))
                    .col(uuid(Qualifications::SubmittedBy))
                    .col(timestamp_with_time_zone(Qualifications::CreatedAt))
                    .col(timestamp_with_time_zone(Qualifications::UpdatedAt))
                    .col(integer(Qualifications::Version).default(1))
                    .foreign_key(&mut fk(
                        "fk_qualifications_provider",
                        (Qualifications::Table, Qualifications::ProviderId),
                        (Providers::Table, Providers::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_qualifications_authority",
                        (Qualifications::Table, Qualifications::AuthorityId),
                        (Authorities::Table, Authorities::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_qualifications_series",
                        (Qualifications::Table, Qualifications::SeriesCode),
                        (ProfessionalSeries::Table, ProfessionalSeries::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_qualifications_authority_status",
                Qualifications::Table,
                vec![
                    Qualifications::AuthorityId.into_iden(),
                    Qualifications::Status.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(pk_uuid(Reviews::Id))
                    .col(string_len(Reviews::EntityType, 32))
                    .col(uuid(Reviews::EntityId))
                    .col(string_len(Reviews::Decision, 16))
                    .col(text_null(Reviews::Comment))
                    .col(uuid(Reviews::ReviewerAccountId))
                    .col(string_len(Reviews::ReviewerRole, 32))
                    .col(timestamp_with_time_zone(Reviews::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_reviews_entity",
                Reviews::Table,
                vec![
                    Reviews::EntityType.into_iden(),
                    Reviews::EntityId.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(pk_uuid(Attachments::Id))
                    .col(string_len(Attachments::Sha256, 64))
                    .col(string_len(Attachments::Filename, 200))
                    .col(string_len(Attachments::ContentType, 64))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(uuid(Attachments::UploadedBy))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // R-PQ-4: the 59 city-level bases are providers with their numbers.
        let now = chrono::Utc::now();
        let mut q = Query::insert();
        q.into_table(Providers::Table).columns([
            Providers::Id,
            Providers::Name,
            Providers::Level,
            Providers::BaseNo,
            Providers::Scope,
            Providers::CreatedAt,
            Providers::UpdatedAt,
            Providers::Version,
        ]);
        for r in rows("guangzhou_city_bases.csv", BASES)? {
            q.values_panic([
                uuid::Uuid::now_v7().into(),
                field(&r, "name")?.into(),
                "city".into(),
                field(&r, "base_no")?.into(),
                field(&r, "scope")?.into(),
                now.into(),
                now.into(),
                1.into(),
            ]);
        }
        manager.get_connection().execute(&q).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Attachments::Table.into_iden(),
            Reviews::Table.into_iden(),
            Qualifications::Table.into_iden(),
            Teachers::Table.into_iden(),
            PersonSeries::Table.into_iden(),
            Bindings::Table.into_iden(),
            AdminInvitations::Table.into_iden(),
            AuthoritySeries::Table.into_iden(),
            Authorities::Table.into_iden(),
            Providers::Table.into_iden(),
            Units::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        for c in [Persons::Title, Persons::Education] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Persons::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
