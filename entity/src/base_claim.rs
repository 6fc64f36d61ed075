use sea_orm::entity::prelude::*;

/// An institution's claim to run a preloaded city base (R-PQ-5).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "base_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub base_no: String,
    /// The base's preloaded provider row.
    pub provider_id: Uuid,
    /// The institution's name as the claimant gives it.
    pub name: String,
    /// The institution's unified social credit code.
    pub credit_code: String,
    /// Who claims; becomes the base's provider admin when confirmed.
    pub claimant_account_id: Uuid,
    pub status: crate::state::ReviewStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
