use sea_orm::entity::prelude::*;

/// A professional series a city base's scope covers: its courses count as
/// professional hours of that series (R-RC-6, R-PQ-4).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "city_base_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub base_no: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub series_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
