use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "accounting_credit_conversions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub form: String,
    #[sea_orm(column_type = "Double")]
    pub credits: f64,
    pub unit: String,
    pub counts_as: String,
    pub public_exempt: bool,
    pub confirmed_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
