use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annual_requirements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub effective_year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub requirement_group: String,
    pub total_min: i32,
    pub public_min: i32,
    pub professional_min: i32,
    pub elective_min: i32,
    pub professional_general_knowledge_min: i32,
    #[sea_orm(column_type = "Text")]
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
