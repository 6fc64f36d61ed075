use sea_orm::entity::prelude::*;

/// A refresh token of a sign-in (its family), stored as its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The sign-in this token descends from; revoked as one.
    pub family_id: Uuid,
    pub account_id: Uuid,
    /// Hex SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    /// The access token issued with this refresh token.
    pub access_jti: Uuid,
    pub access_expires_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When it was exchanged for the next pair; presented again, it is reuse.
    pub used_at: Option<DateTimeUtc>,
    /// When its family was revoked (sign-out, reuse, password reset).
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
