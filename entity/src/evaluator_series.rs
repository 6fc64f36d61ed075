use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluator_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub evaluator_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub series_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
