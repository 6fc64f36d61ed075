use sea_orm::entity::prelude::*;

/// A creating request's `Idempotency-Key` and, once answered, its answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotent_requests")]
pub struct Model {
    /// The account (or platform) that sent the request.
    #[sea_orm(primary_key, auto_increment = false)]
    pub caller_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub idempotency_key: String,
    /// SHA-256 of method, path, query and body; set with the answer.
    pub request_hash: Option<String>,
    pub response_status: Option<i16>,
    /// The answer's headers and body, encrypted with the PII key.
    pub response: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    /// `None` while the first request is still being answered.
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
