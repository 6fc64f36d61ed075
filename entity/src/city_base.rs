use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "city_bases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub base_no: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub scope: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
