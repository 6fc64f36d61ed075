use sea_orm::entity::prelude::*;

/// A counter per kind of data the processes cache (issue 21), bumped in
/// the transaction of every change that makes a cached answer wrong; each
/// process polls them and forgets what changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_generations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub generation: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
