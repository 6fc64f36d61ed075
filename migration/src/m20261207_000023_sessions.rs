//! Sessions that can end (issue 22).
//!
//! - `refresh_tokens`: a signed-in account's refresh tokens, stored only as
//!   the SHA-256 of the opaque token. Tokens of one sign-in share a
//!   `family_id`; each refresh spends its token (`used_at`) and adds the
//!   next of the family. A spent token presented again is reuse: the whole
//!   family is revoked (`revoked_at`). `access_jti` and `access_expires_at`
//!   name the access token issued with the row, so that signing out, a
//!   detected reuse or a password reset can put it on the deny list.
//! - `denied_tokens`: access tokens (by `jti`) refused until they expire
//!   (`expires_at`), after a sign-out. Every process holds them in memory
//!   and reads the rows added since its last look (`created_at`) each
//!   second.
//!
//! Rows past `expires_at` are deleted by the purge task.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    AccountId,
    TokenHash,
    AccessJti,
    AccessExpiresAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeniedTokens {
    Table,
    Jti,
    AccountId,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthChallenges {
    Table,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(uuid(RefreshTokens::Id).primary_key())
                    .col(uuid(RefreshTokens::FamilyId))
                    .col(uuid(RefreshTokens::AccountId))
                    .col(string_len(RefreshTokens::TokenHash, 64))
                    .col(uuid(RefreshTokens::AccessJti))
                    .col(timestamp_with_time_zone(RefreshTokens::AccessExpiresAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col, unique) in [
            ("ux_refresh_tokens_hash", RefreshTokens::TokenHash, true),
            ("ix_refresh_tokens_family", RefreshTokens::FamilyId, false),
            ("ix_refresh_tokens_account", RefreshTokens::AccountId, false),
            (
                "ix_refresh_tokens_access_jti",
                RefreshTokens::AccessJti,
                false,
            ),
            ("ix_refresh_tokens_expires", RefreshTokens::ExpiresAt, false),
        ] {
            let mut index = Index::create();
            index.name(name).table(RefreshTokens::Table).col(col);
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DeniedTokens::Table)
                    .col(uuid(DeniedTokens::Jti).primary_key())
                    .col(uuid(DeniedTokens::AccountId))
                    .col(timestamp_with_time_zone(DeniedTokens::ExpiresAt))
                    .col(timestamp_with_time_zone(DeniedTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_denied_tokens_expires", DeniedTokens::ExpiresAt),
            ("ix_denied_tokens_created", DeniedTokens::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(DeniedTokens::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        // The purge deletes challenges by expiry.
        manager
            .create_index(
                Index::create()
                    .name("ix_auth_challenges_expires")
                    .table(AuthChallenges::Table)
                    .col(AuthChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_auth_challenges_expires")
                    .table(AuthChallenges::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DeniedTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await
    }
}
