//! Persons, accounts, role grants, one-time-code challenges, the SMS outbox
//! and platform clients. R-ID-1, R-ID-3.
//!
//! ID and phone numbers are personal information (PIPL): they are stored
//! encrypted (`*_enc`), found and kept unique through a keyed hash
//! (`*_hash`), and shown through a precomputed masked form (`*_masked`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
    Name,
    IdCardHash,
    IdCardEnc,
    IdCardMasked,
    PhoneHash,
    PhoneEnc,
    PhoneMasked,
    Verified,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Username,
    PersonId,
    PasswordHash,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    AccountId,
    Role,
    OrgId,
    PersonId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthChallenges {
    Table,
    Id,
    AccountId,
    Purpose,
    CodeHash,
    Attempts,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    AccountId,
    PhoneEnc,
    PhoneMasked,
    Purpose,
    Body,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Platforms {
    Table,
    Id,
    Name,
    ClientId,
    SecretHash,
    Categories,
    SeriesFamilies,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Persons::Table)
                    .col(pk_uuid(Persons::Id))
                    .col(string_len(Persons::Name, 50))
                    .col(string_len_uniq(Persons::IdCardHash, 64))
                    .col(blob(Persons::IdCardEnc))
                    .col(string_len(Persons::IdCardMasked, 18))
                    .col(string_len_null(Persons::PhoneHash, 64))
                    .col(blob_null(Persons::PhoneEnc))
                    .col(string_len_null(Persons::PhoneMasked, 11))
                    .col(boolean(Persons::Verified).default(false))
                    .col(timestamp_with_time_zone(Persons::CreatedAt))
                    .col(timestamp_with_time_zone(Persons::UpdatedAt))
                    .col(integer(Persons::Version).default(1))
                    .to_owned(),
            )
            .await?;
        // One phone, one login: the phone is an account name (R-ID-3).
        manager
            .create_index(
                Index::create()
                    .name("ux_persons_phone_hash")
                    .table(Persons::Table)
                    .col(Persons::PhoneHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_uuid(Accounts::Id))
                    .col(string_len_null(Accounts::Username, 64).unique_key())
                    .col(uuid_null(Accounts::PersonId).unique_key())
                    .col(string_len(Accounts::PasswordHash, 255))
                    .col(integer(Accounts::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Accounts::LockedUntil))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_accounts_person")
                            .from(Accounts::Table, Accounts::PersonId)
                            .to(Persons::Table, Persons::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(pk_uuid(Grants::Id))
                    .col(uuid(Grants::AccountId))
                    .col(string_len(Grants::Role, 32))
                    .col(uuid_null(Grants::OrgId))
                    .col(uuid_null(Grants::PersonId))
                    .col(timestamp_with_time_zone(Grants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_account")
                            .from(Grants::Table, Grants::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_account")
                    .table(Grants::Table)
                    .col(Grants::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_role")
                    .table(Grants::Table)
                    .col(Grants::Role)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthChallenges::Table)
                    .col(pk_uuid(AuthChallenges::Id))
                    .col(uuid(AuthChallenges::AccountId))
                    .col(string_len(AuthChallenges::Purpose, 32))
                    .col(string_len(AuthChallenges::CodeHash, 64))
                    .col(integer(AuthChallenges::Attempts).default(0))
                    .col(timestamp_with_time_zone(AuthChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AuthChallenges::ConsumedAt))
                    .col(timestamp_with_time_zone(AuthChallenges::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auth_challenges_account")
                            .from(AuthChallenges::Table, AuthChallenges::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsOutbox::Table)
                    .col(pk_uuid(SmsOutbox::Id))
                    .col(uuid_null(SmsOutbox::AccountId))
                    .col(blob_null(SmsOutbox::PhoneEnc))
                    .col(string_len_null(SmsOutbox::PhoneMasked, 11))
                    .col(string_len(SmsOutbox::Purpose, 32))
                    .col(text(SmsOutbox::Body))
                    .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(SmsOutbox::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sms_outbox_account")
                    .table(SmsOutbox::Table)
                    .col(SmsOutbox::AccountId)
                    .col(SmsOutbox::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Platforms::Table)
                    .col(pk_uuid(Platforms::Id))
                    .col(string_len(Platforms::Name, 100))
                    .col(string_len_uniq(Platforms::ClientId, 64))
                    .col(string_len(Platforms::SecretHash, 64))
                    .col(json(Platforms::Categories))
                    .col(json(Platforms::SeriesFamilies))
                    .col(uuid(Platforms::CreatedBy))
                    .col(timestamp_with_time_zone(Platforms::CreatedAt))
                    .col(timestamp_with_time_zone_null(Platforms::RevokedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Platforms::Table.into_iden(),
            SmsOutbox::Table.into_iden(),
            AuthChallenges::Table.into_iden(),
            Grants::Table.into_iden(),
            Accounts::Table.into_iden(),
            Persons::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
