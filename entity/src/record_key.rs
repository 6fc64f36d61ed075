use sea_orm::entity::prelude::*;

/// A platform's item (`platform_id`, `external_id`) and the one record it
/// became (R-RC-2: recorded once). Kept beside `records` because a
/// PostgreSQL `records` partitioned by year can only be unique on keys
/// that include the year; written in the record's transaction, before it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub platform_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: String,
    pub record_id: Uuid,
    /// The record's year, so that reading the record prunes to its
    /// partition.
    pub year: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
