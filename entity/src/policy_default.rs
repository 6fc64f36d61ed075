use sea_orm::entity::prelude::*;

/// A policy setting hrss keeps across years, by name (e.g.
/// `public_deadline`: the month and day of the next year a year's public
/// courses go offline when no deadline is published).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_defaults")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
